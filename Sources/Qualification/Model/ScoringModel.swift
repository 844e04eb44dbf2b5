/// A scoring model: criteria groups of rules, disqualifiers, tiers (or a fit × engagement
/// matrix), next actions and recontact timing. Loaded from `policies/scoring/*.yaml` by
/// ``ScoringModel/load(yaml:file:schema:role:)``, which refuses anything it cannot honour.
///
/// Rules see customers only as a role's view shows them: a rule on a generalized field runs on
/// the band ("30-39"), and a band that straddles the rule's threshold makes the criterion
/// indeterminate rather than guessing.
public struct ScoringModel: Sendable {
    public var name: String
    public var version: String
    /// The purpose runs are made for (checked against the running role's purposes).
    public var purpose: String
    public var description: String
    /// SHA-256 of the model file, recorded in the audit entry of every run.
    public var digest: String
    public var groups: [CriteriaGroup]
    public var disqualifiers: [Disqualifier]
    /// Bounds of the total score (an overall cap).
    public var scoreCap: ScoreCap
    public var grading: Grading
    /// Which end of a score interval decides the tier when a criterion is indeterminate.
    public var tierBound: TierBoundPolicy
    public var nextActions: [NextActionRule]
    public var defaultAction: String?
    public var recontact: Recontact?
    /// Parameters of the value attributes (RFM, CLV), when rules use them.
    public var value: ValueSettings
    /// Where the model's rules came from, when a tool proposed them (`provenance:`): calibration
    /// warns when a model is evaluated on the outcomes its rules were learned from.
    public var provenance: [Provenance] = []

    /// Schema fields the model reads, in first-use order (what a run decrypts).
    public var fields: [String]
    /// Whether any rule uses a derived value attribute (so orders must be summarized).
    public var usesValueAttributes: Bool
}

/// A named group of rules (fit, intent, engagement, value, risk, or any other name, e.g. the
/// letters of CHAMP or MEDDIC), with an optional cap and time decay.
public struct CriteriaGroup: Sendable {
    public var name: String
    /// A label for the framework the group follows (BANT, CHAMP, MEDDIC); informational.
    public var framework: String?
    public var cap: ScoreCap
    public var decay: Decay?
    public var rules: [Rule]
    public var line: Int
}

/// Minimum and maximum of a sum of points; nil ends are open.
public struct ScoreCap: Sendable, Equatable {
    public var min: Double?
    public var max: Double?
    public static let none = ScoreCap(min: nil, max: nil)

    func clamp(_ x: Double) -> Double {
        var x = x
        if let max { x = Swift.min(x, max) }
        if let min { x = Swift.max(x, min) }
        return x
    }
}

/// Points of a group fade with the age of an activity date: factor = 0.5^(days / half-life).
public struct Decay: Sendable {
    public var field: String
    public var halfLifeDays: Double
}

/// What a rule or condition tests.
public enum Operator: Sendable, Equatable {
    /// The value, as the role sees it, is one of these labels.
    case oneOf([String])
    /// The value lies in the closed interval (a band must lie wholly inside to match, wholly
    /// outside not to; otherwise the criterion is indeterminate).
    case range(min: Double?, max: Double?)
    /// The value's band overlaps the closed interval at all (never indeterminate).
    case overlaps(min: Double?, max: Double?)
    /// The value is absent (`true`) or present (`false`).
    case missing(Bool)

    var text: String {
        switch self {
        case let .oneOf(labels): labels.count == 1 ? "= \(labels[0])" : "in \(labels.joined(separator: "|"))"
        case let .range(min, max): "in " + Self.interval(min, max)
        case let .overlaps(min, max): "overlaps " + Self.interval(min, max)
        case let .missing(flag): flag ? "missing" : "present"
        }
    }

    static func interval(_ min: Double?, _ max: Double?) -> String {
        "[\(min.map(formatNumber) ?? "-inf"), \(max.map(formatNumber) ?? "inf")]"
    }
}

/// A test on one input: a schema field or a derived value attribute.
public struct Condition: Sendable {
    public var input: Input
    public var op: Operator
    public var line: Int
}

/// What a condition reads.
public enum Input: Sendable, Equatable, Hashable {
    case field(String)
    case attribute(ValueAttribute)

    public var name: String {
        switch self {
        case let .field(name): name
        case let .attribute(attribute): attribute.rawValue
        }
    }
}

/// A scored criterion: points when its condition holds.
public struct Rule: Sendable {
    public var condition: Condition
    public var points: Double
    /// The framework letter or label this rule scores (e.g. "authority"); informational.
    public var criterion: String?
    public var line: Int
}

/// A condition that removes a customer from the tiers, with the reason given.
public struct Disqualifier: Sendable {
    public var condition: Condition
    public var reason: String
    /// Whether an indeterminate test (a band straddling the threshold) disqualifies. Default: yes.
    public var whenIndeterminate: Bool
    public var line: Int
}

/// A tier: scores in `[min, max)`.
public struct Tier: Sendable, Equatable {
    public var name: String
    public var min: Double?
    public var max: Double?
    public var line: Int

    func contains(_ x: Double) -> Bool {
        (min.map { x >= $0 } ?? true) && (max.map { x < $0 } ?? true)
    }
}

