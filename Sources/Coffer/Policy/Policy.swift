import CofferCrypto
import CofferSupport
import Yams

/// The role policy: what each role may do and how it sees each customer field.
///
/// Loaded from `policies/roles.yaml` and checked against the vault's schema. Default deny:
/// a field a role does not name (and no `"*"` covers) is redacted, an action it does not list
/// is refused, and any file the loader does not fully understand is refused with `file:line: message`.
///
/// ```yaml
/// version: 1
/// roles:
///   analyst:
///     actions: [read, score, export]
///     purposes: [qualification]
///     fields:
///       customer_ref: { view: pseudonym, domain: analytics }
///       birth_date: { view: generalized, age_band: 10 }
///       country: plain
/// ```
public struct Policy: Sendable {
    public let roles: [String: RolePolicy]
    /// Role names in file order.
    public let roleNames: [String]
    /// SHA-256 of the policy text (hex), recorded in the audit log when the policy in force changes.
    public let digest: String
    /// The YAML text the policy was loaded from.
    public let source: String
    /// Digest of the schema the policy was checked against; role views are laid out in its field order.
    public let schemaDigest: String

    public subscript(role: String) -> RolePolicy? { roles[role] }

    /// The domains in which some role sees `customer_ref` as a pseudonym (what QCLs carry), sorted.
    public var referencePseudonymDomains: [String] {
        Set(roles.values.compactMap { role -> String? in
            if case let .pseudonym(domain) = role.view(of: Schema.referenceField) { domain } else { nil }
        }).sorted()
    }

    /// Keys a view mapping may hold besides `view`, and the view each belongs to.
    static let generalizationKeys = ["age_band", "bands", "buckets", "prefix", "date"]

    /// Parses and checks a policy file against `schema`; every problem is `file:line: message`.
    public static func load(yaml text: String, file: String, schema: Schema) throws(PolicyFileError) -> Policy {
        let root = try YAMLNode.parse(text, file: file)
        var rolesNode: YAMLNode?
        for entry in try root.mapping("the policy") {
            switch entry.key {
            case "version":
                guard try entry.value.int("version") == 1 else { throw entry.value.error("unsupported policy version; this Coffer reads version 1") }
            case "roles":
                rolesNode = entry.value
            default:
                throw PolicyFileError(file: file, line: entry.keyLine, message: "unknown key '\(entry.key)'; expected 'version' or 'roles'")
            }
        }
        guard let rolesNode else { throw root.error("the policy has no 'roles' section") }
        var roles: [String: RolePolicy] = [:]
        var names: [String] = []
        for entry in try rolesNode.mapping("roles") {
            guard isSimpleName(entry.key) else {
                throw PolicyFileError(file: file, line: entry.keyLine, message: "role name '\(entry.key)' must be a simple name (lowercase letters, digits, '_' or '-', starting with a letter)")
            }
            roles[entry.key] = try parseRole(name: entry.key, line: entry.keyLine, node: entry.value, schema: schema)
            names.append(entry.key)
        }
        guard !names.isEmpty else { throw rolesNode.error("'roles' is empty") }
        let digest = (try? SHA256.hash(Array(text.utf8)).hexString) ?? ""
        return Policy(roles: roles, roleNames: names, digest: digest, source: text, schemaDigest: schema.digest)
    }

