import CofferSupport
import Foundation

/// How the columns of a source file — a CRM's export as it comes — become the fields of an
/// import, read from `--map FILE.yaml`:
///
/// ```yaml
/// kind: customers                      # customers (default), orders or outcomes
/// fields:
///   customer_ref: "HS-{Record ID}"     # a template: columns in braces, text around them
///   full_name: "{First Name} {Last Name}"
///   email: Email                       # one column, renamed
///   city: { from: City, case: title }
///   last_activity: { from: Last Activity Date, date: ["%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"] }
///   budget: { from: Budget, decimal: comma }
///   consent_marketing: { from: Newsletter, true: [ja, yes, 是], false: [nein, no, 否] }
///   lead_source: { from: Source, values: { Trade show: event }, unknown: missing }
/// ```
///
/// A rule takes its text from one column (`from`) or a `template`, then applies, in this order:
/// `split` (`{ separator: ",", part: 1 }`, parts counted from 1, negative from the end),
/// `trim` (on unless `false`), `case` (`lower`, `upper`, `title`), `values` (a map matched
/// case-insensitively), `decimal` (`comma` or `point`: drops the thousands separators and
/// writes a decimal point), `date` (one layout or a list, tried in order; see
/// `SourceDateFormat`), `true`/`false` (the words a boolean column uses), and for enum fields
/// `unknown`: what a value the schema does not list becomes — `reject` (the row, the default),
/// `missing` (the field is left empty) or one of the schema's values.
///
/// Columns are matched by name, ignoring case and surrounding spaces; columns no rule names are
/// not imported. A rule whose columns are all absent from a file is skipped (and named in the
/// import's notes), as a file without a column leaves that field as it is; only the columns
/// every row needs (`customer_ref`, and all of an order's or outcome's) refuse the file.
public struct ImportMapping: Sendable {
    /// The mapping file's name, for messages.
    public let file: String
    public let kind: ImportKind
    let rules: [FieldRule]

    /// Reads a mapping and checks it against the fields `kind` imports: every target must be
    /// one of them, each transform must suit the field's type, a named `unknown` value must be
    /// one of the enum's values. Errors name the mapping file and line.
    package init(yaml: String, file: String, schema: Schema) throws(PolicyFileError) {
        self.file = file
        let root = try YAMLNode.parse(yaml, file: file)
        var kind = ImportKind.customers
        var fieldsNode: YAMLNode?
        for (key, keyLine, value) in try root.mapping("the mapping") {
            switch key {
            case "kind":
                let name = try value.string("kind")
                guard let k = ImportKind(rawValue: name) else {
                    throw value.error("kind must be one of \(ImportKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
                }
                kind = k
            case "fields": fieldsNode = value
            case "source", "description": _ = try value.string(key)
            default:
                throw PolicyFileError(file: file, line: keyLine, message: "unknown key '\(key)'; a mapping has kind, source, description and fields")
            }
        }
        guard let fieldsNode else { throw root.error("the mapping has no fields: section") }
        self.kind = kind
        let targets = ImportColumns.fields(of: kind, schema: schema)
        var rules: [FieldRule] = []
        for (name, keyLine, value) in try fieldsNode.mapping("fields") {
            guard let spec = targets.first(where: { $0.name == name }) else {
                throw PolicyFileError(file: file, line: keyLine, message: "'\(name)' is not a \(kind.rawValue) field; fields are: \(targets.map(\.name).joined(separator: ", "))")
            }
            rules.append(try FieldRule(target: spec, node: value))
        }
        guard !rules.isEmpty else { throw fieldsNode.error("fields: is empty") }
        self.rules = rules
    }
}

/// One field of the mapping: where its text comes from and how it is transformed.
struct FieldRule: Sendable {
    enum Source: Sendable {
        case column(String)
        case template([TemplatePart])
    }
    enum TemplatePart: Sendable {
        case text(String)
        case column(String)
    }
    enum LetterCase: String, Sendable { case lower, upper, title }
    enum Unknown: Sendable, Equatable {
        case reject, missing
        case value(String)
    }

