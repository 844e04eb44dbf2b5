import Coffer
import Foundation

/// Ideal-customer-profile discovery: for every attribute value a role sees (a band, an enum
/// value, a flag), its share among a segment (tier A, won deals, top CLV) against its share
/// in the whole list. Lift = segment share / overall share; support = customers in the segment
/// with the value. Cells with fewer than k customers (in the segment or overall) are never
/// shown, so the report cannot single anyone out.
public struct ICPDiscovery: Sendable {
    public var fields: [String]
    public var segment: String
    public var k: Int
    public private(set) var customers = 0
    public private(set) var segmentSize = 0
    var overall: [[String: Int]]
    var inSegment: [[String: Int]]

    public init(fields: [String], segment: String, k: Int) {
        self.fields = fields
        self.segment = segment
        self.k = k
        overall = Array(repeating: [:], count: fields.count)
        inSegment = Array(repeating: [:], count: fields.count)
    }

    /// Fields worth profiling: what the role sees plain or generalized, except identifiers,
    /// free text and the fields in `excluding`. Pseudonyms and masks name no shared trait.
    public static func attributeFields(schema: Schema, role: RolePolicy, excluding: Set<String>) -> [String] {
        schema.fields.filter { spec in
            guard spec.classification != .identifier, spec.type != .text, !excluding.contains(spec.name) else { return false }
            switch role.view(of: spec.name) {
            case .plain, .generalized: return true
            default: return false
            }
        }.map(\.name)
    }

    /// The label a value is counted under: bands and enum values as shown, plain numbers in
    /// decades ("10-99"), plain dates by month. Nil for unreadable values.
    public static func label(_ value: ViewedValue) -> String? {
        switch value.form {
        case .unreadable: return nil
        case .plain where value.days != nil: return String(value.label.prefix(7))
        case .plain where value.isNumeric:
            guard let x = value.lower else { return nil }
            return decade(x)
        default: return value.label
        }
    }

    /// "<0", "0", "1-9", "10-99", "100-999", ...
    static func decade(_ x: Double) -> String {
        if x < 0 { return "<0" }
        if x < 1 { return "0" }
        var low = 1.0
        while x >= low * 10, low < 1e15 { low *= 10 }
        return "\(formatNumber(low))-\(formatNumber(low * 10 - 1))"
    }

    public mutating func add(_ labels: [String?], inSegment member: Bool) {
        customers += 1
        if member { segmentSize += 1 }
        for (i, label) in labels.enumerated() where i < fields.count {
            guard let label else { continue }
            overall[i][label, default: 0] += 1
            if member { inSegment[i][label, default: 0] += 1 }
        }
    }

    /// One attribute value in the segment and overall.
    public struct Cell: Sendable, Equatable, Encodable {
        public var field: String
        public var value: String
        /// Customers of the segment with this value.
        public var support: Int
        public var overallCount: Int
        public var segmentShare: Double
        public var overallShare: Double
        public var lift: Double
    }

    /// Cells with at least k customers in the segment and overall, highest lift first.
    public var cells: [Cell] {
        guard segmentSize > 0, customers > 0 else { return [] }
        var cells: [Cell] = []
        for (i, field) in fields.enumerated() {
            for (value, count) in overall[i] {
                let support = inSegment[i][value] ?? 0
                guard support >= k, count >= k else { continue }
                let segmentShare = Double(support) / Double(segmentSize), overallShare = Double(count) / Double(customers)
                cells.append(Cell(field: field, value: value, support: support, overallCount: count, segmentShare: segmentShare,
                                  overallShare: overallShare, lift: segmentShare / overallShare))
            }
        }
        return cells.sorted { $0.lift != $1.lift ? $0.lift > $1.lift : ($0.field, $0.value) < ($1.field, $1.value) }
    }

    /// A fit rule suggested by a cell whose lift is at least `minimumLift`.
    public struct ProposedRule: Sendable, Equatable, Encodable {
        public var field: String
        public var value: String
        public var lift: Double
        public var support: Int
        public var points: Int
        /// The rule as it would be written in a model's `fit` group.
        public var yaml: String
    }

    /// Fit rules for the values over-represented in the segment: points = round(10 × log2(lift)),
    /// between 1 and 20. The segment share must be at least 10% so that rules describe many of
    /// the best customers, not a curiosity.
    public func proposedRules(minimumLift: Double = 1.5, limit: Int = 10) -> [ProposedRule] {
        cells.filter { $0.lift >= minimumLift && $0.segmentShare >= 0.1 }.prefix(limit).map { cell in
            let points = min(20, max(1, Int((10 * log2(cell.lift)).rounded())))
            let test: String
            if let (low, high) = Self.decadeBounds(cell.value) {
                test = "range: { " + [low.map { "min: \($0)" }, high.map { "max: \($0)" }].compactMap { $0 }.joined(separator: ", ") + " }"
            } else {
                test = "equals: \(Self.yamlScalar(cell.value))"
            }
            let yaml = "- { field: \(cell.field), \(test), points: \(points) }   # lift \(String(format: "%.2f", cell.lift)), support \(cell.support)"
            return ProposedRule(field: cell.field, value: cell.value, lift: cell.lift, support: cell.support, points: points, yaml: yaml)
        }
    }

    /// Inclusive bounds of a decade label made by `decade`, for a `range` rule that holds every
    /// value counted under the label: "10-99" is [10, 99.99] (decimals step by a cent, as bands
    /// do; 99.5 counts as "10-99"), "0" is [0, 0.99], "<0" is up to -0.01. Nil for other labels.
    static func decadeBounds(_ label: String) -> (String?, String?)? {
        if label == "0" { return ("0", "0.99") }
        if label == "<0" { return (nil, "-0.01") }
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low >= 1, high == low * 10 - 1 else { return nil }
        return (String(parts[0]), String(parts[1]) + ".99")
    }

    /// A label quoted when YAML would otherwise read it as something else.
    static func yamlScalar(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
        return plain && !["true", "false"].contains(text.lowercased()) || ["true", "false"].contains(text) ? text
            : "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
