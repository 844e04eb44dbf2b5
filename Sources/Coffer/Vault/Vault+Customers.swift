import CofferCrypto
import Foundation
import GRDB

extension Vault {
    /// Which blind-indexed field to search and the value to look for (any formatting).
    public enum Lookup: Sendable {
        case email(String)
        case phone(String)
        case field(String, String)

        var pair: (String, String) {
            switch self {
            case let .email(v): ("email", v)
            case let .phone(v): ("phone", v)
            case let .field(f, v): (f, v)
            }
        }
    }

    /// The customer whose `customer_ref` is `reference`, fully decrypted (admin read).
    public func customer(reference: String) throws(VaultError) -> CustomerView {
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        return try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, wrapped_dek, fields FROM customers WHERE ref_index = ?", arguments: [Data(digest)]) else {
                throw VaultError.customerNotFound
            }
            let view = try self.view(of: row, db: db, worker: worker)
            // The index row could have been moved to another customer: trust only the sealed reference.
            let wanted = try? self.schema[Schema.referenceField]?.normalize(reference)
            guard let wanted, view[Schema.referenceField] == wanted else {
                throw VaultError.corruptVault("customer \(view.id): its reference does not match the index")
            }
            return view
        }
    }

    /// Customers whose indexed field equals `lookup`'s value after normalization.
    public func find(_ lookup: Lookup) throws(VaultError) -> [CustomerView] {
        let (fieldName, raw) = lookup.pair
        guard let spec = schema[fieldName] else { throw .invalidInput("no field '\(fieldName)' in the schema") }
        guard spec.blindIndex else { throw .invalidInput("field '\(fieldName)' is not blind-indexed; exact lookups need blind_index: true in the schema") }
        let normalized: String
        do {
            guard let value = try spec.normalize(raw) else { throw VaultError.invalidInput("\(fieldName): empty value") }
            normalized = value
        } catch let rejection as ValueRejection {
            throw .invalidValue(rejection)
        } catch {
            throw error as! VaultError
        }
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try worker.indexDigest(field: fieldName, value: spec.blindIndexForm(ofNormalized: normalized))
        return try database.read { db in
            var views: [CustomerView] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.wrapped_dek, c.fields FROM blind_index b JOIN customers c ON c.id = b.customer_id
                WHERE b.field = ? AND b.digest = ? ORDER BY c.id
                """, arguments: [schema.index(of: fieldName)!, Data(digest)])
            for row in rows {
                let view = try self.view(of: row, db: db, worker: worker)
                // A truncated keyed hash could in theory collide: confirm on the decrypted value.
                if let value = view[fieldName], spec.blindIndexForm(ofNormalized: value) == spec.blindIndexForm(ofNormalized: normalized) {
                    views.append(view)
                }
            }
            return views
        }
    }

    /// Creates or updates one customer from field values (nil clears a field).
    /// Values are validated against the schema; nothing is written if any is invalid.
    @discardableResult
    public func put(_ values: [String: String?]) throws(VaultError) -> (id: Int64, created: Bool) {
        var columns: [FieldSpec] = []
        var normalized: [String?] = []
        for name in values.keys.sorted() {
            guard let spec = schema[name] else { throw .invalidInput("unknown field '\(name)'; the schema has: \(schema.fieldNames.joined(separator: ", "))") }
            columns.append(spec)
            do {
                normalized.append(try values[name]!.flatMap { raw throws(ValueRejection) in try spec.normalize(raw) })
            } catch {
                throw .invalidValue(error)
            }
        }
        guard let refColumn = columns.firstIndex(where: { $0.name == Schema.referenceField }), let reference = normalized[refColumn] else {
            throw .invalidInput("'\(Schema.referenceField)' is required")
        }
        let row = CustomerUpsert(line: 0, reference: reference, values: normalized)
        let workers = [CryptoWorker(keyRing: keyRing)]
        let outcome = try database.write { db in
            try self.upsertCustomers([row], columns: columns, workers: workers, db: db)[0]
        }
        switch outcome {
        case let .inserted(id): return (id, true)
        case let .updated(id): return (id, false)
        case let .rejected(reason): throw .invalidInput(reason)
        }
    }

    /// Crypto-shreds a customer: its data key, sealed fields, orders, outcome and index
    /// entries are deleted (and zeroed on disk by `secure_delete`); the WAL is checkpointed so
    /// no copy of the wrapped key stays in it. Returns the erased internal id.
    @discardableResult
    public func erase(reference: String) throws(VaultError) -> Int64 {
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        let id = try database.write { db -> Int64 in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE ref_index = ?", arguments: [Data(digest)]) else {
                throw VaultError.customerNotFound
            }
            try db.execute(sql: "DELETE FROM blind_index WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM orders WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM outcomes WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM customers WHERE id = ?", arguments: [id])
            return id
        }
        try checkpoint()
        logger.notice("customer erased", metadata: ["id": "\(id)"])
        return id
    }

    /// Number of customers in the vault.
    public func customerCount() throws(VaultError) -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM customers") ?? 0 }
    }

    /// Copies the WAL into the database file and truncates it, so pages that held erased data
    /// or destroyed keys survive in neither. Waits up to `patience` for readers in other
    /// processes; fails with `checkpointBlocked` if they never let go.
    func checkpoint(patience: TimeInterval = 5) throws(VaultError) {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            let complete: Bool
            do {
                complete = try database.queue.writeWithoutTransaction { db in
                    guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") else { return false }
                    let busy: Int = row[0], log: Int = row[1], done: Int = row[2]
                    return busy == 0 && log == done
                }
            } catch {
                throw .storage(VaultDatabase.describe(error))
            }
            if complete { return }
            guard Date() < deadline else { throw .checkpointBlocked }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func referenceDigest(_ reference: String, worker: CryptoWorker) throws(VaultError) -> [UInt8] {
        guard let spec = schema[Schema.referenceField] else { throw .corruptVault("schema without customer_ref") }
        let normalized: String?
        do { normalized = try spec.normalize(reference) } catch { throw .invalidValue(error) }
        guard let normalized else { throw .invalidInput("\(Schema.referenceField) is empty") }
        return try worker.indexDigest(field: Schema.referenceField, value: normalized)
    }

    /// Decrypts one customers row (id, wrapped_dek, fields) with its orders and outcome.
    private func view(of row: Row, db: Database, worker: CryptoWorker) throws -> CustomerView {
        let id: Int64 = row["id"]
        let dataKey = try worker.unwrap([UInt8](row["wrapped_dek"] as Data), customerID: id)
        let cipher = try AES256GCM(key: dataKey)
        let container = try FieldContainer(decoding: [UInt8](row["fields"] as Data), fieldCount: schema.fields.count)
        var fields: [FieldValue] = []
        for (position, spec) in schema.fields.enumerated() {
            guard let sealed = container[position] else { continue }
            do {
                let value = try SealedBox.openString(sealed, context: SealContext(kind: .field, recordID: id, name: spec.name), cipher: cipher)
                fields.append(FieldValue(name: spec.name, value: value))
            } catch {
                throw VaultError.corruptVault("customer \(id): field '\(spec.name)' fails authentication")
            }
        }
        var orders: [OrderView] = []
        for order in try Row.fetchAll(db, sql: "SELECT dedup_key, sealed FROM orders WHERE customer_id = ? ORDER BY id", arguments: [id]) {
            let dedup = [UInt8](order["dedup_key"] as Data)
            let payload = try OrderRecord.open([UInt8](order["sealed"] as Data), customerID: id, dedupKey: dedup, cipher: cipher)
            orders.append(OrderView(date: payload.date, amount: payload.amount, category: payload.category))
        }
        var outcome: OutcomeView?
        if let sealed = try Data.fetchOne(db, sql: "SELECT sealed FROM outcomes WHERE customer_id = ?", arguments: [id]) {
            let record = try OutcomeRecord.open([UInt8](sealed), customerID: id, cipher: cipher)
            outcome = OutcomeView(outcome: record.outcome, closedAt: record.closedAt)
        }
        orders.sort { $0.date < $1.date }
        return CustomerView(id: id, fields: fields, orders: orders, outcome: outcome)
    }
}
