/// The value types a schema field can have. Each one validates and normalizes its input.
public enum FieldType: String, CaseIterable, Sendable, Codable {
    case string, text, email, phone, date, integer, decimal, boolean, `enum`
}

/// How identifying a field is; drives default policies and privacy checks.
public enum Classification: String, CaseIterable, Sendable, Codable {
    /// Identifies a person directly (name, email, phone, street address, CRM reference).
    case identifier
    /// Identifies a person in combination with others (postal code, birth date, occupation...).
    case quasiIdentifier = "quasi_identifier"
    /// Harmful if disclosed (income, free-text notes).
    case sensitive
    /// A business attribute that identifies no one.
    case attribute
}

/// One field of the customer schema.
public struct FieldSpec: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var classification: Classification
    /// Exact-match lookups through a keyed hash of the normalized value.
    public var blindIndex: Bool
    public var required: Bool
    /// Allowed values of an `enum` field as the schema spells them (their canonical form).
    public var values: [String] { didSet { indexValues() } }
    /// Lowercased value -> canonical value, for case-insensitive matching.
    private(set) var canonicalValues: [String: String] = [:]
    /// Bounds for `integer` and `decimal` fields.
    public var minimum: Double?
    public var maximum: Double?
    /// Longest accepted value in Unicode scalars (strings and text).
    public var maxLength: Int
    /// Line in the schema file, for error messages of later loaders.
    public var line: Int
    /// Phone fields: the region (ISO 3166-1 alpha-2) national numbers are read in — the
    /// field's `region`, else the schema's `phone_region`; nil when neither is set.
    public var region: String?
    /// Phone fields: the field of the same row that holds each number's region (`region_from`),
    /// used before `region` when the row has a value there.
    public var regionField: String?

    public init(name: String, type: FieldType, classification: Classification, blindIndex: Bool = false,
                required: Bool = false, values: [String] = [], minimum: Double? = nil, maximum: Double? = nil,
                maxLength: Int? = nil, line: Int = 0, region: String? = nil, regionField: String? = nil) {
        self.name = name
        self.type = type
        self.classification = classification
        self.blindIndex = blindIndex
        self.required = required
        self.values = values
        self.minimum = minimum
        self.maximum = maximum
        self.maxLength = maxLength ?? (type == .text ? 10_000 : 256)
        self.line = line
        self.region = region
        self.regionField = regionField
        indexValues()
    }

    private mutating func indexValues() {
        canonicalValues = Dictionary(values.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    }
}
