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
public struct CustomerView: Sendable, Equatable, Codable {
    /// The vault's internal id (not PII; what audit entries will name).
    public var id: Int64
    public var fields: [FieldValue]
    public var orders: [OrderView]
    public var outcome: OutcomeView?

    public subscript(field: String) -> String? {
        fields.first { $0.name == field }?.value
    }
}
