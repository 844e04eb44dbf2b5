import CofferCrypto
import Foundation

/// A signed statement of the audit chain's head: "at `time`, entry `seq` had MAC `mac`".
/// Kept outside the vault (by a reviewer), it makes a truncated or rewritten tail detectable.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    public var vaultID: String
    public var seq: Int64
    /// Hex of the entry's chain MAC.
    public var mac: String
    public var timeMilliseconds: Int64
    /// Hex of the Ed25519 public key that signed it (compare with the one you trust).
    public var publicKey: String
    /// Hex of the Ed25519 signature over `signedBytes`.
    public var signature: String

    /// What the signature covers.
    public var signedBytes: [UInt8] {
        Array("coffer-checkpoint-v1|\(vaultID)|\(seq)|\(mac)|\(timeMilliseconds)".utf8)
    }

    /// Checks the signature with `key` (a key you trust, e.g. from `audit public-key`).
    public func isSigned(by key: Ed25519.PublicKey) -> Bool {
        guard let signature = [UInt8](hexString: signature) else { return false }
        return key.rawRepresentation.hexString == publicKey && key.isValidSignature(signature, for: signedBytes)
    }
}

extension Vault {
    /// The PEM public key that verifies this vault's checkpoints and review packages.
    package func signingPublicKeyPEM(session: Session) throws(VaultError) -> String {
        try authorize(session, .auditRead, action: .auditPublicKey)
        return keyRing.signingKey.publicKey.pemRepresentation
    }

    /// Signs the current head of the audit chain (after recording this request in it).
    package func auditCheckpoint(session: Session) throws(VaultError) -> AuditCheckpoint {
        try authorize(session, .auditRead, action: .auditCheckpoint)
        let head = try audit(.user(session), .auditCheckpoint, detail: "signed checkpoint of the chain head")
        return try signedCheckpoint(of: head)
    }

    /// A checkpoint of `entry` (just appended by this vault), signed with the vault's key.
    package func signedCheckpoint(of entry: AuditEntry) throws(VaultError) -> AuditCheckpoint {
        var checkpoint = AuditCheckpoint(vaultID: keyRing.vaultID, seq: entry.seq, mac: entry.mac.hexString,
                                         timeMilliseconds: entry.timeMilliseconds,
                                         publicKey: keyRing.signingKey.publicKey.rawRepresentation.hexString, signature: "")
        do {
            checkpoint.signature = try keyRing.signingKey.signature(for: checkpoint.signedBytes).hexString
        } catch {
            throw .crypto(error)
        }
        return checkpoint
    }

    /// Verifies the chain; with a checkpoint, also that it is this vault's, correctly signed,
    /// and that the entry it names still exists with the same MAC (no truncation, no rewrite).
    package func verifyAudit(session: Session, checkpointJSON: Data? = nil,
                            progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> AuditVerification {
        try authorize(session, .auditRead, action: .auditVerify)
        var result = try verifyAudit(progress: progress)
        if let checkpointJSON, result.isIntact {
            guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: checkpointJSON) else {
                throw .notACheckpoint
            }
            if checkpoint.vaultID != keyRing.vaultID {
                result.problem = "the checkpoint belongs to another vault"
            } else if !checkpoint.isSigned(by: keyRing.signingKey.publicKey) {
                result.problem = "the checkpoint's signature does not verify"
            } else if result.lastSeq < checkpoint.seq {
                result.firstBadSeq = result.lastSeq + 1
                result.problem = "the log ends at entry \(result.lastSeq) but the checkpoint saw entry \(checkpoint.seq): entries \(result.lastSeq + 1)-\(checkpoint.seq) were truncated"
            } else {
                let stored = try store.read { tx in try tx.auditMAC(seq: checkpoint.seq) }
                if stored?.hexString != checkpoint.mac {
                    result.firstBadSeq = checkpoint.seq
                    result.problem = "entry \(checkpoint.seq) differs from the signed checkpoint: the chain was rewritten"
                }
            }
        }
        try audit(.user(session), .auditVerify, outcome: result.isIntact ? .ok : .failed,
                  detail: result.isIntact ? "intact, \(result.entries) entries" : "tampering found at \(result.firstBadSeq ?? 0)")
        return result
    }

    /// Audit entries matching `query` (and touching `customerReference`, if given: the answer to
    /// a data-subject access request). Reading the log is itself audited.
    package func auditLog(_ query: AuditQuery, customerReference: String? = nil, session: Session,
                         purpose: String? = nil) throws(VaultError) -> [AuditEntry] {
        try authorize(session, .auditRead, action: .auditRead, purpose: purpose)
        var query = query
        var touched = CustomerIDSet()
        if let customerReference {
            let id = try subjectID(reference: customerReference, session: session, action: .auditRead, purpose: purpose).id
            query.customerID = id
            touched = CustomerIDSet([id])
        }
        let entries = try auditEntries(query)
        try audit(.user(session), .auditRead, purpose: purpose, customers: touched,
                  detail: "\(entries.count) entries")
        return entries
    }

    /// The audit entries matching `query` that touched the customer `reference` names, live or
    /// erased, with its erasure record when it was erased: a data-subject access request that
    /// stays answerable after the customer's data is gone. Reading the log is itself audited.
    package func customerAuditTrail(_ query: AuditQuery, reference: String, session: Session,
                                    purpose: String? = nil) throws(VaultError) -> CustomerAuditTrail {
        try authorize(session, .auditRead, action: .auditRead, purpose: purpose)
        let (id, erasure) = try subjectID(reference: reference, session: session, action: .auditRead, purpose: purpose)
        var query = query
        query.customerID = id
        let entries = try auditEntries(query)
        try audit(.user(session), .auditRead, purpose: purpose, customers: CustomerIDSet([id]),
                  detail: "\(entries.count) entries" + (erasure == nil ? "" : " of an erased customer"))
        return CustomerAuditTrail(customerID: id, entries: entries, erasure: erasure)
    }
}

/// The audit entries about one customer, and its erasure record if it was erased.
public struct CustomerAuditTrail: Sendable, Equatable, Encodable {
    /// The customer's internal id (what entries name).
    public var customerID: Int64
    /// Oldest first.
    public var entries: [AuditEntry]
    public var erasure: ErasureRecord?

    enum CodingKeys: String, CodingKey {
        case customerID = "customer_id", entries, erasure
    }
}