    let target: FieldSpec
    let line: Int
    let source: Source
    var split: (separator: String, part: Int)?
    var trims = true
    var letterCase: LetterCase?
    /// Lowercased source value → replacement.
    var valueMap: [String: String] = [:]
    /// The decimal separator of the source (`,` or `.`); the other one is a thousands separator.
    var decimalSeparator: Character?
    var dateFormats: [SourceDateFormat] = []
    var trueWords: Set<String> = []
    var falseWords: Set<String> = []
    var unknown = Unknown.reject

    /// The columns the rule reads.
    var columns: [String] {
        switch source {
        case let .column(name): [name]
        case let .template(parts): parts.compactMap { if case let .column(name) = $0 { name } else { nil } }
        }
    }

    init(target: FieldSpec, node: YAMLNode) throws(PolicyFileError) {
        self.target = target
        line = node.line
        let what = "fields.\(target.name)"
        if !node.isMapping {
            source = try Self.source(try node.string(what), node: node, what: what)
            return
        }
        var source: Source?
        for (key, keyLine, value) in try node.mapping(what) {
            func refuse(_ message: String) -> PolicyFileError { PolicyFileError(file: node.file, line: keyLine, message: "\(what).\(key): \(message)") }
            switch key {
            case "from":
                guard source == nil else { throw refuse("give either from or template, not both") }
                source = .column(try value.string("\(what).from"))
            case "template":
                guard source == nil else { throw refuse("give either from or template, not both") }
                source = try Self.source(try value.string("\(what).template"), node: value, what: what, mustBeTemplate: true)
            case "split":
                var separator: String?, part: Int?
                for (k, _, v) in try value.mapping("\(what).split") {
                    switch k {
                    case "separator": separator = try v.string("\(what).split.separator")
                    case "part": part = try v.int("\(what).split.part")
                    default: throw refuse("unknown key '\(k)'; split has separator and part")
                    }
                }
                guard let separator, !separator.isEmpty, let part, part != 0 else {
                    throw refuse("needs a non-empty separator and a part (1 = first, -1 = last)")
                }
                split = (separator, part)
            case "trim": trims = try value.bool("\(what).trim")
            case "case":
                let name = try value.string("\(what).case")
                guard let c = LetterCase(rawValue: name) else { throw refuse("must be lower, upper or title, not '\(name)'") }
                guard FieldView.maskableTypes.contains(target.type) || target.type == .enum else {
                    throw refuse("applies to text fields, not to \(target.type.rawValue) fields")
                }
                letterCase = c
            case "values":
                for (from, _, to) in try value.mapping("\(what).values") {
                    let replacement = try to.string("\(what).values.\(from)")
                    if target.type == .enum, target.canonicalValues[replacement.lowercased()] == nil {
                        throw refuse("'\(from)' maps to '\(replacement)', which is not one of \(target.name)'s values (\(target.values.joined(separator: ", ")))")
                    }
                    valueMap[from.trimmingCharacters(in: .whitespaces).lowercased()] = replacement
                }
            case "decimal":
                guard target.type == .decimal || target.type == .integer else {
                    throw refuse("applies to decimal and integer fields, not to \(target.type.rawValue) fields")
                }
                switch try value.string("\(what).decimal") {
                case "comma": decimalSeparator = ","
                case "point": decimalSeparator = "."
                case let other: throw refuse("must be comma or point, not '\(other)'")
                }
            case "date":
                guard target.type == .date else { throw refuse("applies to date fields, not to \(target.type.rawValue) fields") }
                let layouts = value.isSequence ? try value.sequence("\(what).date").map { n throws(PolicyFileError) in try n.string("\(what).date") }
                                               : [try value.string("\(what).date")]
                for layout in layouts {
                    switch SourceDateFormat.parse(layout) {
                    case let .success(format): dateFormats.append(format)
                    case let .failure(error): throw refuse("'\(layout)' \(error.reason)")
                    }
                }
            case "true", "false":
                guard target.type == .boolean else { throw refuse("applies to boolean fields, not to \(target.type.rawValue) fields") }
                let words = try value.sequence("\(what).\(key)").map { n throws(PolicyFileError) in try n.string("\(what).\(key)").lowercased() }
                if key == "true" { trueWords = Set(words) } else { falseWords = Set(words) }
            case "unknown":
                guard target.type == .enum else { throw refuse("applies to enum fields, not to \(target.type.rawValue) fields") }
                switch try value.string("\(what).unknown") {
                case "reject": unknown = .reject
                case "missing":
                    guard !target.required else { throw refuse("\(target.name) is required, so an unknown value cannot become missing") }
                    unknown = .missing
                case let name:
                    guard let canonical = target.canonicalValues[name.lowercased()] else {
                        throw refuse("must be reject, missing or one of \(target.name)'s values (\(target.values.joined(separator: ", "))), not '\(name)'")
                    }
                    unknown = .value(canonical)
                }
            default:
                throw refuse("unknown key; a field rule has from or template, split, trim, case, values, decimal, date, true, false and unknown")
            }
        }
        guard let source else { throw node.error("\(what): needs from: COLUMN or template: \"{Column} text\"") }
        self.source = source
        if !trueWords.isDisjoint(with: falseWords) { throw node.error("\(what): a word is in both true and false") }
    }