    private static func parseRole(name: String, line: Int, node: YAMLNode, schema: Schema) throws(PolicyFileError) -> RolePolicy {
        let role = "role '\(name)'"
        var actions: Set<Action>?
        var purposes: [String]?
        var explicit: [String: FieldView] = [:]
        var wildcard: FieldView?
        for entry in try node.mapping(role) {
            switch entry.key {
            case "actions":
                var set = Set<Action>()
                for item in try entry.value.sequence("\(role): actions") {
                    let raw = try item.string("an action")
                    guard let action = Action(rawValue: raw) else {
                        throw item.error("\(role): unknown action '\(raw)'; expected one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    guard set.insert(action).inserted else { throw item.error("\(role): duplicate action '\(raw)'") }
                }
                actions = set
            case "purposes":
                let items = try entry.value.sequence("\(role): purposes")
                guard !items.isEmpty else { throw entry.value.error("\(role): 'purposes' is empty; leave it out to require no purpose") }
                var list: [String] = []
                for item in items {
                    let purpose = try item.string("a purpose")
                    guard isSimpleName(purpose) else {
                        throw item.error("\(role): purpose '\(purpose)' must be a simple name (lowercase letters, digits, '_' or '-', starting with a letter)")
                    }
                    guard !list.contains(purpose) else { throw item.error("\(role): duplicate purpose '\(purpose)'") }
                    list.append(purpose)
                }
                purposes = list
            case "fields":
                for field in try entry.value.mapping("\(role): fields") {
                    let context = "\(role), field '\(field.key)'"
                    if field.key == "*" {
                        wildcard = try parseView(field.value, spec: nil, context: context)
                        continue
                    }
                    guard let spec = schema[field.key] else {
                        throw PolicyFileError(file: node.file, line: field.keyLine, message: "\(role): unknown field '\(field.key)'; the schema has no such field")
                    }
                    explicit[field.key] = try parseView(field.value, spec: spec, context: context)
                }
            case "description":
                _ = try entry.value.string("description")
            default:
                throw PolicyFileError(file: node.file, line: entry.keyLine, message: "\(role): unknown key '\(entry.key)'; expected actions, purposes, fields or description")
            }
        }
        guard let actions else { throw PolicyFileError(file: node.file, line: line, message: "\(role) has no 'actions' list") }
        let names = schema.fieldNames
        let views = names.map { explicit[$0] ?? wildcard ?? .redacted }
        return RolePolicy(name: name, actions: actions, purposes: purposes, fieldNames: names, fieldViews: views)
    }

    /// A view is a bare name (`plain`, `masked`, `redacted`) or a mapping with `view` and the
    /// parameters of that view. `spec` is nil for the `"*"` wildcard, which may only be plain or redacted.
    private static func parseView(_ node: YAMLNode, spec: FieldSpec?, context: String) throws(PolicyFileError) -> FieldView {
        let kinds = "plain, masked, pseudonym, generalized or redacted"
        if let scalar = node.node.scalar {
            let view: FieldView
            switch scalar.string {
            case "plain": view = .plain
            case "redacted": view = .redacted
            case "masked": view = .masked
            case "pseudonym": throw node.error("\(context): pseudonym needs a domain, e.g. { view: pseudonym, domain: analytics }")
            case "generalized": throw node.error("\(context): generalized needs one of age_band, bands, buckets, prefix or date, e.g. { view: generalized, prefix: 2 }")
            default: throw node.error("\(context): unknown view '\(scalar.string)'; expected \(kinds)")
            }
            try check(view, spec: spec, node: node, context: context)
            return view
        }
        guard node.node.mapping != nil else { throw node.error("\(context): a view is a name (\(kinds)) or a mapping with 'view'") }
        let entries = try node.mapping(context)
        guard let viewEntry = entries.first(where: { $0.key == "view" }) else { throw node.error("\(context): the view mapping has no 'view' key") }
        let kind = try viewEntry.value.string("view")
        let parameters = entries.filter { $0.key != "view" }
        // A parameter of another view, or no view's at all.
        func misplaced(_ entry: (key: String, keyLine: Int, value: YAMLNode)) -> PolicyFileError {
            let owner = entry.key == "domain" ? "pseudonym" : generalizationKeys.contains(entry.key) ? "generalized" : nil
            let message = owner.map { "'\(entry.key)' only applies to \($0) views" } ?? "unknown key '\(entry.key)' in the view"
            return PolicyFileError(file: node.file, line: entry.keyLine, message: "\(context): \(message)")
        }
        switch kind {
        case "plain", "masked", "redacted":
            if let extra = parameters.first { throw misplaced(extra) }
            let view: FieldView = kind == "plain" ? .plain : kind == "masked" ? .masked : .redacted
            try check(view, spec: spec, node: viewEntry.value, context: context)
            return view
        case "pseudonym":
            var domain: String?
            for entry in parameters {
                guard entry.key == "domain" else { throw misplaced(entry) }
                let name = try entry.value.string("domain")
                guard isSimpleName(name) else {
                    throw entry.value.error("\(context): pseudonym domain '\(name)' must be a simple name (lowercase letters, digits, '_' or '-', starting with a letter)")
                }
                domain = name
            }
            guard let domain else { throw viewEntry.value.error("\(context): pseudonym needs a 'domain' (equal values get equal tokens only within one domain)") }
            let view = FieldView.pseudonym(domain: domain)
            try check(view, spec: spec, node: viewEntry.value, context: context)
            return view
        case "generalized":
            guard let spec else { throw viewEntry.value.error("\(context): the wildcard can only be plain or redacted") }
            var generalization: Generalization?
            for entry in parameters {
                guard generalizationKeys.contains(entry.key) else { throw misplaced(entry) }
                guard generalization == nil else {
                    throw PolicyFileError(file: node.file, line: entry.keyLine, message: "\(context): give only one of age_band, bands, buckets, prefix or date")
                }
                generalization = try parseGeneralization(entry.key, entry.value, keyLine: entry.keyLine, spec: spec, context: context)
            }
            guard let generalization else {
                throw viewEntry.value.error("\(context): generalized needs one of age_band, bands, buckets, prefix or date")
            }
            return .generalized(generalization)
        default:
            throw viewEntry.value.error("\(context): unknown view '\(kind)'; expected \(kinds)")
        }
    }

    /// Refuses a view the field's type cannot carry.
    private static func check(_ view: FieldView, spec: FieldSpec?, node: YAMLNode, context: String) throws(PolicyFileError) {
        guard let spec else {
            guard view == .plain || view == .redacted else { throw node.error("\(context): the wildcard can only be plain or redacted") }
            return
        }
        switch view {
        case .masked where !FieldView.maskableTypes.contains(spec.type):
            throw node.error("\(context): masked only applies to string, text, email and phone fields, not to \(spec.type.rawValue) fields")
        case .pseudonym where FieldView.unpseudonymizableTypes.contains(spec.type):
            throw node.error("\(context): pseudonym does not apply to \(spec.type.rawValue) fields")
        default:
            return
        }
    }

    private static func parseGeneralization(_ key: String, _ node: YAMLNode, keyLine: Int, spec: FieldSpec, context: String) throws(PolicyFileError) -> Generalization {
        func requireType(_ types: [FieldType], _ what: String) throws(PolicyFileError) {
            guard types.contains(spec.type) else {
                throw PolicyFileError(file: node.file, line: keyLine, message: "\(context): '\(key)' only applies to \(what), not to \(spec.type.rawValue) fields")
            }
        }
        func positive(_ what: String, upTo limit: Int) throws(PolicyFileError) -> Int {
            guard let scalar = node.node.scalar, let n = Int(scalar.string), (1...limit).contains(n) else {
                throw node.error("\(context): \(key) must be a whole number of \(what) from 1 to \(limit)")
            }
            return n
        }
        switch key {
        case "age_band":
            try requireType([.date], "date fields")
            return .ageBand(width: try positive("years", upTo: 100))
        case "prefix":
            try requireType([.string], "string fields")
            return .prefix(try positive("characters", upTo: 64))
        case "date":
            try requireType([.date], "date fields")
            switch try node.string("date") {
            case "month": return .month
            case "quarter": return .quarter
            case let other: throw node.error("\(context): date must be month or quarter, not '\(other)'")
            }
        case "bands":
            try requireType([.integer, .decimal], "integer and decimal fields")
            let bounds = try parseBounds(node, key: key, context: context) { (raw, item) throws(PolicyFileError) in
                guard let cents = parseCents(raw) else {
                    throw item.error("\(context): bands: '\(raw)' is not a number (digits with at most 2 decimals)")
                }
                if spec.type == .integer, cents % 100 != 0 {
                    throw item.error("\(context): bands: '\(raw)' is not a whole number (bands of an integer field)")
                }
                return cents
            }
            return .bands(bounds.map { Double($0) / 100 })
        default: // buckets
            try requireType([.integer], "integer fields")
            return .buckets(try parseBounds(node, key: key, context: context) { (raw, item) throws(PolicyFileError) in
                guard let value = Int64(raw) else { throw item.error("\(context): buckets: '\(raw)' is not a whole number") }
                return value
            })
        }
    }

    /// A non-empty, strictly increasing list of bounds under `key`.
    private static func parseBounds(_ node: YAMLNode, key: String, context: String,
                                    _ parse: (String, YAMLNode) throws(PolicyFileError) -> Int64) throws(PolicyFileError) -> [Int64] {
        let items = try node.sequence("\(context): \(key)")
        guard !items.isEmpty else { throw node.error("\(context): \(key) is empty; list the lower bounds, e.g. [0, 10, 50]") }
        var bounds: [Int64] = []
        var previousText = ""
        for item in items {
            let raw = try item.string("\(context): each \(key) bound")
            let value = try parse(raw, item)
            if let previous = bounds.last, value <= previous {
                throw item.error(value == previous
                    ? "\(context): \(key): \(raw) repeats the previous bound (bounds must be strictly increasing)"
                    : "\(context): \(key): \(raw) is below the previous bound \(previousText) (negative band width; bounds must be strictly increasing)")
            }
            bounds.append(value)
            previousText = raw
        }
        return bounds
    }

    /// Hundredths of a plain decimal with at most 2 decimals and at most 13 integer digits.
    static func parseCents(_ text: String) -> Int64? {
        guard FieldSpec.isPlainDecimal(text) else { return nil }
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative || body.hasPrefix("+") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= 2, whole.count <= 13, let units = Int64(whole.isEmpty ? "0" : whole) else { return nil }
        let hundredths = Int64(fraction.isEmpty ? "0" : fraction)! * (fraction.count == 1 ? 10 : 1)
        let cents = units * 100 + hundredths
        return negative ? -cents : cents
    }

    /// Role, purpose and pseudonym domain names: `[a-z][a-z0-9_-]{0,63}`.
    static func isSimpleName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7a).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2d }
    }
}
