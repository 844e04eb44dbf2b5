import Foundation
import CofferSupport
/// One field of a customer as shown to a reader.
public struct FieldValue: Sendable, Equatable, Codable {
    /// What the shown text is, for output formats that type values (JSON): a number or a
    /// boolean only when the role sees an integer, decimal or boolean field as stored.
    public enum Kind: String, Sendable, Equatable, Codable { case text, number, boolean }

    public var name: String
    public var value: String
    public var kind: Kind = .text

    /// A value the output contract wrote as a string, number or boolean, back as text and its
    /// kind; nil when the key is absent or null.
    static func decodeContractValue<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> (String?, Kind)? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        if let text = try? container.decode(String.self, forKey: key) { return (text, .text) }
        if let flag = try? container.decode(Bool.self, forKey: key) { return (flag ? "true" : "false", .boolean) }
        let number = try container.decode(Decimal.self, forKey: key)
        return ("\(number)", .number)
    }
}

/// A purchase as shown to a reader. In JSON (the output contract) the amount is a number.
public struct OrderView: Sendable, Equatable, Codable {
    public var date: String
    public var amount: String
    public var category: String

    enum CodingKeys: String, CodingKey { case date, amount, category }

    init(date: String, amount: String, category: String) {
        self.date = date
        self.amount = amount
        self.category = category
    }

    /// From the output contract: the amount is a number (or text that was not one).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        date = try container.decode(String.self, forKey: .date)
        amount = try container.decodeIfPresent(String.self, forKey: .amount)
            ?? "\(try container.decode(Decimal.self, forKey: .amount))"
        category = try container.decode(String.self, forKey: .category)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(date, forKey: .date)
        if let number = OutputContract.number(amount) { try container.encode(number, forKey: .amount) } else { try container.encode(amount, forKey: .amount) }
        try container.encode(category, forKey: .category)
    }
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

    /// A schema field name as a JSON key (already snake_case: the schema allows nothing else).
    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The output contract's shape: `fields` is an object from field name to value, in which a
    /// number or boolean the role sees as stored is a JSON number or boolean; orders and the
    /// outcome only for roles that see `customer_ref` in clear.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        var values = container.nestedContainer(keyedBy: FieldKey.self, forKey: .fields)
        for field in fields {
            let key = FieldKey(stringValue: field.name)
            switch field.kind {
            case .number:
                if let number = OutputContract.number(field.value) { try values.encode(number, forKey: key) } else { try values.encode(field.value, forKey: key) }
            case .boolean where field.value == "true" || field.value == "false":
                try values.encode(field.value == "true", forKey: key)
            default:
                try values.encode(field.value, forKey: key)
            }
        }
        try container.encode(orders, forKey: .orders)
        try container.encodeIfPresent(outcome, forKey: .outcome)
    }

    /// From the output contract (a server's answer): fields come back in the order the JSON
    /// object holds them (sorted by name, as `OutputContract.encoder` writes them), numbers as
    /// their shortest decimal text. Without an `id` the view keeps no internal id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decodeIfPresent(Int64.self, forKey: .id)
        internalID = id ?? 0
        showsID = id != nil
        let values = try container.nestedContainer(keyedBy: FieldKey.self, forKey: .fields)
        fields = try values.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
            let (value, kind) = try FieldValue.decodeContractValue(values, forKey: key) ?? ("", .text)
            // The decoder's snake_case conversion also turned the field names (data) into camelCase.
            return FieldValue(name: Self.snakeCase(key.stringValue), value: value ?? "", kind: kind)
        }
        orders = try container.decodeIfPresent([OrderView].self, forKey: .orders) ?? []
        outcome = try container.decodeIfPresent(OutcomeView.self, forKey: .outcome)
    }

    /// `fullName` back to `full_name` (schema field names are lowercase snake_case).
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }

    public subscript(field: String) -> String? {
        fields.first { $0.name == field }?.value
    }
}