    /// A plain string is a column name, unless it has `{…}`: then it is a template.
    private static func source(_ text: String, node: YAMLNode, what: String, mustBeTemplate: Bool = false) throws(PolicyFileError) -> Source {
        guard text.contains("{") || mustBeTemplate else {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw node.error("\(what): the column name is empty") }
            return .column(text)
        }
        var parts: [TemplatePart] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append(.text(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else { throw node.error("\(what): '{' without a closing '}' in the template") }
            let name = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw node.error("\(what): '{}' names no column") }
            parts.append(.column(name))
            rest = rest[rest.index(after: close)...]
        }
        if rest.contains("}") { throw node.error("\(what): '}' without an opening '{' in the template") }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        guard parts.contains(where: { if case .column = $0 { true } else { false } }) else {
            throw node.error("\(what): the template names no column (write columns in braces: \"{First Name} {Last Name}\")")
        }
        return .template(parts)
    }

    /// The rule reads one column as it is: the schema's own checks (which trim) do the rest.
    var isPlainColumn: Bool {
        guard case .column = source else { return false }
        return split == nil && letterCase == nil && valueMap.isEmpty && decimalSeparator == nil && dateFormats.isEmpty
            && trueWords.isEmpty && falseWords.isEmpty && (target.type != .enum || unknown == .reject)
    }

    /// The field's text for one row, ready for the schema's checks; a rejection when a
    /// transform cannot read the value (a date in another layout, an unknown enum value).
    /// `positions` are the row positions of `columns`, in order (nil: not in the file, read as empty).
    func apply(_ row: [String], positions: [Int?]) -> Result<String, ValueRejection> {
        var text: String
        switch source {
        case .column:
            text = positions[0].map { row[$0] } ?? ""
        case let .template(parts):
            text = ""
            var next = 0
            var anyColumn = false
            for part in parts {
                switch part {
                case let .text(literal): text += literal
                case .column:
                    let value = positions[next].map { Self.trimmed(row[$0]) } ?? ""
                    next += 1
                    anyColumn = anyColumn || !value.isEmpty
                    text += value
                }
            }
            // All columns empty: the field is empty, not the template's bare text. An empty
            // column leaves no doubled or dangling space behind.
            text = anyColumn ? Self.collapsingSpaces(text) : ""
        }
        if let split {
            let pieces = text.components(separatedBy: split.separator)
            let k = split.part > 0 ? split.part - 1 : pieces.count + split.part
            text = pieces.indices.contains(k) ? pieces[k] : ""
        }
        if trims { text = Self.trimmed(text) }
        if text.isEmpty { return .success("") }
        switch letterCase {
        case .lower: text = text.lowercased()
        case .upper: text = text.uppercased()
        case .title: text = text.lowercased().capitalized
        case nil: break
        }
        if !valueMap.isEmpty, let mapped = valueMap[text.lowercased()] { text = mapped }
        if let decimalSeparator {
            let thousands: Set<Character> = decimalSeparator == "," ? [".", " ", "\u{A0}", "\u{202F}", "'"] : [",", " ", "\u{A0}", "\u{202F}", "'"]
            text = String(text.filter { !thousands.contains($0) }.map { $0 == decimalSeparator ? "." : $0 })
        }
        if !dateFormats.isEmpty {
            guard let date = dateFormats.lazy.compactMap({ $0.read(text) }).first else {
                let layouts = dateFormats.map(\.layout).joined(separator: " or ")
                return .failure(ValueRejection(field: target.name, reason: "not a date in the layout \(layouts)"))
            }
            text = date.description
        }
        if !trueWords.isEmpty || !falseWords.isEmpty {
            let word = text.lowercased()
            if trueWords.contains(word) { text = "true" } else if falseWords.contains(word) { text = "false" }
        }
        if target.type == .enum, unknown != .reject, target.canonicalValues[text.lowercased()] == nil {
            switch unknown {
            case .reject: break   // the schema's check rejects it and lists the values
            case .missing: text = ""
            case let .value(value): text = value
            }
        }
        return .success(text)
    }

