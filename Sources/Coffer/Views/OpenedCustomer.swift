import CofferCrypto

/// One customer's record opened for reading: its data key unwrapped once and its sealed field
/// container decoded once, whatever reads it next (a lookup, an export row, a scoring row, a
/// hand-off). Nothing else in the vault decrypts a customer's fields, orders or outcome.
///
/// Opening decrypts nothing yet; each value is opened (and authenticated against its customer
/// and field) only when asked for, so fields a role sees redacted are never decrypted.
struct OpenedCustomer {
    let id: Int64
    private let cipher: AES256GCM
    private let container: FieldContainer
    private let schema: Schema

    /// The customer's data key, unwrapped (kept by a scan's first pass so that its second does
    /// not unwrap it again).
    let dataKey: SymmetricKey

    init(_ record: CustomerRecord, schema: Schema, worker: CryptoWorker) throws(VaultError) {
        try self.init(record, dataKey: try worker.unwrap(record.wrappedDataKey, customerID: record.id), schema: schema)
    }

    /// Opens `record` with its data key already unwrapped.
    init(_ record: CustomerRecord, dataKey: SymmetricKey, schema: Schema) throws(VaultError) {
        id = record.id
        self.dataKey = dataKey
        do { cipher = try AES256GCM(key: dataKey) } catch { throw .crypto(error) }
        container = try FieldContainer(decoding: record.fields, fieldCount: schema.fields.count)
        self.schema = schema
    }

    /// The stored (canonical) value of the field at schema `position`; nil when it has none.
    /// A value that fails authentication is reported as damage to this customer, naming the
    /// field but never a value.
    func value(at position: Int) throws(VaultError) -> String? {
        guard let sealed = container[position] else { return nil }
        let field = schema.fields[position].name
        do {
            return try SealedBox.openString(sealed, context: SealContext(kind: .field, recordID: id, name: field), cipher: cipher)
        } catch {
            throw .corruptVault("customer \(id): field '\(field)' fails authentication")
        }
    }

    /// The customer's orders, opened, in the order given.
    func orders(_ sealed: [SealedOrder]) throws(VaultError) -> [OrderRecord] {
        var orders: [OrderRecord] = []
        orders.reserveCapacity(sealed.count)
        for order in sealed {
            orders.append(try OrderRecord.open(order.sealed, customerID: id, dedupKey: order.dedupKey, cipher: cipher))
        }
        return orders
    }

    func outcome(_ sealed: [UInt8]) throws(VaultError) -> OutcomeRecord {
        try OutcomeRecord.open(sealed, customerID: id, cipher: cipher)
    }

    /// The orders reduced to BTYD statistics observed up to `end` (nil without orders). An order
    /// that no longer parses (validated at import) is left out rather than guessed.
    func purchaseSummary(_ sealed: [SealedOrder], observedUntil end: CivilDate) throws(VaultError) -> PurchaseSummary? {
        guard !sealed.isEmpty else { return nil }
        var purchases: [(day: Int, amount: Double)] = []
        purchases.reserveCapacity(sealed.count)
        for order in try orders(sealed) {
            guard let date = CivilDate(iso8601: order.date), let amount = Double(order.amount), amount.isFinite else { continue }
            purchases.append((date.daysSinceEpoch, amount))
        }
        return PurchaseSummary(purchases: purchases, observationEnd: end.daysSinceEpoch)
    }
}

/// How one role sees a chosen list of fields: the one place a stored value is rendered for a
/// role, for lookups, exports, scoring and hand-offs alike.
///
/// A field the role sees redacted is never decrypted.
struct RoleProjection {
    /// Schema positions of the projected fields, in output order.
    let positions: [Int]
    private let specs: [FieldSpec]
    private let views: [FieldView]
    /// The reading day: ages and other time-relative views are computed at it.
    let asOf: CivilDate

    init(schema: Schema, role: RolePolicy, positions: [Int], asOf: CivilDate = .today) {
        self.positions = positions
        specs = positions.map { schema.fields[$0] }
        views = positions.map { role.view(of: schema.fields[$0].name) }
        self.asOf = asOf
    }

    /// What the role sees of each field, as text (nil: absent, redacted, or not representable
    /// in the view).
    func labels(of customer: OpenedCustomer, pseudonymizer: Pseudonymizer) throws -> [String?] {
        try project(customer) { value, spec, view in
            try ViewRenderer.render(value, field: spec, view: view, pseudonymizer: pseudonymizer, asOf: asOf)
        }
    }

    /// What the role sees of each field, with the interval each label stands for (for scoring).
    func viewedValues(of customer: OpenedCustomer, pseudonymizer: Pseudonymizer) throws -> [ViewedValue?] {
        try project(customer) { value, spec, view in
            try ViewedValue.render(value, field: spec, view: view, pseudonymizer: pseudonymizer, asOf: asOf)
        }
    }

    /// Opens each projected field the role does not see redacted and renders it with `render`.
    private func project<Shown>(_ customer: OpenedCustomer, _ render: (String, FieldSpec, FieldView) throws -> Shown?) throws -> [Shown?] {
        var shown: [Shown?] = []
        shown.reserveCapacity(positions.count)
        for n in positions.indices {
            guard views[n] != .redacted, let value = try customer.value(at: positions[n]) else { shown.append(nil); continue }
            shown.append(try render(value, specs[n], views[n]))
        }
        return shown
    }
}
