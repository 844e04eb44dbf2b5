/// One field of a customer as shown to a reader.
public struct FieldValue: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
}

/// A purchase as shown to a reader.
public struct OrderView: Sendable, Equatable, Codable {
    public var date: String
    public var amount: String
    public var category: String
}

/// A won/lost outcome as shown to a reader.
public struct OutcomeView: Sendable, Equatable, Codable {
    public var outcome: String
    public var closedAt: String
}

/// What a reader gets for one customer: decrypted field values, in schema order.
///
/// Views are produced inside the vault only; there is no public way to build one from
/// ciphertext, and nothing in `Coffer`'s public API hands out raw records.
public struct CustomerView: Sendable, Equatable, Encodable {
    /// The vault's internal id (what audit entries name), shown only to roles that see
    /// `customer_ref` in clear: a stable id would link pseudonyms across domains.
    public var id: Int64? { showsID ? internalID : nil }
    let internalID: Int64
    let showsID: Bool
    public var fields: [FieldValue]
    public var orders: [OrderView]
    public var outcome: OutcomeView?

    init(internalID: Int64, showsID: Bool, fields: [FieldValue], orders: [OrderView], outcome: OutcomeView?) {
        self.internalID = internalID
        self.showsID = showsID
        self.fields = fields
        self.orders = orders
        self.outcome = outcome
    }

    enum CodingKeys: String, CodingKey { case id, fields, orders, outcome }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encode(fields, forKey: .fields)
        try container.encode(orders, forKey: .orders)
        try container.encodeIfPresent(outcome, forKey: .outcome)
    }

    public subscript(field: String) -> String? {
        fields.first { $0.name == field }?.value
    }
}