    /// `text` without leading and trailing spaces, tabs and line breaks; itself when it has none.
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = utf8.first, let last = utf8.last else { return text }
        if !isSpace(first) && !isSpace(last) { return text }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = utf8.lastIndex(where: { !isSpace($0) })!
        return String(text[start...end])
    }

    /// `text` with runs of spaces made one and no space at either end.
    static func collapsingSpaces(_ text: String) -> String {
        let utf8 = text.utf8
        var previousSpace = true
        var clean = true
        for b in utf8 {
            if b == 0x20 && previousSpace { clean = false; break }
            previousSpace = b == 0x20
        }
        if clean && utf8.last != 0x20 { return text }
        return text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}

/// A mapping applied to one file: its rules matched to the file's header.
struct ResolvedMapping {
    let rules: [FieldRule]
    /// For each rule, the row positions of its columns (nil: not in this file).
    let positions: [[Int?]]
    /// Rules that read one column as it is: the row's text is used directly.
    let plainColumns: [Int?]
    /// The fields a row yields, in `rules` order.
    var columns: [FieldSpec] { rules.map(\.target) }
    /// Rules skipped because the file has none of their columns: "field (Column, …)".
    let skipped: [String]

    /// Matches `mapping` to `header` (names compared ignoring case and surrounding spaces).
    /// A `mandatory` field whose columns are all missing refuses the file.
    init(_ mapping: ImportMapping, header: [String], file: String, mandatory: [String]) throws(VaultError) {
        var byName: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            if byName[key] == nil { byName[key] = i }
        }
        var rules: [FieldRule] = []
        var positions: [[Int?]] = []
        var skipped: [String] = []
        for rule in mapping.rules {
            let found = rule.columns.map { byName[$0.trimmingCharacters(in: .whitespaces).lowercased()] }
            if found.contains(where: { $0 != nil }) {
                rules.append(rule)
                positions.append(found)
            } else if mandatory.contains(rule.target.name) {
                let names = rule.columns.map { "'\($0)'" }.joined(separator: ", ")
                throw .importFile("\(file):1: the header has no column \(names), which \(mapping.file) reads for \(rule.target.name) (line \(rule.line)); export that column too, or edit the mapping")
            } else {
                skipped.append("\(rule.target.name) (\(rule.columns.joined(separator: ", ")))")
            }
        }
        for name in mandatory where !rules.contains(where: { $0.target.name == name }) {
            throw .importFile("\(mapping.file): no rule for '\(name)', which every \(mapping.kind.rawValue) row needs; add one under fields:")
        }
        self.rules = rules
        self.positions = positions
        plainColumns = zip(rules, positions).map { rule, found in rule.isPlainColumn ? found[0] : nil }
        self.skipped = skipped
    }

    /// The row's field texts in `columns` order, and every rejection the transforms found
    /// (those fields' texts are empty).
    func apply(_ row: [String]) -> ([String], [ValueRejection]) {
        var out: [String] = []
        out.reserveCapacity(rules.count)
        var rejections: [ValueRejection] = []
        for k in rules.indices {
            if let column = plainColumns[k] {
                out.append(row[column])
                continue
            }
            switch rules[k].apply(row, positions: positions[k]) {
            case let .success(text): out.append(text)
            case let .failure(rejection): rejections.append(rejection); out.append("")
            }
        }
        return (out, rejections)
    }
}
