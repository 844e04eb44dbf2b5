import CofferCrypto
import Foundation
import GRDB

/// The result of checking the whole audit chain.
public struct AuditVerification: Sendable, Equatable, Codable {
    /// Entries checked.
    public var entries: Int64
    /// Sequence number of the last entry, 0 for an empty log.
    public var lastSeq: Int64
    /// The first entry that fails, if any, and why (edited, deleted, reordered, forged...).
    public var firstBadSeq: Int64?
    public var problem: String?
    public var isIntact: Bool { firstBadSeq == nil && problem == nil }
}

/// Selects audit entries. Every condition given must hold.
public struct AuditQuery: Sendable {
    public var actor: String?
    public var action: String?
    public var customerID: Int64?
    public var since: Date?
    public var until: Date?
    public var limit: Int?
    public init(actor: String? = nil, action: String? = nil, customerID: Int64? = nil, since: Date? = nil, until: Date? = nil, limit: Int? = nil) {
        self.actor = actor
        self.action = action
        self.customerID = customerID
        self.since = since
        self.until = until
        self.limit = limit
    }
}

extension Vault {
    /// Appends one entry in the caller's write transaction and returns it with its seq and MAC.
    @discardableResult
    func appendAudit(_ draft: AuditEntry, db: Database) throws -> AuditEntry {
        var entry = draft
        let chain = try AuditChain(auditKey: keyRing.auditKey, vaultID: keyRing.vaultID)
        let last = try Row.fetchOne(db, sql: "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1")
        entry.seq = (last?["seq"] as Int64? ?? 0) + 1
        let previous = (last?["mac"] as Data?).map { [UInt8]($0) } ?? chain.genesis
        entry.mac = try chain.mac(for: entry, previous: previous)
        try db.execute(sql: """
            INSERT INTO audit_log (seq, time_ms, actor, role, action, purpose, outcome, fields, customer_count, customers, detail, mac)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [entry.seq, entry.timeMilliseconds, entry.actor, entry.role, entry.action, entry.purpose,
                             entry.outcome.rawValue, entry.fields.joined(separator: ","), entry.customerCount,
                             Data(entry.customers.encoded()), entry.detail, Data(entry.mac)])
        if entry.customerCount <= AuditEntry.indexedCustomerLimit {
            let index = try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_customers (customer_id, seq) VALUES (?, ?)")
            for id in entry.customers.ids { try index.execute(arguments: [id, entry.seq]) }
        }
        return entry
    }

    /// Appends one entry in its own durable transaction. Fails closed: the caller must not
    /// release any value if this throws.
    @discardableResult
    func audit(actor: String, role: String, action: String, purpose: String = "", outcome: AuditEntry.Outcome = .ok,
               fields: [String] = [], customers: CustomerIDSet = CustomerIDSet(), detail: String = "") throws(VaultError) -> AuditEntry {
        let draft = AuditEntry(seq: 0, timeMilliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded()), actor: actor, role: role,
                               action: action, purpose: purpose, outcome: outcome, fields: fields, customers: customers,
                               detail: detail, mac: [])
        do {
            return try database.write { db in try self.appendAudit(draft, db: db) }
        } catch {
            throw .auditUnavailable(VaultDatabase.describe(error))
        }
    }

    /// Recomputes every MAC from the first entry on and names the first that does not match.
    ///
    /// Each entry's MAC covers the previous entry's stored MAC, so an edited, deleted, inserted
    /// or reordered entry breaks the chain exactly there; rewriting the chain needs the audit key.
    public func verifyAudit(progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> AuditVerification {
        let chain: AuditChain
        do { chain = try AuditChain(auditKey: keyRing.auditKey, vaultID: keyRing.vaultID) } catch { throw .crypto(error) }
        return try database.read { db in
            let total = try Int64.fetchOne(db, sql: "SELECT count(*) FROM audit_log") ?? 0
            var result = AuditVerification(entries: 0, lastSeq: 0)
            var previous = chain.genesis
            var expectedSeq: Int64 = 1
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY seq")
            while let row = try cursor.next() {
                result.entries += 1
                guard let entry = try? Self.entry(from: row) else {
                    result.firstBadSeq = row["seq"]
                    result.problem = "entry \(row["seq"] as Int64) is malformed"
                    return result
                }
                result.lastSeq = entry.seq
                if entry.seq != expectedSeq {
                    result.firstBadSeq = entry.seq
                    result.problem = entry.seq > expectedSeq
                        ? "entry \(expectedSeq)\(entry.seq - expectedSeq > 1 ? "-\(entry.seq - 1)" : "") is missing (deleted)"
                        : "entry \(entry.seq) is out of order"
                    return result
                }
                guard constantTimeEquals(try chain.mac(for: entry, previous: previous), entry.mac) else {
                    result.firstBadSeq = entry.seq
                    result.problem = "entry \(entry.seq) does not match its MAC (edited, forged, reordered, or the entry before it changed)"
                    return result
                }
                previous = entry.mac
                expectedSeq += 1
                if result.entries % 100_000 == 0 { progress?(WorkProgress(completed: Int(result.entries), total: Int(total), unit: "entries")) }
            }
            return result
        }
    }

    /// Entries matching `query`, oldest first.
    public func auditEntries(_ query: AuditQuery) throws(VaultError) -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let actor = query.actor { conditions.append("actor = ?"); arguments.append(actor) }
        if let action = query.action { conditions.append("action = ?"); arguments.append(action) }
        if let since = query.since { conditions.append("time_ms >= ?"); arguments.append(Int64(since.timeIntervalSince1970 * 1000)) }
        if let until = query.until { conditions.append("time_ms < ?"); arguments.append(Int64(until.timeIntervalSince1970 * 1000)) }
        if let id = query.customerID {
            // Small entries are indexed per customer; bulk entries are checked by decoding their id set.
            conditions.append("(seq IN (SELECT seq FROM audit_customers WHERE customer_id = ?) OR customer_count > ?)")
            arguments.append(id)
            arguments.append(AuditEntry.indexedCustomerLimit)
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try database.read { db in
            var out: [AuditEntry] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log \(whereClause) ORDER BY seq", arguments: StatementArguments(arguments))
            while let row = try cursor.next() {
                let entry = try Self.entry(from: row)
                if let id = query.customerID, !entry.customers.contains(id) { continue }
                out.append(entry)
                if let limit = query.limit, out.count >= limit { break }
            }
            return out
        }
    }

    static func entry(from row: Row) throws -> AuditEntry {
        guard let customers = CustomerIDSet(encoded: [UInt8](row["customers"] as Data)),
              customers.count == row["customer_count"] as Int64,
              let outcome = AuditEntry.Outcome(rawValue: row["outcome"]) else {
            throw VaultError.corruptVault("audit entry \(row["seq"] as Int64) is malformed")
        }
        let fields: String = row["fields"]
        return AuditEntry(seq: row["seq"], timeMilliseconds: row["time_ms"], actor: row["actor"], role: row["role"],
                          action: row["action"], purpose: row["purpose"], outcome: outcome,
                          fields: fields.isEmpty ? [] : fields.split(separator: ",").map(String.init),
                          customers: customers, detail: row["detail"], mac: [UInt8](row["mac"] as Data))
    }
}
