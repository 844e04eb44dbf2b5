import Coffer

/// One customer's qualification: what the QCL shows, and what reports aggregate.
public struct CustomerScore: Sendable {
    /// The reference as the running role sees it (a pseudonym for analysts).
    public var reference: String?
    /// The score interval: equal ends unless a criterion was indeterminate.
    public var low: Double
    public var high: Double
    /// The score the tier was read from (`low`, `high` or their midpoint, per the model).
    public var score: Double
    public var tier: String
    /// Which bound set the tier: `exact` when both ends fall in the same tier.
    public var tierBound: String
    /// Why the customer was disqualified (then `tier` is "disqualified").
    public var disqualification: String?
    /// Share (0...1) of the fields the model reads that the customer has a value for.
    public var completeness: Double
    /// Share (0...1) of the model's points whose outcome is known for this customer.
    public var confidence: Double
    /// The strongest contributions, strongest first.
    public var reasons: [Reason]
    public var nextAction: String?
    /// "YYYY-MM", when the model has a recontact rule and the customer its date.
    public var recontactMonth: String?
    /// Derived value attributes shown in the QCL when the model uses them.
    public var rfmSegment: String?
    public var clvPredicted: Double?
    /// Score of each group (low, high), in model order; for matrices and reports.
    public var groupScores: [ClosedRange<Double>]
    /// One verdict per rule (groups in order), then per disqualifier: for data-quality counts.
    public var verdicts: [Verdict]
    /// The imported won/lost outcome, for calibration and reports (never written to the QCL).
    public var outcome: DealOutcome?
    /// The identifying reason codes as shown (`classReasons`) and coarsened: what the QCL's
    /// k-anonymity guard groups rows by, with the tier. Nil when no reason is identifying.
    var classReasons: String?
    var coarseClassReasons: String?

    public var isIndeterminate: Bool { low != high }
}

/// A PII-free reason code: "company_size 50-249: +15".
public struct Reason: Sendable, Equatable {
    public var input: String
    /// What the rule saw: the label (a band, an enum value) or, for plain numbers and absent
    /// values (a `missing: true` rule), the rule's test.
    public var label: String
    public var low: Double
    public var high: Double
    public var indeterminate: Bool
    /// The label is a quasi-identifier (or sensitive) value: the k-anonymity guard may coarsen it.
    public var identifying: Bool

    /// The code as written in the QCL; `coarse` drops an identifying label.
    public func text(coarse: Bool = false) -> String {
        let points = low == high ? signed(low) : "\(signed(low))..\(signed(high))"
        let subject = coarse && identifying ? input : "\(input) \(label)"
        return "\(subject): \(points)" + (indeterminate ? " (indeterminate)" : "")
    }

    private func signed(_ x: Double) -> String {
        let rounded = (x * 10).rounded() / 10
        return (rounded > 0 ? "+" : "") + formatNumber(rounded == 0 ? 0 : rounded)
    }
}
