import CofferSupport
import Foundation

/// What the vault keeps of an erased customer: when, by whom and why, and the audit entry that
/// records it. Stored under a keyed digest of the reference (never the reference itself), so a
/// data-subject request about an erased customer can still be answered; it holds no PII.
public struct ErasureRecord: Sendable, Equatable, Codable {
    /// The internal id the customer had (what audit entries name).
    public var customerID: Int64
    /// ISO 8601, UTC, with milliseconds (the output contract's times).
    public var erasedAt: String
    public var actor: String
    public var role: String
    /// The policy purpose the eraser stated (`<other>` for free text, as in the audit log).
    public var purpose: String
    /// The sequence number of the audit entry that records the erasure.
    public var auditEntry: Int64

    enum CodingKeys: String, CodingKey {
        case customerID = "customer_id", erasedAt = "erased_at", actor, role, purpose, auditEntry = "audit_entry"
    }

    init(_ row: ErasureRow) {
        customerID = row.customerID
        erasedAt = Self.iso(row.erasedAtMilliseconds)
        actor = row.actor
        role = row.role
        purpose = row.purpose
        auditEntry = row.auditSeq
    }

    static func iso(_ milliseconds: Int64) -> String {
        OutputContract.timestamp(milliseconds: milliseconds)
    }
}

extension Vault {
    /// The lookup domain of erasure records' keyed digests (derived from the blind-index key;
    /// a name no schema field can have).
    static let erasureDomain = "erasure-record"

    /// Crypto-shreds a customer: its data key, sealed fields, orders, outcome and index
    /// entries are deleted (and zeroed on disk by `secure_delete`); the WAL is checkpointed so
    /// no copy of the wrapped key stays in it. An erasure record (keyed digest of the reference,
    /// time, actor, role, purpose, audit entry) is written in the same transaction.
    ///
    /// A purpose is required (one of the role's purposes when it lists them). A reference that
    /// was already erased throws `customerErased` with its record.
    @discardableResult
    package func erase(reference: String, session: Session, purpose: String?) throws(VaultError) -> ErasureRecord {
        let role = try authorize(session, .erase, action: .erase, purpose: purpose)
        let stated = purpose.flatMap { $0.isEmpty ? nil : $0 }
        guard let stated, role.accepts(purpose: stated) else {
            try audit(.user(session), .erase, purpose: purpose, outcome: .denied, detail: "purpose missing or not allowed")
            throw stated == nil ? .purposeRequired(role.purposes ?? []) : .purposeNotAllowed(allowed: role.purposes ?? [])
        }
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        let erasureDigest = try self.erasureDigest(reference, worker: worker)
        let existing = try store.read { tx in try tx.customerID(referenceIndex: digest) }
        guard existing != nil else {
            if let record = try erasureRecord(digest: erasureDigest) {
                try audit(.user(session), .erase, purpose: stated, outcome: .failed, customers: CustomerIDSet([record.customerID]),
                          detail: "already erased")
                throw .customerErased(record)
            }
            try audit(.user(session), .erase, purpose: stated, outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        let row = try store.write { tx -> ErasureRow in
            guard let id = try tx.customerID(referenceIndex: digest) else { throw VaultError.customerNotFound }
            try tx.deleteCustomer(id: id)
            let entry = try self.audit(.user(session), .erase, purpose: stated, customers: CustomerIDSet([id]),
                                       detail: "data key destroyed", in: tx)
            let row = ErasureRow(referenceDigest: erasureDigest, customerID: id, erasedAtMilliseconds: entry.timeMilliseconds,
                                 auditSeq: entry.seq, actor: entry.actor, role: entry.role, purpose: entry.purpose)
            try tx.insertErasure(row)
            return row
        }
        try checkpoint()
        logger.notice("customer erased", metadata: ["id": "\(row.customerID)"])
        return ErasureRecord(row)
    }

    /// The internal id of the customer `reference` names, live or erased (with its erasure
    /// record): what data-subject answers look up. A miss is audited as a failed `action` and
    /// thrown as `customerNotFound`.
    package func subjectID(reference: String, session: Session, action: AuditAction, purpose: String?) throws(VaultError) -> (id: Int64, erasure: ErasureRecord?) {
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        if let id = try store.read({ tx in try tx.customerID(referenceIndex: digest) }) { return (id, nil) }
        if let record = try erasureRecord(digest: try erasureDigest(reference, worker: worker)) { return (record.customerID, record) }
        try audit(.user(session), action, purpose: purpose, outcome: .failed, detail: "no such customer")
        throw .customerNotFound
    }

    /// Keyed digest of a normalized reference in the erasure domain.
    func erasureDigest(_ reference: String, worker: CryptoWorker) throws(VaultError) -> [UInt8] {
        guard let spec = schema[Schema.referenceField] else { throw .corruptVault("schema without customer_ref") }
        let normalized: String?
        do { normalized = try spec.normalize(reference) } catch { throw .invalidValue(error) }
        guard let normalized else { throw .missingValue(field: Schema.referenceField) }
        return try worker.indexDigest(field: Self.erasureDomain, value: normalized)
    }

    /// The erasure stored under `digest`, checked against the MAC-chained audit entry it names
    /// (a row planted or edited by SQL is refused).
    func erasureRecord(digest: [UInt8]) throws(VaultError) -> ErasureRecord? {
        try store.read { tx -> ErasureRecord? in
            guard let row = try tx.erasure(referenceDigest: digest) else { return nil }
            var matches = false
            try tx.auditEntries(actor: row.actor, action: .erase, outcome: .ok, sinceMilliseconds: row.erasedAtMilliseconds,
                                untilMilliseconds: row.erasedAtMilliseconds + 1, newestFirst: false) { entry in
                if entry.seq == row.auditSeq, entry.outcome == .ok, entry.customers.contains(row.customerID), entry.purpose == row.purpose {
                    matches = true
                    return false
                }
                return true
            }
            guard matches else {
                throw VaultError.corruptVault("erasure record of customer \(row.customerID) does not match audit entry \(row.auditSeq)")
            }
            return ErasureRecord(row)
        }
    }
}
