import CofferCrypto
import Foundation

/// One audit log entry. Holds ids, names and counts only — never a customer value, key or token.
public struct AuditEntry: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable { case ok, denied, failed }

    public var seq: Int64
    /// Milliseconds since 1970-01-01 UTC.
    public var timeMilliseconds: Int64
    public var actor: String
    public var role: String
    /// What was attempted: read, find, write, import, erase, export, reidentify, authenticate,
    /// user_add, key_rotate, policy_apply, audit_read ...
    public var action: String
    public var purpose: String
    public var outcome: Outcome
    /// Field names read or written (schema names, not values).
    public var fields: [String]
    /// Internal ids of the customers touched.
    public var customers: CustomerIDSet
    /// Non-PII detail: counts, key versions, policy digests, reasons for a denial.
    public var detail: String
    public var mac: [UInt8]

    public var time: Date { Date(timeIntervalSince1970: Double(timeMilliseconds) / 1000) }
    public var customerCount: Int64 { customers.count }


    /// The bytes the chain MAC covers: every field, length-prefixed, in a fixed order.
    func canonicalBytes() -> [UInt8] {
        var writer = CanonicalWriter()
        writer.begin(seq: seq, timeMilliseconds: timeMilliseconds)
        for text in [actor, role, action, purpose, outcome.rawValue, fields.joined(separator: ",")] {
            var text = text
            text.withUTF8 { writer.bytes(UnsafeRawBufferPointer($0)) }
        }
        writer.int(customers.count)
        customers.encoded().withUnsafeBytes { writer.bytes($0) }
        var detail = detail
        detail.withUTF8 { writer.bytes(UnsafeRawBufferPointer($0)) }
        return writer.buffer
    }
}

/// Builds an entry's canonical bytes into a reusable buffer. `AuditEntry.canonicalBytes()`
/// and the verifier (which reads raw column bytes) both go through it, so they cannot differ.
struct CanonicalWriter {
    static let magic: [UInt8] = Array("coffer-audit-v1".utf8)
    var buffer: [UInt8] = []

    /// Starts an entry; `prefix` (the previous MAC, for verification) goes first if given.
    mutating func begin(seq: Int64, timeMilliseconds: Int64, prefix: [UInt8] = []) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: prefix)
        buffer.append(contentsOf: Self.magic)
        int(seq)
        int(timeMilliseconds)
    }

    mutating func int(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        int(Int64(raw.count))
        buffer.append(contentsOf: raw)
    }
}

/// Computes chain MACs: `mac(n) = HMAC(chain key, mac(n-1) | canonical(entry n))`, with
/// `mac(0) = HMAC(chain key, "genesis" | vault id)` so a chain cannot be moved to another vault.
final class AuditChain {
    private let mac: HMACSHA256
    let genesis: [UInt8]

    init(auditKey: SymmetricKey, vaultID: String) throws(CryptoError) {
        mac = try HMACSHA256(key: HKDF.deriveKey(from: auditKey, info: "coffer/audit-chain/v1"))
        genesis = try mac.authenticate(Array("genesis|\(vaultID)".utf8))
    }

    func mac(for entry: AuditEntry, previous: [UInt8]) throws(CryptoError) -> [UInt8] {
        try mac.authenticate(previous + entry.canonicalBytes())
    }

    /// MAC of bytes already laid out as previous MAC | canonical entry.
    func mac(of message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        try mac.authenticate(message, into: out)
    }
}
