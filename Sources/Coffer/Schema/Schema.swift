import CofferCrypto
import CofferSupport

/// The customer schema: which fields exist, their types, classification and indexing.
///
/// Loaded from `policies/schema.yaml` and stored in the vault at `coffer init`, so that the
/// vault keeps reading its own data the same way whatever happens to the file later.
///
/// ```yaml
/// phone_region: US          # national phone numbers are read in this region
/// fields:
///   email:
///     type: email
///     classification: identifier
///     blind_index: true
/// ```
public struct Schema: Sendable, Equatable {
    /// The field that identifies a customer in the source CRM; always blind-indexed and required.
    public static let referenceField = "customer_ref"
    /// Field positions are stored in one byte.
    public static let maximumFieldCount = 255

    public private(set) var fields: [FieldSpec]
    private var positions: [String: Int]
    /// SHA-256 of the schema text, to tell schema versions apart.
    public let digest: String
    /// The YAML text the schema was loaded from.
    public let source: String
    /// `phone_region`: the region national phone numbers are read in, unless a phone field
    /// says otherwise (`region`, `region_from`).
    public let phoneRegion: String?

    public subscript(name: String) -> FieldSpec? {
        positions[name].map { fields[$0] }
    }

    /// Position of a field in `fields`.
    public func index(of name: String) -> Int? { positions[name] }

    public var fieldNames: [String] { fields.map(\.name) }

    /// Parses and checks a schema file; every problem is reported as `file:line: message`.
    public static func load(yaml text: String, file: String) throws(PolicyFileError) -> Schema {
        let root = try YAMLNode.parse(text, file: file)
        var fieldsNode: YAMLNode?
        var phoneRegion: String?
        for entry in try root.mapping("the schema") {
            switch entry.key {
            case "phone_region":
                phoneRegion = try parseRegion(entry.value, key: "phone_region")
            case "version":
                guard try entry.value.int("version") == 1 else { throw entry.value.error("unsupported schema version; this Coffer reads version 1") }
            case "fields":
                fieldsNode = entry.value
            default:
                throw PolicyFileError(file: file, line: entry.keyLine, message: "unknown key '\(entry.key)'; expected 'version', 'phone_region' or 'fields'")
            }
        }
        guard let fieldsNode else { throw root.error("the schema has no 'fields' section") }
        var fields: [FieldSpec] = []
        for entry in try fieldsNode.mapping("fields") {
            var field = try parseField(name: entry.key, line: entry.keyLine, node: entry.value, file: file)
            if field.type == .phone, field.region == nil { field.region = phoneRegion }
            fields.append(field)
        }
        for field in fields {
            guard let source = field.regionField else { continue }
            guard let other = fields.first(where: { $0.name == source }), other.name != field.name, [.enum, .string].contains(other.type) else {
                throw PolicyFileError(file: file, line: field.line, message: "field '\(field.name)': region_from must name another string or enum field of the schema (one holding ISO 3166-1 alpha-2 codes)")
            }
        }
        guard !fields.isEmpty else { throw fieldsNode.error("'fields' is empty") }
        guard fields.count <= maximumFieldCount else {
            throw PolicyFileError(file: file, line: fields[maximumFieldCount].line, message: "a schema has at most \(maximumFieldCount) fields")
        }
        guard let reference = fields.first(where: { $0.name == referenceField }) else {
            throw fieldsNode.error("the schema must define '\(referenceField)' (the customer's id in the source CRM)")
        }
        guard reference.required, reference.blindIndex, reference.type == .string else {
            throw PolicyFileError(file: file, line: reference.line, message: "'\(referenceField)' must be a required string with blind_index: true")
        }
        let digest = (try? SHA256.hash(Array(text.utf8)).hexString) ?? ""
        return Schema(fields: fields, digest: digest, source: text, phoneRegion: phoneRegion)
    }

    init(fields: [FieldSpec], digest: String, source: String, phoneRegion: String? = nil) {
        self.fields = fields
        self.digest = digest
        self.source = source
        self.phoneRegion = phoneRegion
        positions = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
    }

