import CofferCrypto
import Foundation

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
    package func customer(reference: String, session: Session, purpose: String? = nil) throws(VaultError) -> CustomerView {
        let role = try authorizeRead(session, action: .read, purpose: purpose)
        // Looking a customer up by reference is only for roles that see references in clear:
        // for others it would map references to their pseudonyms, or confirm that one exists.
        guard role.view(of: Schema.referenceField) == .plain else {
            try audit(.user(session), .read, purpose: purpose, outcome: .denied,
                      detail: "lookup by reference for a role that does not see references")
            throw .customerNotFound
        }
        let worker = CryptoWorker(keyRing: keyRing)
        let view = try store.read { tx -> CustomerView? in
            guard let customer = try self.openCustomer(reference: reference, worker: worker, in: tx) else { return nil }
            return try self.view(of: customer, role: role, worker: worker, in: tx)
        }
        guard let view else {
            try audit(.user(session), .read, purpose: purpose, outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        try audit(.user(session), .read, purpose: purpose,
                  fields: view.fields.map(\.name), customers: CustomerIDSet([view.internalID]))
        return view
    }

    /// Customers whose indexed field equals `lookup`'s value after normalization, as the
    /// session's role sees them. The role must see the looked-up field (not redacted): a lookup
    /// by a value the role may not see would be an oracle for it.
    ///
    /// A phone number written nationally is read in `region`, else in the field's region (see
    /// `FieldSpec.normalize`). No match throws `noMatch` with the normalized form looked for
    /// (the caller's own query, never a stored value).
    package func find(_ lookup: Lookup, region: String? = nil, session: Session, purpose: String? = nil) throws(VaultError) -> [CustomerView] {
        let (fieldName, raw) = lookup.pair
        let role = try authorizeRead(session, action: .find, purpose: purpose)
        guard let spec = schema[fieldName] else { throw .unknownField(fieldName, known: []) }
        guard spec.blindIndex else { throw .fieldNotIndexed(fieldName) }
        // Only a field the role sees (plain or masked) may be searched: for a redacted or
        // pseudonymized field a lookup would be an oracle for values the role may not learn.
        guard [.plain, .masked].contains(role.view(of: fieldName)) else {
            try audit(.user(session), .find, purpose: purpose, outcome: .denied,
                      fields: [fieldName], detail: "lookup by a field the role cannot see")
            throw .notPermitted("role \(session.role) cannot look customers up by \(fieldName)")
        }
        let normalized: String
        do {
            guard let value = try spec.normalize(raw, rowRegion: region?.uppercased()) else { throw VaultError.missingValue(field: fieldName) }
            normalized = value
        } catch let rejection as ValueRejection {
            throw .invalidValue(rejection)
        } catch {
            throw error as! VaultError
        }
        if spec.type == .phone { try requirePhoneIndexCurrent() }
        let worker = CryptoWorker(keyRing: keyRing)
        let digest = try worker.indexDigest(field: fieldName, value: spec.blindIndexForm(ofNormalized: normalized))
        let position = schema.index(of: fieldName)!
        let views = try store.read { tx in
            var views: [CustomerView] = []
            for record in try tx.customers(indexedField: position, digest: digest) {
                let customer = try OpenedCustomer(record, schema: self.schema, worker: worker)
                // A truncated keyed hash could in theory collide: confirm on the decrypted value.
                guard try customer.value(at: position).map({ spec.blindIndexForm(ofNormalized: $0) })
                        == spec.blindIndexForm(ofNormalized: normalized) else { continue }
                views.append(try self.view(of: customer, role: role, worker: worker, in: tx))
            }
            return views
        }
        var ids = CustomerIDSet()
        for view in views { ids.appendAscending(view.internalID) }
        try audit(.user(session), .find, purpose: purpose,
                  fields: Array(Set(views.flatMap { $0.fields.map(\.name) } + [fieldName])).sorted(), customers: ids,
                  detail: "by \(fieldName); \(views.count) found")
        guard !views.isEmpty else { throw .noMatch(field: fieldName, lookedFor: normalized) }
        return views
    }

    /// `read` authorization that hides the reason from the caller when it is about a customer:
    /// the denial is audited with its reason, the caller gets "not found or not permitted".
    private func authorizeRead(_ session: Session, action: AuditAction, purpose: String?) throws(VaultError) -> RolePolicy {
        do {
            return try authorize(session, .read, action: action, purpose: purpose)
        } catch .notPermitted {
            throw .customerNotFound
        }
    }

    /// Creates or updates one customer from field values (nil clears a field).
    /// Values are validated against the schema; nothing is written if any is invalid.
    @discardableResult
    package func put(_ values: [String: String?], session: Session) throws(VaultError) -> (id: Int64, created: Bool) {
        try authorize(session, .write, action: .write)
        var columns: [FieldSpec] = []
        var normalized: [String?] = []
        for name in values.keys.sorted() {
            guard let spec = schema[name] else { throw .unknownField(name, known: schema.fieldNames) }
            columns.append(spec)
            do {
                let rowRegion = spec.rowRegion { other in values[other] ?? nil }
                normalized.append(try values[name]!.flatMap { raw throws(ValueRejection) in try spec.normalize(raw, rowRegion: rowRegion) })
            } catch {
                throw .invalidValue(error)
            }
        }
        guard let refColumn = columns.firstIndex(where: { $0.name == Schema.referenceField }), let reference = normalized[refColumn] else {
            throw .missingValue(field: Schema.referenceField)
        }
        let row = CustomerUpsert(line: 0, reference: reference, values: normalized)
        let workers = [CryptoWorker(keyRing: keyRing)]
        let names = columns.map(\.name)
        let outcome = try store.write { tx -> UpsertOutcome in
            let outcome = try self.upsertCustomers([row], columns: columns, workers: workers, in: tx)[0]
            switch outcome {
            case let .inserted(id), let .updated(id), let .unchanged(id):
                // The audit entry commits with the write, or neither does.
                let detail = switch outcome { case .inserted: "created"; case .updated: "updated"; default: "unchanged" }
                try self.audit(.user(session), .write, fields: names, customers: CustomerIDSet([id]), detail: detail, in: tx)
            case .rejected: break
            }
            return outcome
        }
        switch outcome {
        case let .inserted(id): return (id, true)
        case let .updated(id), let .unchanged(id): return (id, false)
        case let .rejected(reason): throw .invalidInput(reason)
        }
    }

    /// Number of customers in the vault.
    func customerCount() throws(VaultError) -> Int {
        try store.read { tx in try tx.customerCount() }
    }

    /// Makes sure no copy of erased rows or destroyed keys survives in the store's logs.
    func checkpoint(patience: TimeInterval = 5) throws(VaultError) {
        try store.purgeSupersededPages(patience: patience)
    }

    /// The internal id of the customer whose reference is `reference`, found through the blind
    /// index. A miss is audited as a failed `action` (probing whether a reference exists leaves a
    /// trace too) and thrown as `customerNotFound`.
    package func customerID(reference: String, session: Session, action: AuditAction, purpose: String?) throws(VaultError) -> Int64 {
        let digest = try referenceDigest(reference, worker: CryptoWorker(keyRing: keyRing))
        guard let id = try store.read({ tx in try tx.customerID(referenceIndex: digest) }) else {
            try audit(.user(session), action, purpose: purpose,
                      outcome: .failed, detail: "no such customer")
            throw .customerNotFound
        }
        return id
    }

    func referenceDigest(_ reference: String, worker: CryptoWorker) throws(VaultError) -> [UInt8] {
        guard let spec = schema[Schema.referenceField] else { throw .corruptVault("schema without customer_ref") }
        let normalized: String?
        do { normalized = try spec.normalize(reference) } catch { throw .invalidValue(error) }
        guard let normalized else { throw .missingValue(field: Schema.referenceField) }
        return try worker.indexDigest(field: Schema.referenceField, value: normalized)
    }

    /// The customer stored under `reference`, opened; nil if there is none. The index row could
    /// have been moved to another customer, so the sealed reference must match too.
    func openCustomer(reference: String, worker: CryptoWorker, in tx: any StoreReading) throws -> OpenedCustomer? {
        guard let record = try tx.customer(referenceIndex: referenceDigest(reference, worker: worker)) else { return nil }
        let customer = try OpenedCustomer(record, schema: schema, worker: worker)
        let wanted = try? schema[Schema.referenceField]?.normalize(reference)
        guard let wanted, try customer.value(at: schema.index(of: Schema.referenceField)!) == wanted else {
            throw VaultError.corruptVault("customer \(customer.id): its reference does not match the index")
        }
        return customer
    }

    /// What a shown value is: the stored number or boolean when the role sees it plain, else text.
    static func kind(of spec: FieldSpec, seenBy role: RolePolicy) -> FieldValue.Kind {
        guard role.view(of: spec.name) == .plain else { return .text }
        switch spec.type {
        case .integer, .decimal: return .number
        case .boolean: return .boolean
        default: return .text
        }
    }

    /// `customer` as `role` sees it: every field the role does not see redacted, rendered
    /// through its view. Orders and the outcome come only with views whose role sees
    /// `customer_ref` in clear.
    func view(of customer: OpenedCustomer, role: RolePolicy, worker: CryptoWorker, in tx: any StoreReading) throws -> CustomerView {
        let projection = RoleProjection(schema: schema, role: role, positions: Array(schema.fields.indices))
        let labels = try projection.labels(of: customer, pseudonymizer: worker.pseudonymizer())
        let fields = zip(schema.fields, labels).compactMap { spec, label in
            label.map { FieldValue(name: spec.name, value: $0, kind: Self.kind(of: spec, seenBy: role)) }
        }
        let identified = role.view(of: Schema.referenceField) == .plain
        var orders: [OrderView] = []
        var outcome: OutcomeView?
        if identified {
            orders = try customer.orders(tx.orders(customerID: customer.id)).map { OrderView(date: $0.date, amount: $0.amount, category: $0.category) }
            if let sealed = try tx.outcome(customerID: customer.id) {
                let record = try customer.outcome(sealed)
                outcome = OutcomeView(outcome: record.outcome, closedAt: record.closedAt)
            }
            orders.sort { $0.date < $1.date }
        }
        return CustomerView(internalID: customer.id, showsID: identified, fields: fields, orders: orders, outcome: outcome)
    }
}
