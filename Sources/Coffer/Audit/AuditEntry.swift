import CofferCrypto
import CofferSupport
import Foundation

/// One audit log entry. Holds ids, names and counts only — never a customer value, key or token.
///
/// In JSON (the output contract) an entry has the shape of a review package's `events.jsonl`
/// line: `time` in ISO 8601 UTC with milliseconds, `mac` in hex, plus `customer_count`, and the
/// customers as an array of internal ids.
public struct AuditEntry: Sendable, Equatable, Encodable {
    public enum Outcome: String, Sendable, Codable { case ok, denied, failed }

    public var seq: Int64
    /// Milliseconds since 1970-01-01 UTC.
    public var timeMilliseconds: Int64
    public var actor: String
    public var role: String
    /// What was attempted.
    public var action: AuditAction
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

    enum CodingKeys: String, CodingKey {
        case seq, time, actor, role, action, purpose, outcome, fields, customerCount = "customer_count", customers, detail, mac
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(OutputContract.timestamp(milliseconds: timeMilliseconds), forKey: .time)
        try c.encode(actor, forKey: .actor)
        try c.encode(role, forKey: .role)
        try c.encode(action, forKey: .action)
        try c.encode(purpose, forKey: .purpose)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(fields, forKey: .fields)
        try c.encode(customerCount, forKey: .customerCount)
        try c.encode(customers, forKey: .customers)
        try c.encode(detail, forKey: .detail)
        try c.encode(OutputContract.hex(mac), forKey: .mac)
    }


    /// The bytes the chain MAC covers: every field, length-prefixed, in a fixed order.
    func canonicalBytes() -> [UInt8] {
        let writer = CanonicalWriter()
        writer.begin(seq: seq, timeMilliseconds: timeMilliseconds)
        for text in [actor, role, action.rawValue, purpose, outcome.rawValue, fields.joined(separator: ",")] {
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
    static let magic: StaticString = "coffer-audit-v1"
    /// Written through a raw pointer: the verifier lays out millions of entries.
    private let storage = ByteBuffer(capacity: 512)

    /// The bytes of the entry begun last (a copy).
    var buffer: [UInt8] { storage.array }
    /// The same bytes, valid until the next `begin`.
    var bytes: UnsafeRawBufferPointer { storage.bytes }

    /// Starts an entry; `prefix` (the previous MAC, for verification) goes first if given.
    func begin(seq: Int64, timeMilliseconds: Int64, prefix: [UInt8] = []) {
        storage.removeAll()
        storage.append(prefix)
        storage.append(Self.magic)
        int(seq)
        int(timeMilliseconds)
    }

    func int(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { storage.append($0) }
    }

    func bytes(_ raw: UnsafeRawBufferPointer) {
        int(Int64(raw.count))
        storage.append(raw)
    }
}

/// One entry read back from its canonical bytes (as the verifier lays them out), without
/// copying: each column is a slice of the message. Valid only while the message is.
///
/// The inverse of `CanonicalWriter`, so consumers of verified batches (review exports) see
/// exactly the bytes whose MAC was checked.
package struct AuditRecord {
    package let seq: Int64
    package let timeMilliseconds: Int64
    package let actor: UnsafeRawBufferPointer
    package let role: UnsafeRawBufferPointer
    package let action: UnsafeRawBufferPointer
    package let purpose: UnsafeRawBufferPointer
    package let outcome: UnsafeRawBufferPointer
    /// Field names joined by ",".
    package let fields: UnsafeRawBufferPointer
    package let customerCount: Int64
    /// `CustomerIDSet.encoded()` bytes.
    package let customers: UnsafeRawBufferPointer
    package let detail: UnsafeRawBufferPointer
    /// The MAC stored with the entry (checked before the record is handed out).
    package let mac: UnsafeRawBufferPointer

    /// Parses `message` = `prefixLength` bytes (the previous MAC) | canonical bytes.
    /// Nil if it is not laid out as `CanonicalWriter` writes entries.
    init?(message: UnsafeRawBufferPointer, prefixLength: Int, mac: UnsafeRawBufferPointer) {
        var offset = prefixLength
        func int() -> Int64? {
            guard offset + 8 <= message.count else { return nil }
            var value: UInt64 = 0
            for i in 0..<8 { value = value << 8 | UInt64(message[offset + i]) }
            offset += 8
            return Int64(bitPattern: value)
        }
        func bytes() -> UnsafeRawBufferPointer? {
            guard let count = int(), count >= 0, offset + Int(count) <= message.count else { return nil }
            defer { offset += Int(count) }
            return UnsafeRawBufferPointer(rebasing: message[offset..<offset + Int(count)])
        }
        let magic = CanonicalWriter.magic
        guard message.count >= offset + magic.utf8CodeUnitCount,
              UnsafeRawBufferPointer(rebasing: message[offset..<offset + magic.utf8CodeUnitCount]).equals(magic) else { return nil }
        offset += magic.utf8CodeUnitCount
        guard let seq = int(), let time = int(), let actor = bytes(), let role = bytes(), let action = bytes(),
              let purpose = bytes(), let outcome = bytes(), let fields = bytes(), let count = int(),
              let customers = bytes(), let detail = bytes(), offset == message.count else { return nil }
        self.seq = seq
        timeMilliseconds = time
        self.actor = actor
        self.role = role
        self.action = action
        self.purpose = purpose
        self.outcome = outcome
        self.fields = fields
        customerCount = count
        self.customers = customers
        self.detail = detail
        self.mac = mac
    }

    /// The entry's action; an action this version does not know is damage (every writer is ours).
    package func auditAction() throws(VaultError) -> AuditAction {
        guard let action = AuditAction(rawValue: Self.string(self.action)) else {
            throw .corruptVault("audit entry \(seq) names an action this version does not know")
        }
        return action
    }

    /// A column as a String (for keys and rare events; formatters use the bytes).
    package static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
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
