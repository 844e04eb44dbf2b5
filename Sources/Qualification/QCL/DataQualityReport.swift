/// Per criterion of a model: how many customers it matched, did not match, could only bound
/// (indeterminate), and could not score at all because the value was missing or invalid.
public struct DataQualityReport: Sendable, Encodable {
    /// The counts for one rule or disqualifier of the model.
    public struct Criterion: Sendable, Encodable {
        /// "fit: company_size in [50, 249]" or "disqualifier: consent_marketing = false".
        public var name: String
        /// The criteria group the rule belongs to, or "disqualifiers".
        public var group: String
        public var line: Int
        public var matched = 0
        public var notMatched = 0
        public var indeterminate = 0
        public var missing = 0
        public var invalid = 0
        /// Customers for whom the criterion could not be scored (missing or invalid).
        public var unscored: Int { missing + invalid }

        enum CodingKeys: String, CodingKey { case name, group, line, matched, notMatched, indeterminate, missing, invalid, unscored }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(group, forKey: .group)
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
            group.rules.map { Criterion(name: "\(group.name): \($0.condition.input.name) \($0.condition.op.text)", group: group.name, line: $0.line) }
        } + model.disqualifiers.map {
            Criterion(name: "disqualifier: \($0.condition.input.name) \($0.condition.op.text)", group: Self.disqualifierGroup, line: $0.line)
        }
    }

    /// The group name of the model's disqualifiers in `groups`.
    public static let disqualifierGroup = "disqualifiers"

    /// One group's criteria summed: how many criteria could not score some customers, and the
    /// missing and invalid values over all of them (a customer missing two inputs counts twice).
    public struct GroupSummary: Sendable, Equatable, Encodable {
        public var group: String
        public var criteria: Int
        /// Criteria with at least one missing or invalid value.
        public var criteriaWithGaps: Int
        public var missing: Int
        public var invalid: Int
        /// Criteria whose band straddled the threshold for some customers.
        public var indeterminate: Int
    }

    /// Per criteria group, in model order (disqualifiers last): what `score` prints, one line each.
    public var groups: [GroupSummary] {
        var order: [String] = []
        var sums: [String: GroupSummary] = [:]
        for c in criteria {
            if sums[c.group] == nil {
                order.append(c.group)
                sums[c.group] = GroupSummary(group: c.group, criteria: 0, criteriaWithGaps: 0, missing: 0, invalid: 0, indeterminate: 0)
            }
            sums[c.group]!.criteria += 1
            if c.unscored > 0 { sums[c.group]!.criteriaWithGaps += 1 }
            sums[c.group]!.missing += c.missing
            sums[c.group]!.invalid += c.invalid
            if c.indeterminate > 0 { sums[c.group]!.indeterminate += 1 }
        }
        return order.map { sums[$0]! }
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