    private static func parseField(name: String, line: Int, node: YAMLNode, file: String) throws(PolicyFileError) -> FieldSpec {
        guard isValidFieldName(name) else {
            throw PolicyFileError(file: file, line: line, message: "field name '\(name)' must be lowercase letters, digits and underscores")
        }
        var type: FieldType?
        var classification: Classification?
        var blindIndex = false, required = false
        var values: [String] = []
        var minimum: Double?, maximum: Double?, maxLength: Int?
        var valuesLine = line
        var region: String?, regionField: String?
        for entry in try node.mapping("field '\(name)'") {
            let value = entry.value
            switch entry.key {
            case "type":
                let raw = try value.string("type")
                guard let t = FieldType(rawValue: raw) else {
                    throw value.error("field '\(name)': unknown type '\(raw)'; expected one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                type = t
            case "classification":
                let raw = try value.string("classification")
                guard let c = Classification(rawValue: raw) else {
                    throw value.error("field '\(name)': unknown classification '\(raw)'; expected one of \(Classification.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                classification = c
            case "blind_index": blindIndex = try value.bool("blind_index")
            case "required": required = try value.bool("required")
            case "values":
                valuesLine = value.line
                values = try value.sequence("values").map { (item) throws(PolicyFileError) in try item.string("an enum value") }
                guard Set(values.map { $0.lowercased() }).count == values.count else { throw value.error("field '\(name)': duplicate enum value") }
            case "min": minimum = try value.double("min")
            case "max": maximum = try value.double("max")
            case "max_length":
                maxLength = try value.int("max_length")
                guard maxLength! > 0 else { throw value.error("field '\(name)': max_length must be positive") }
            case "description": _ = try value.string("description")
            case "region": region = try parseRegion(value, key: "field '\(name)': region")
            case "region_from": regionField = try value.string("region_from")
            default:
                throw PolicyFileError(file: file, line: entry.keyLine, message: "field '\(name)': unknown key '\(entry.key)'")
            }
        }
        guard let type else { throw PolicyFileError(file: file, line: line, message: "field '\(name)' has no type") }
        guard let classification else { throw PolicyFileError(file: file, line: line, message: "field '\(name)' has no classification") }
        if type == .enum, values.isEmpty {
            throw PolicyFileError(file: file, line: line, message: "field '\(name)': an enum needs a non-empty 'values' list")
        }
        if type != .enum, !values.isEmpty {
            throw PolicyFileError(file: file, line: valuesLine, message: "field '\(name)': 'values' only applies to enum fields")
        }
        if let minimum, let maximum, minimum > maximum {
            throw PolicyFileError(file: file, line: line, message: "field '\(name)': min is greater than max")
        }
        if type != .phone, region != nil || regionField != nil {
            throw PolicyFileError(file: file, line: line, message: "field '\(name)': region and region_from only apply to phone fields")
        }
        if blindIndex, type == .text {
            throw PolicyFileError(file: file, line: line, message: "field '\(name)': free text cannot be blind-indexed")
        }
        return FieldSpec(name: name, type: type, classification: classification, blindIndex: blindIndex, required: required,
                         values: values, minimum: minimum, maximum: maximum, maxLength: maxLength, line: line,
                         region: region, regionField: regionField)
    }

    /// A region whose national phone numbers Coffer can read (see `PhoneNumbering.regions`).
    private static func parseRegion(_ node: YAMLNode, key: String) throws(PolicyFileError) -> String {
        let raw = try node.string(key).uppercased()
        guard PhoneNumbering.regions[raw] != nil else {
            throw node.error("\(key): '\(raw)' is not a region whose national numbers Coffer reads; use one of \(PhoneNumbering.regions.keys.sorted().joined(separator: ", ")) (numbers of other countries must be written in international form)")
        }
        return raw
    }

    /// Lowercase ASCII letter first, then letters, digits and underscores; at most 64 bytes.
    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7a).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }
}
