import Foundation
import GRDB
#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif

/// One SQLite transaction, as the vault sees it through `StoreReading` / `StoreWriting`.
/// Statements are prepared once per connection (`cachedStatement`), or once per transaction for
/// the per-row writes of a batch, and always bound.
package struct SQLiteTransaction: StoreWriting {
    /// The connection, reachable from nowhere else: SQL stays in this folder.
    private let db: Database
    /// The statements of per-row writes, prepared once per transaction (an import or re-wrap
    /// batch runs each of them thousands of times).
    private let prepared = PreparedStatements()

    package init(db: Database) {
        self.db = db
    }

    private enum PerRow: Int, CaseIterable {
        case insertCustomer, updateFields, updateDataKey, addIndexEntry, removeIndexEntries
        case insertOrder, nextOrderOccurrence, outcomeExists, replaceOutcome, insertAuditEntry
    }

    private final class PreparedStatements {
        var statements = [Statement?](repeating: nil, count: PerRow.allCases.count)
    }

    /// `sql`, prepared the first time this transaction runs it.
    private func statement(_ key: PerRow, _ sql: String) throws -> Statement {
        if let statement = prepared.statements[key.rawValue] { return statement }
        let statement = try db.makeStatement(sql: sql)
        prepared.statements[key.rawValue] = statement
        return statement
    }

    // MARK: Settings

    package func settings() throws -> [String: [UInt8]] {
        var settings: [String: [UInt8]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") {
            settings[row["key"]] = [UInt8](row["value"] as Data)
        }
        return settings
    }

    package func setting(_ key: String) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]).map { [UInt8]($0) }
    }

    package func insertSetting(_ key: String, value: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, Data(value)])
    }

    package func replaceSetting(_ key: String, value: [UInt8]) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, Data(value)])
    }

    // MARK: Keyring

    package func keyRecords() throws -> [KeyRecord] {
        try Row.fetchAll(db, sql: "SELECT kind, version, state, created_at, retired_at, uses, sealed_key FROM keyring ORDER BY kind, version")
            .map { row in
                guard let kind = KeyRing.Kind(rawValue: row["kind"]), let state = KeyState(rawValue: row["state"]) else {
                    throw VaultError.corruptVault("unknown keyring entry")
                }
                return KeyRecord(kind: kind, version: UInt32(row["version"] as Int64), state: state, createdAt: row["created_at"],
                                 retiredAt: row["retired_at"], uses: row["uses"], sealedKey: (row["sealed_key"] as Data?).map { [UInt8]($0) })
            }
    }

    package func activeKEKVersion() throws -> UInt32? {
        try Int64.fetchOne(db, sql: "SELECT version FROM keyring WHERE kind = 'kek' AND state = 'active'").map { UInt32($0) }
    }

    package func highestKEKVersion() throws -> UInt32 {
        UInt32(try Int64.fetchOne(db, sql: "SELECT max(version) FROM keyring WHERE kind = 'kek'") ?? 0)
    }

    package func kekUses(version: UInt32) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT uses FROM keyring WHERE kind = 'kek' AND version = ?", arguments: [Int64(version)]) ?? 0
    }

    package func kekState(version: UInt32) throws -> KeyState? {
        try String.fetchOne(db, sql: "SELECT state FROM keyring WHERE kind = 'kek' AND version = ?", arguments: [Int64(version)])
            .flatMap(KeyState.init(rawValue:))
    }

    package func insertKey(_ record: KeyRecord) throws {
        try db.execute(sql: """
            INSERT INTO keyring (kind, version, state, created_at, retired_at, uses, sealed_key) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [record.kind.rawValue, Int64(record.version), record.state.rawValue, record.createdAt, record.retiredAt,
                             record.uses, record.sealedKey.map { Data($0) }])
    }

    package func demoteActiveKEK() throws {
        try db.execute(sql: "UPDATE keyring SET state = 'decrypt_only' WHERE kind = 'kek' AND state = 'active'")
    }

    package func retireKEK(version: UInt32, at seconds: Int64) throws {
        try db.execute(sql: "UPDATE keyring SET state = 'retired', sealed_key = NULL, retired_at = ? WHERE kind = 'kek' AND version = ?",
                       arguments: [seconds, Int64(version)])
    }

    package func addKEKUses(_ count: Int64, version: UInt32) throws {
        try db.execute(sql: "UPDATE keyring SET uses = uses + ? WHERE kind = 'kek' AND version = ?", arguments: [count, Int64(version)])
    }

    // MARK: Customers

    private static let customerColumns = "id, ref_index, kek_version, wrapped_dek, fields, created_at, updated_at"
    private static let insertCustomerSQL = "INSERT INTO customers (\(customerColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)"

    private static func customer(_ row: Row) -> CustomerRecord {
        CustomerRecord(id: row[0], referenceIndex: [UInt8](row[1] as Data), kekVersion: UInt32(row[2] as Int64),
                       wrappedDataKey: [UInt8](row[3] as Data), fields: [UInt8](row[4] as Data), createdAt: row[5], updatedAt: row[6])
    }

    private func customers(sql: String, _ arguments: StatementArguments) throws -> [CustomerRecord] {
        var records: [CustomerRecord] = []
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try cursor.next() { records.append(Self.customer(row)) }
        return records
    }

    package func customer(referenceIndex: [UInt8]) throws -> CustomerRecord? {
        try customers(sql: "SELECT \(Self.customerColumns) FROM customers WHERE ref_index = ?", [Data(referenceIndex)]).first
    }

    package func customerID(referenceIndex: [UInt8]) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE ref_index = ?", arguments: [Data(referenceIndex)])
    }

    package func customers(referenceIndexes: [[UInt8]]) throws -> [CustomerRecord] {
        try inChunks(referenceIndexes) { chunk, marks in
            try customers(sql: "SELECT \(Self.customerColumns) FROM customers WHERE ref_index IN (\(marks))", chunk)
        }
    }

    /// Runs `fetch` over `keys` 500 at a time (with the chunk's `?, ?, …`): SQLite binds at most
    /// 32,766 parameters, and a few fixed sizes keep the statements cacheable.
    private func inChunks<Record>(_ keys: [[UInt8]], _ fetch: (StatementArguments, String) throws -> [Record]) throws -> [Record] {
        var records: [Record] = []
        for start in stride(from: 0, to: keys.count, by: 500) {
            let chunk = keys[start..<min(start + 500, keys.count)]
            records += try fetch(StatementArguments(chunk.map { Data($0) }), databaseQuestionMarks(count: chunk.count))
        }
        return records
    }

    package func customers(indexedField field: Int, digest: [UInt8]) throws -> [CustomerRecord] {
        try customers(sql: """
            SELECT c.id, c.ref_index, c.kek_version, c.wrapped_dek, c.fields, c.created_at, c.updated_at
            FROM blind_index b JOIN customers c ON c.id = b.customer_id WHERE b.field = ? AND b.digest = ? ORDER BY c.id
            """, [field, Data(digest)])
    }

    package func customers(after: Int64, upTo: Int64, limit: Int) throws -> [CustomerRecord] {
        try customers(sql: "SELECT \(Self.customerColumns) FROM customers WHERE id > ? AND id <= ? ORDER BY id LIMIT ?", [after, upTo, limit])
    }

    private func customerKeys(sql: String, _ arguments: StatementArguments) throws -> [CustomerKey] {
        var keys: [CustomerKey] = []
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try cursor.next() {
            keys.append(CustomerKey(id: row[0], referenceIndex: [UInt8](row[1] as Data), kekVersion: UInt32(row[2] as Int64),
                                    wrappedDataKey: [UInt8](row[3] as Data)))
        }
        return keys
    }

    package func customerKeys(referenceIndexes: [[UInt8]]) throws -> [CustomerKey] {
        try inChunks(referenceIndexes) { chunk, marks in
            try customerKeys(sql: "SELECT id, ref_index, kek_version, wrapped_dek FROM customers WHERE ref_index IN (\(marks))", chunk)
        }
    }

    package func customerKeys(notWrappedBy version: UInt32, limit: Int) throws -> [CustomerKey] {
        try customerKeys(sql: "SELECT id, ref_index, kek_version, wrapped_dek FROM customers WHERE kek_version != ? ORDER BY id LIMIT ?",
                         [Int64(version), limit])
    }

    package func customerIDs() throws -> CustomerIDSet {
        var ids = CustomerIDSet()
        let cursor = try Int64.fetchCursor(db, sql: "SELECT id FROM customers ORDER BY id")
        while let id = try cursor.next() { ids.appendAscending(id) }
        return ids
    }

    package func customerCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM customers") ?? 0
    }

    package func customerCountsByKEK() throws -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT kek_version, count(*) FROM customers GROUP BY kek_version") {
            counts[UInt32(row[0] as Int64)] = row[1]
        }
        return counts
    }

    package func customerCount(wrappedBy version: UInt32) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM customers WHERE kek_version = ?", arguments: [Int64(version)]) ?? 0
    }

    package func customerCount(notWrappedBy version: UInt32) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM customers WHERE kek_version != ?", arguments: [Int64(version)]) ?? 0
    }

    package func highestCustomerID() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'customers'") ?? 0
    }

    package func insertCustomer(_ record: CustomerRecord) throws {
        // AUTOINCREMENT records the explicit id in sqlite_sequence, so ids are never reused.
        try statement(.insertCustomer, Self.insertCustomerSQL)
            .execute(arguments: [record.id, Data(record.referenceIndex), Int64(record.kekVersion), Data(record.wrappedDataKey),
                                 Data(record.fields), record.createdAt, record.updatedAt])
    }

    package func updateCustomerFields(id: Int64, fields: [UInt8], updatedAt seconds: Int64) throws {
        try statement(.updateFields, "UPDATE customers SET fields = ?, updated_at = ? WHERE id = ?").execute(arguments: [Data(fields), seconds, id])
    }

    package func updateCustomerDataKey(id: Int64, wrappedDataKey: [UInt8], kekVersion: UInt32) throws {
        try statement(.updateDataKey, "UPDATE customers SET wrapped_dek = ?, kek_version = ? WHERE id = ?")
            .execute(arguments: [Data(wrappedDataKey), Int64(kekVersion), id])
    }

    package func deleteCustomer(id: Int64) throws {
        try db.execute(sql: "DELETE FROM blind_index WHERE customer_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM orders WHERE customer_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM outcomes WHERE customer_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM customers WHERE id = ?", arguments: [id])
    }

    package func erasure(referenceDigest: [UInt8]) throws -> ErasureRow? {
        try Row.fetchOne(db, sql: """
            SELECT customer_id, erased_at_ms, audit_seq, actor, role, purpose FROM erasures WHERE ref_digest = ? ORDER BY erased_at_ms DESC, customer_id DESC LIMIT 1
            """, arguments: [Data(referenceDigest)]).map { row in
            ErasureRow(referenceDigest: referenceDigest, customerID: row[0], erasedAtMilliseconds: row[1], auditSeq: row[2],
                       actor: row[3], role: row[4], purpose: row[5])
        }
    }

    package func insertErasure(_ row: ErasureRow) throws {
        try db.execute(sql: """
            INSERT INTO erasures (ref_digest, customer_id, erased_at_ms, audit_seq, actor, role, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Data(row.referenceDigest), row.customerID, row.erasedAtMilliseconds, row.auditSeq, row.actor, row.role, row.purpose])
    }

    package func addIndexEntry(field: Int, digest: [UInt8], customerID: Int64) throws {
        try statement(.addIndexEntry, "INSERT OR IGNORE INTO blind_index (field, digest, customer_id) VALUES (?, ?, ?)")
            .execute(arguments: [field, Data(digest), customerID])
    }

    package func removeIndexEntries(field: Int, customerID: Int64) throws {
        try statement(.removeIndexEntries, "DELETE FROM blind_index WHERE customer_id = ? AND field = ?").execute(arguments: [customerID, field])
    }

    // MARK: Orders and outcomes

    package func orders(customerID: Int64) throws -> [SealedOrder] {
        try Row.fetchAll(db, sql: "SELECT dedup_key, sealed FROM orders WHERE customer_id = ? ORDER BY id", arguments: [customerID]).map { row in
            SealedOrder(customerID: customerID, dedupKey: [UInt8](row[0] as Data), sealed: [UInt8](row[1] as Data))
        }
    }

    package func orders(customerIDs ids: ClosedRange<Int64>) throws -> [SealedOrder] {
        var orders: [SealedOrder] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT customer_id, dedup_key, sealed FROM orders WHERE customer_id BETWEEN ? AND ?",
                                         arguments: [ids.lowerBound, ids.upperBound])
        while let row = try cursor.next() {
            orders.append(SealedOrder(customerID: row[0], dedupKey: [UInt8](row[1] as Data), sealed: [UInt8](row[2] as Data)))
        }
        return orders
    }

    package func outcome(customerID: Int64) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT sealed FROM outcomes WHERE customer_id = ?", arguments: [customerID]).map { [UInt8]($0) }
    }

    package func outcomes(customerIDs ids: ClosedRange<Int64>) throws -> [(customerID: Int64, sealed: [UInt8])] {
        var outcomes: [(customerID: Int64, sealed: [UInt8])] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT customer_id, sealed FROM outcomes WHERE customer_id BETWEEN ? AND ?",
                                         arguments: [ids.lowerBound, ids.upperBound])
        while let row = try cursor.next() { outcomes.append((row[0], [UInt8](row[1] as Data))) }
        return outcomes
    }

    package func insertOrder(_ order: SealedOrder) throws -> Bool {
        try statement(.insertOrder, "INSERT OR IGNORE INTO orders (customer_id, dedup_key, sealed) VALUES (?, ?, ?)")
            .execute(arguments: [order.customerID, Data(order.dedupKey), Data(order.sealed)])
        return db.changesCount > 0
    }

    package func nextOrderOccurrence(_ key: [UInt8]) throws -> Int {
        let occurrence = try statement(.nextOrderOccurrence, """
            INSERT INTO order_occurrences (k, n) VALUES (?, 0) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n
            """)
        return try Int.fetchOne(occurrence, arguments: [Data(key)]) ?? 0
    }

    package func resetOrderOccurrences() throws {
        // A connection-private table: concurrent imports in other processes keep their own counts.
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS order_occurrences (k BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
        try db.execute(sql: "DELETE FROM order_occurrences")
    }

    package func replaceOutcome(customerID: Int64, sealed: [UInt8]) throws -> Bool {
        let existed = try Bool.fetchOne(statement(.outcomeExists, "SELECT 1 FROM outcomes WHERE customer_id = ?"), arguments: [customerID]) ?? false
        try statement(.replaceOutcome, "INSERT OR REPLACE INTO outcomes (customer_id, sealed) VALUES (?, ?)").execute(arguments: [customerID, Data(sealed)])
        return existed
    }

    // MARK: Users

    private static let userColumns = "id, name, role, token_hash, created_at, revoked_at, mac, expires_at"

    private func users(sql: String, _ arguments: StatementArguments = []) throws -> [UserRecord] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            UserRecord(id: row[0], name: row[1], role: row[2], tokenHash: [UInt8](row[3] as Data), createdAt: row[4], revokedAt: row[5],
                       mac: [UInt8](row[6] as Data), expiresAt: row[7])
        }
    }

    package func user(id: Int64) throws -> UserRecord? {
        try users(sql: "SELECT \(Self.userColumns) FROM users WHERE id = ?", [id]).first
    }

    package func user(tokenHash: [UInt8]) throws -> UserRecord? {
        try users(sql: "SELECT \(Self.userColumns) FROM users WHERE token_hash = ?", [Data(tokenHash)]).first
    }

    package func user(name: String) throws -> UserRecord? {
        try users(sql: "SELECT \(Self.userColumns) FROM users WHERE name = ?", [name]).first
    }

    package func users() throws -> [UserRecord] {
        try users(sql: "SELECT \(Self.userColumns) FROM users ORDER BY name")
    }

    package func insertUser(name: String, role: String, tokenHash: [UInt8], createdAt seconds: Int64, expiresAt: Int64? = nil) throws -> Int64 {
        try db.execute(sql: "INSERT INTO users (name, role, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [name, role, Data(tokenHash), seconds, expiresAt])
        return db.lastInsertedRowID
    }

    package func setUserRole(name: String, role: String) throws -> Bool {
        try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role, name])
        return db.changesCount == 1
    }

    package func revokeUser(name: String, at seconds: Int64) throws -> Bool {
        try db.execute(sql: "UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [seconds, name])
        return db.changesCount == 1
    }

    package func replaceUserToken(name: String, tokenHash: [UInt8]) throws -> Bool {
        try db.execute(sql: "UPDATE users SET token_hash = ?, revoked_at = NULL WHERE name = ?", arguments: [Data(tokenHash), name])
        return db.changesCount == 1
    }

    package func setUserMAC(id: Int64, mac: [UInt8]) throws {
        try db.execute(sql: "UPDATE users SET mac = ? WHERE id = ?", arguments: [Data(mac), id])
    }

    // MARK: Policy history

    package func policyVersions() throws -> [PolicyVersionRecord] {
        try Row.fetchAll(db, sql: "SELECT id, applied_at_ms, digest, yaml, mac FROM policy_history ORDER BY id").map { row in
            PolicyVersionRecord(id: row[0], appliedAtMilliseconds: row[1], digest: row[2], yaml: [UInt8](row[3] as Data), mac: [UInt8](row[4] as Data))
        }
    }

    package func policyVersionCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM policy_history") ?? 0
    }

    package func highestPolicyVersionID() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM policy_history") ?? 0
    }

    package func insertPolicyVersion(_ record: PolicyVersionRecord) throws {
        try db.execute(sql: "INSERT INTO policy_history (id, applied_at_ms, digest, yaml, mac) VALUES (?, ?, ?, ?, ?)",
                       arguments: [record.id, record.appliedAtMilliseconds, record.digest, Data(record.yaml), Data(record.mac)])
    }

    // MARK: Audit log

    package func lastAuditLink() throws -> (seq: Int64, mac: [UInt8])? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1")).map { row in
            (row[0], [UInt8](row[1] as Data))
        }
    }

    package func auditMAC(seq: Int64) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT mac FROM audit_log WHERE seq = ?", arguments: [seq]).map { [UInt8]($0) }
    }

    package func auditEntryCount() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT count(*) FROM audit_log") ?? 0
    }

    package func auditEntries(actor: String?, action: AuditAction?, outcome: AuditEntry.Outcome?, sinceMilliseconds: Int64?,
                              untilMilliseconds: Int64?, newestFirst: Bool, _ body: (AuditEntry) throws -> Bool) throws {
        // Each condition is a fixed SQL fragment with a bound value; no input reaches the SQL text.
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let actor { conditions.append("actor = ?"); arguments.append(actor) }
        if let action { conditions.append("action = ?"); arguments.append(action.rawValue) }
        if let outcome { conditions.append("outcome = ?"); arguments.append(outcome.rawValue) }
        if let sinceMilliseconds { conditions.append("time_ms >= ?"); arguments.append(sinceMilliseconds) }
        if let untilMilliseconds { conditions.append("time_ms < ?"); arguments.append(untilMilliseconds) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT seq, time_ms, actor, role, action, purpose, outcome, fields, customer_count, customers, detail, mac
            FROM audit_log \(whereClause) ORDER BY seq \(newestFirst ? "DESC" : "ASC")
            """, arguments: StatementArguments(arguments))
        while let row = try cursor.next() {
            guard try body(Self.auditEntry(row)) else { return }
        }
    }

    package func scanAuditEntries(_ body: (AuditEntryColumns) throws -> Bool) throws {
        // GRDB's rows would copy every column; this steps SQLite's statement itself and lends
        // each column's bytes where SQLite holds them (valid until the next step).
        let statement = try db.makeStatement(sql: """
            SELECT seq, time_ms, actor, role, action, purpose, outcome, fields, customer_count, customers, detail, mac
            FROM audit_log ORDER BY seq
            """)
        let handle = statement.sqliteStatement
        func column(_ index: Int32) -> UnsafeRawBufferPointer {
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let base = sqlite3_column_blob(handle, index) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: base, count: count)
        }
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw VaultError.storage("reading the audit log failed (\(status))") }
            let row = AuditEntryColumns(seq: sqlite3_column_int64(handle, 0), timeMilliseconds: sqlite3_column_int64(handle, 1),
                                        actor: column(2), role: column(3), action: column(4), purpose: column(5), outcome: column(6),
                                        fields: column(7), customerCount: sqlite3_column_int64(handle, 8), customers: column(9),
                                        detail: column(10), mac: column(11))
            guard try body(row) else { return }
        }
    }

    /// An entry from a row of `audit_log` (its columns in table order, as `SELECT *` gives them).
    package static func auditEntry(_ row: Row) throws -> AuditEntry {
        let seq: Int64 = row[0]
        guard let customers = CustomerIDSet(encoded: [UInt8](row[9] as Data)), customers.count == row[8] as Int64,
              let outcome = AuditEntry.Outcome(rawValue: row[6]), let action = AuditAction(rawValue: row[4]) else {
            throw VaultError.corruptVault("audit entry \(seq) is malformed")
        }
        let fields: String = row[7]
        return AuditEntry(seq: seq, timeMilliseconds: row[1], actor: row[2], role: row[3], action: action, purpose: row[5], outcome: outcome,
                          fields: fields.isEmpty ? [] : fields.split(separator: ",").map(String.init),
                          customers: customers, detail: row[10], mac: [UInt8](row[11] as Data))
    }

    package func insertAuditEntry(_ entry: AuditEntry) throws {
        try statement(.insertAuditEntry, """
            INSERT INTO audit_log (seq, time_ms, actor, role, action, purpose, outcome, fields, customer_count, customers, detail, mac)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [entry.seq, entry.timeMilliseconds, entry.actor, entry.role, entry.action.rawValue, entry.purpose,
                                     entry.outcome.rawValue, entry.fields.joined(separator: ","), entry.customerCount,
                                     Data(entry.customers.encoded()), entry.detail, Data(entry.mac)])
    }
}