/// How tiers are assigned.
public enum Grading: Sendable {
    /// One ladder of tiers on the total score.
    case tiers([Tier])
    /// A grid: rows graded on the sum of some groups (e.g. fit → A/B/C), columns on others
    /// (e.g. engagement → 1/2/3); the tier is row + column ("A1").
    case matrix(rows: MatrixAxis, columns: MatrixAxis)

    /// Every tier name a customer can get, best first.
    public var tierNames: [String] {
        switch self {
        case let .tiers(tiers): tiers.map(\.name)
        case let .matrix(rows, columns): rows.tiers.flatMap { r in columns.tiers.map { r.name + $0.name } }
        }
    }
}

/// One axis of a tier matrix: the groups whose scores it sums and the tiers along it.
public struct MatrixAxis: Sendable {
    public var groups: [String]
    public var tiers: [Tier]
}

/// Which end of the score interval sets the tier when a criterion is indeterminate.
public enum TierBoundPolicy: String, Sendable {
    case lower, upper, midpoint
}

/// "If this holds, do that": the first rule whose conditions all hold names the next action.
public struct NextActionRule: Sendable {
    public var conditions: [Condition]
    /// Only for customers in these tiers (empty: any tier).
    public var tiers: [String]
    public var action: String
    public var line: Int
}

/// When to contact a customer again: `lead_months` before the month of a date field (e.g. the
/// end of a competitor's contract). Month granularity only: no exact date leaves the vault.
public struct Recontact: Sendable {
    public var field: String
    public var leadMonths: Int
    public var action: String?
}

/// One entry of a model's `provenance:` list: which tool proposed rules, from what, when.
///
/// ```yaml
/// provenance:
///   - { source: coffer icp, segment: won, date: 2025-01-31, outcomes: true, holdout: { fraction: 0.3, seed: coffer } }
/// ```
public struct Provenance: Sendable, Equatable {
    /// The tool or person ("coffer icp").
    public var source: String
    /// The segment the rules describe ("won", "tier=A", "top-clv 10%").
    public var segment: String?
    /// The day they were proposed (YYYY-MM-DD).
    public var date: String?
    /// Whether imported won/lost outcomes chose the rules (a `won` segment does).
    public var outcomes: Bool
    /// The customers held out of the proposal, when it held some out.
    public var holdout: HoldoutSplit?
    public var line: Int

    public init(source: String, segment: String? = nil, date: String? = nil, outcomes: Bool, holdout: HoldoutSplit? = nil, line: Int = 0) {
        self.source = source
        self.segment = segment
        self.date = date
        self.outcomes = outcomes
        self.holdout = holdout
        self.line = line
    }

    /// The entry as one YAML flow mapping (what `coffer icp --rules` writes).
    public var yaml: String {
        var parts = ["source: \(source)"]
        if let segment { parts.append("segment: \"\(segment)\"") }
        if let date { parts.append("date: \(date)") }
        parts.append("outcomes: \(outcomes)")
        if let holdout { parts.append("holdout: { fraction: \(formatNumber(holdout.fraction)), seed: \"\(holdout.seed)\" }") }
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    /// "coffer icp, segment won, 2025-01-31".
    public var summary: String {
        ([source] + [segment.map { "segment \($0)" }, date].compactMap { $0 }).joined(separator: ", ")
    }
}

/// Settings of the derived value attributes.
public struct ValueSettings: Sendable, Equatable {
    /// Expected customer lifespan for the historic CLV, in years.
    public var lifespanYears: Double = 3
    /// Gross margin applied to revenue in both CLV figures (0...1).
    public var margin: Double = 0.3
    /// Horizon of the predictive CLV, in months.
    public var horizonMonths: Int = 12
    /// Annual discount rate of the predictive CLV.
    public var annualDiscountRate: Double = 0.1
    /// Customers the BG/NBD and Gamma-Gamma fits use at most (a deterministic sample beyond).
    public var fitSample: Int = 50_000

    public init() {}
}

/// Derived attributes computed inside the vault from orders (never the orders themselves).
public enum ValueAttribute: String, Sendable, CaseIterable, Equatable, Hashable {
    /// RFM segment label ("champions", "at_risk", ...; "no_purchases" for customers without orders).
    case rfmSegment = "rfm_segment"
    /// Quintile scores 1–5 (0 without orders).
    case rfmRecency = "rfm_recency"
    case rfmFrequency = "rfm_frequency"
    case rfmMonetary = "rfm_monetary"
    /// Number of orders.
    case orders
    /// Historic CLV: average order value × orders per year × lifespan × margin.
    case clvHistoric = "clv_historic"
    /// Predictive CLV over the horizon (BG/NBD × Gamma-Gamma × margin, discounted).
    case clvPredicted = "clv_predicted"
    /// BG/NBD probability that the customer is still active.
    case pAlive = "p_alive"

    var isNumeric: Bool { self != .rfmSegment }
}

/// A number as reports show it: whole numbers without decimals, others to at most 2 decimals
/// ("15", "4999.99", "0.5"). Hot in QCL output, so no `String(format:)`.
func formatNumber(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    let cents = (abs(x) * 100).rounded()
    guard cents < 1e17 else { return String(x) }
    let whole = Int64(cents) / 100, fraction = Int64(cents) % 100
    let sign = x < 0 && cents > 0 ? "-" : ""
    if fraction == 0 { return sign + String(whole) }
    let digits = fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)
    return sign + String(whole) + "." + digits
}
