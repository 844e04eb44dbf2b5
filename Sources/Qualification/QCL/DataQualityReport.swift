/// Per criterion of a model: how many customers it matched, did not match, could only bound
/// (indeterminate), and could not score at all because the value was missing or invalid.
public struct DataQualityReport: Sendable, Encodable {
    /// The counts for one rule or disqualifier of the model.
    public struct Criterion: Sendable, Encodable {
        /// "fit: company_size in [50, 249]" or "disqualifier: consent_marketing = false".
        public var name: String
        public var line: Int
        public var matched = 0
        public var notMatched = 0
        public var indeterminate = 0
        public var missing = 0
        public var invalid = 0
        /// Customers for whom the criterion could not be scored (missing or invalid).
        public var unscored: Int { missing + invalid }

        enum CodingKeys: String, CodingKey { case name, line, matched, notMatched, indeterminate, missing, invalid, unscored }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(line, forKey: .line)
            try c.encode(matched, forKey: .matched)
            try c.encode(notMatched, forKey: .notMatched)
            try c.encode(indeterminate, forKey: .indeterminate)
            try c.encode(missing, forKey: .missing)
            try c.encode(invalid, forKey: .invalid)
            try c.encode(unscored, forKey: .unscored)
        }
    }

    public var criteria: [Criterion]
    public var customers = 0
    /// Customers with at least one criterion missing or invalid.
    public var customersWithGaps = 0
    /// Customers whose score is an interval (some criterion indeterminate).
    public var indeterminateScores = 0

    public init(model: ScoringModel) {
        criteria = model.groups.flatMap { group in
            group.rules.map { Criterion(name: "\(group.name): \($0.condition.input.name) \($0.condition.op.text)", line: $0.line) }
        } + model.disqualifiers.map { Criterion(name: "disqualifier: \($0.condition.input.name) \($0.condition.op.text)", line: $0.line) }
    }

    public mutating func add(_ score: CustomerScore) {
        customers += 1
        var gap = false
        for (i, verdict) in score.verdicts.enumerated() where i < criteria.count {
            switch verdict {
            case .match: criteria[i].matched += 1
            case .noMatch: criteria[i].notMatched += 1
            case .indeterminate: criteria[i].indeterminate += 1
            case .missing: criteria[i].missing += 1; gap = true
            case .invalid: criteria[i].invalid += 1; gap = true
            }
        }
        if gap { customersWithGaps += 1 }
        if score.isIndeterminate { indeterminateScores += 1 }
    }
}
