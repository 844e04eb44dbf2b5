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

    /// The customer whose `customer_ref` is `reference`, as `session`'s role may see it.
    ///
    /// Only the fields the role sees are decrypted. The read is audited (who, why, which
    /// customer, which fields) and the entry is durably committed before the view is returned;
    /// if the audit write fails, nothing is returned. A customer that does not exist and one the
    /// role may not read give the same answer.
    public func customer(reference: String, session: Session, purpose: String? = nil) throws(VaultError) -> CustomerView {
        let role = try authorizeRead(session, action: "read", purpose: purpose)
        // Looking a customer up by reference is only for roles that see references in clear:
        // for others it would map references to their pseudonyms, or confirm that one exists.
        guard role.view(of: Schema.referenceField) == .plain else {
            try audit(actor: session.name, role: session.role, action: "read", purpose: auditPurpose(purpose, role), outcome: .denied,
                      detail: "lookup by reference for a role that does not see references")
            throw .customerNotFound
        }
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        let view = try database.read { db -> CustomerView? in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, wrapped_dek, fields FROM customers WHERE ref_index = ?", arguments: [Data(digest)]) else {
                return nil
            }
            return try self.view(of: row, db: db, worker: worker, role: role, confirmReference: reference)
        }
        guard let view else {
            try audit(actor: session.name, role: session.role, action: "read", purpose: auditPurpose(purpose, nil), outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        try audit(actor: session.name, role: session.role, action: "read", purpose: auditPurpose(purpose, nil),
                  fields: view.fields.map(\.name), customers: CustomerIDSet([view.internalID]))
        return view
    }

    /// Customers whose indexed field equals `lookup`'s value after normalization, as the
    /// session's role sees them. The role must see the looked-up field (not redacted): a lookup
    /// by a value the role may not see would be an oracle for it.
    public func find(_ lookup: Lookup, session: Session, purpose: String? = nil) throws(VaultError) -> [CustomerView] {
        let (fieldName, raw) = lookup.pair
        let role = try authorizeRead(session, action: "find", purpose: purpose)
        guard let spec = schema[fieldName] else { throw .invalidInput("no field '\(fieldName)' in the schema") }
        guard spec.blindIndex else { throw .invalidInput("field '\(fieldName)' is not blind-indexed; exact lookups need blind_index: true in the schema") }
        // Only a field the role sees (plain or masked) may be searched: for a redacted or
        // pseudonymized field a lookup would be an oracle for values the role may not learn.
        guard [.plain, .masked].contains(role.view(of: fieldName)) else {
            try audit(actor: session.name, role: session.role, action: "find", purpose: auditPurpose(purpose, nil), outcome: .denied,
                      fields: [fieldName], detail: "lookup by a field the role cannot see")
            throw .notPermitted("role \(session.role) cannot look customers up by \(fieldName)")
        }
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
        let views = try database.read { db in
            var views: [CustomerView] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.wrapped_dek, c.fields FROM blind_index b JOIN customers c ON c.id = b.customer_id
                WHERE b.field = ? AND b.digest = ? ORDER BY c.id
                """, arguments: [schema.index(of: fieldName)!, Data(digest)])
            for row in rows {
                // A truncated keyed hash could in theory collide: confirm on the decrypted value.
                guard try self.storedValue(of: spec, in: row, worker: worker).map({ spec.blindIndexForm(ofNormalized: $0) })
                        == spec.blindIndexForm(ofNormalized: normalized) else { continue }
                views.append(try self.view(of: row, db: db, worker: worker, role: role))
            }
            return views
        }
        var ids = CustomerIDSet()
        for view in views { ids.appendAscending(view.internalID) }
        try audit(actor: session.name, role: session.role, action: "find", purpose: auditPurpose(purpose, nil),
                  fields: Array(Set(views.flatMap { $0.fields.map(\.name) } + [fieldName])).sorted(), customers: ids,
                  detail: "by \(fieldName); \(views.count) found")
        return views
    }

    /// `read` authorization that hides the reason from the caller when it is about a customer:
    /// the denial is audited with its reason, the caller gets "not found or not permitted".
    private func authorizeRead(_ session: Session, action: String, purpose: String?) throws(VaultError) -> RolePolicy {
        do {
            return try authorize(session, .read, action: action, purpose: purpose)
        } catch .notPermitted {
            throw .customerNotFound
        }
    }

    /// Creates or updates one customer from field values (nil clears a field).
    /// Values are validated against the schema; nothing is written if any is invalid.
    @discardableResult
    public func put(_ values: [String: String?], session: Session) throws(VaultError) -> (id: Int64, created: Bool) {
        try authorize(session, .write, action: "write")
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
        let names = columns.map(\.name)
        let outcome = try database.write { db -> UpsertOutcome in
            let outcome = try self.upsertCustomers([row], columns: columns, workers: workers, db: db)[0]
            switch outcome {
            case let .inserted(id), let .updated(id):
                // The audit entry commits with the write, or neither does.
                try self.appendAudit(self.draft(session, action: "write", fields: names, customers: CustomerIDSet([id]),
                                                detail: outcome == .inserted(id) ? "created" : "updated"), db: db)
            case .rejected: break
            }
            return outcome
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
    public func erase(reference: String, session: Session) throws(VaultError) -> Int64 {
        try authorize(session, .erase, action: "erase")
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try referenceDigest(reference, worker: worker)
        let existing = try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE ref_index = ?", arguments: [Data(digest)])
        }
        guard existing != nil else {
            try audit(actor: session.name, role: session.role, action: "erase", outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        let id = try database.write { db -> Int64 in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE ref_index = ?", arguments: [Data(digest)]) else {
                throw VaultError.customerNotFound
            }
            try db.execute(sql: "DELETE FROM blind_index WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM orders WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM outcomes WHERE customer_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM customers WHERE id = ?", arguments: [id])
            try self.appendAudit(self.draft(session, action: "erase", customers: CustomerIDSet([id]), detail: "data key destroyed"), db: db)
            return id
        }
        try checkpoint()
        logger.notice("customer erased", metadata: ["id": "\(id)"])
        return id
    }

    /// Number of customers in the vault.
    func customerCount() throws(VaultError) -> Int {
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

    /// The internal id of the customer whose reference is `reference`, found through the blind
    /// index. A miss is audited as a failed `action` (probing whether a reference exists leaves a
    /// trace too) and thrown as `customerNotFound`.
    package func customerID(reference: String, session: Session, action: String, purpose: String?) throws(VaultError) -> Int64 {
        let digest = try referenceDigest(reference, worker: CryptoWorker(keyRing: keyRing))
        guard let id = try database.read({ db in
            try Int64.fetchOne(db, sql: "SELECT id FROM customers WHERE ref_index = ?", arguments: [Data(digest)])
        }) else {
            try audit(actor: session.name, role: session.role, action: action, purpose: auditPurpose(purpose, nil),
                      outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        return id
    }

    func referenceDigest(_ reference: String, worker: CryptoWorker) throws(VaultError) -> [UInt8] {
        guard let spec = schema[Schema.referenceField] else { throw .corruptVault("schema without customer_ref") }
        let normalized: String?
        do { normalized = try spec.normalize(reference) } catch { throw .invalidValue(error) }
        guard let normalized else { throw .invalidInput("\(Schema.referenceField) is empty") }
        return try worker.indexDigest(field: Schema.referenceField, value: normalized)
    }

    /// The decrypted, normalized value of one field of a row, for confirming lookups.
    private func storedValue(of spec: FieldSpec, in row: Row, worker: CryptoWorker) throws -> String? {
        let id: Int64 = row["id"]
        let container = try FieldContainer(decoding: [UInt8](row["fields"] as Data), fieldCount: schema.fields.count)
        guard let position = schema.index(of: spec.name), let sealed = container[position] else { return nil }
        let cipher = try AES256GCM(key: worker.unwrap([UInt8](row["wrapped_dek"] as Data), customerID: id))
        return try Self.openField(sealed, customerID: id, field: spec.name, cipher: cipher)
    }

    /// Decrypts one sealed field of one customer; a failure is reported as damage to that
    /// customer's record, naming the field but never a value.
    static func openField(_ sealed: ArraySlice<UInt8>, customerID id: Int64, field: String, cipher: AES256GCM) throws(VaultError) -> String {
        do {
            return try SealedBox.openString(sealed, context: SealContext(kind: .field, recordID: id, name: field), cipher: cipher)
        } catch {
            throw .corruptVault("customer \(id): field '\(field)' fails authentication")
        }
    }

    /// Decrypts the fields `role` may see of one customers row (id, wrapped_dek, fields) and
    /// renders them through the role's views. Redacted fields are never decrypted. Orders and
    /// the outcome come with views whose role sees `customer_ref` in clear.
    func view(of row: Row, db: Database, worker: CryptoWorker, role: RolePolicy, confirmReference: String? = nil) throws -> CustomerView {
        let id: Int64 = row["id"]
        let dataKey = try worker.unwrap([UInt8](row["wrapped_dek"] as Data), customerID: id)
        let cipher = try AES256GCM(key: dataKey)
        let container = try FieldContainer(decoding: [UInt8](row["fields"] as Data), fieldCount: schema.fields.count)
        func open(_ position: Int) throws -> String? {
            guard let sealed = container[position] else { return nil }
            return try Self.openField(sealed, customerID: id, field: schema.fields[position].name, cipher: cipher)
        }
        // The index row could have been moved to another customer: trust only the sealed reference.
        if let confirmReference {
            let wanted = try? schema[Schema.referenceField]?.normalize(confirmReference)
            let referencePosition = schema.index(of: Schema.referenceField)!
            guard let wanted, try open(referencePosition) == wanted else {
                throw VaultError.corruptVault("customer \(id): its reference does not match the index")
            }
        }
        let pseudonymizer = try worker.pseudonymizer()
        let today = CivilDate.today
        var fields: [FieldValue] = []
        for (position, spec) in schema.fields.enumerated() {
            let fieldView = role.view(of: spec.name)
            guard fieldView != .redacted, let value = try open(position) else { continue }
            if let shown = try ViewRenderer.render(value, field: spec, view: fieldView, pseudonymizer: pseudonymizer, asOf: today) {
                fields.append(FieldValue(name: spec.name, value: shown))
            }
        }
        let identified = role.view(of: Schema.referenceField) == .plain
        var orders: [OrderView] = []
        var outcome: OutcomeView?
        if identified {
            for order in try Row.fetchAll(db, sql: "SELECT dedup_key, sealed FROM orders WHERE customer_id = ? ORDER BY id", arguments: [id]) {
                let dedup = [UInt8](order["dedup_key"] as Data)
                let payload = try OrderRecord.open([UInt8](order["sealed"] as Data), customerID: id, dedupKey: dedup, cipher: cipher)
                orders.append(OrderView(date: payload.date, amount: payload.amount, category: payload.category))
            }
            if let sealed = try Data.fetchOne(db, sql: "SELECT sealed FROM outcomes WHERE customer_id = ?", arguments: [id]) {
                let record = try OutcomeRecord.open([UInt8](sealed), customerID: id, cipher: cipher)
                outcome = OutcomeView(outcome: record.outcome, closedAt: record.closedAt)
            }
            orders.sort { $0.date < $1.date }
        }
        return CustomerView(internalID: id, showsID: identified, fields: fields, orders: orders, outcome: outcome)
    }
}
