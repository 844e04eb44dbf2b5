import Coffer
import Foundation

/// Scores customers with a model, one `ScoringRow` at a time (thread-safe, no shared state).
///
/// Per rule: a match adds its points, no match adds nothing, an indeterminate test (a band
/// straddling the threshold) adds anything between 0 and its points, and a missing value adds
/// nothing but lowers completeness and confidence. A group with decay multiplies its points by
/// 0.5^(age of the activity date / half-life), an interval when the date is a month. Group caps
/// then the overall cap clamp both ends. The tier comes from the end the model names
/// (`tier_by`, lower by default); `tierBound` says which end decided, or `exact`.
public struct ScoringEngine: Sendable {
    public static let disqualifiedTier = "disqualified"
    /// Reasons kept per customer.
    public static let reasonCount = 3

    public let model: ScoringModel
    let value: ValueContext?
    /// Position in `ScoringRow.values` of each field the model reads (`model.fields` order).
    let positions: [String: Int]
    /// Fields whose labels identify in combination (quasi-identifiers and sensitive fields).
    let identifying: Set<String>
    let today: CivilDate
    /// Distinct fields counted by completeness.
    let completenessFields: [String]
    let totalPoints: Double
    /// Per rule (groups in order): what reasons print about it, computed once.
    let rules: [(input: String, test: String, identifying: Bool)]
    /// Where each input is read from, resolved once (no name lookups per customer).
    let ruleSlots: [Slot]
    let disqualifierSlots: [Slot]
    let decaySlots: [Slot]
    let nextActionSlots: [[Slot]]
    let recontactSlot: Slot
    let completenessSlots: [Int]

    /// An input's place: a position in `ScoringRow.values`, or a derived attribute.
    enum Slot: Sendable {
        case field(Int)
        case attribute(ValueAttribute)
        case none
    }

    /// `value` is required when the model uses value attributes (see `ValueContext`).
    public init(model: ScoringModel, schema: Schema, value: ValueContext? = nil, today: CivilDate = .today) {
        self.model = model
        self.value = value
        self.today = today
        positions = Dictionary(uniqueKeysWithValues: model.fields.enumerated().map { ($1, $0) })
        identifying = Set(schema.fields.filter { $0.classification == .quasiIdentifier || $0.classification == .sensitive }.map(\.name))
        var counted: [String] = []
        func count(_ condition: Condition) {
            if case let .field(name) = condition.input, !counted.contains(name) { counted.append(name) }
        }
        for group in model.groups {
            group.rules.forEach { count($0.condition) }
            if let decay = group.decay, !counted.contains(decay.field) { counted.append(decay.field) }
        }
        model.disqualifiers.forEach { count($0.condition) }
        completenessFields = counted
        totalPoints = model.groups.flatMap(\.rules).reduce(0) { $0 + abs($1.points) }
        let positions = self.positions
        func slot(_ input: Input) -> Slot {
            switch input {
            case let .field(name): positions[name].map(Slot.field) ?? .none
            case let .attribute(attribute): .attribute(attribute)
            }
        }
        ruleSlots = model.groups.flatMap(\.rules).map { slot($0.condition.input) }
        disqualifierSlots = model.disqualifiers.map { slot($0.condition.input) }
        decaySlots = model.groups.map { group in group.decay.map { slot(.field($0.field)) } ?? .none }
        nextActionSlots = model.nextActions.map { $0.conditions.map { slot($0.input) } }
        recontactSlot = model.recontact.map { slot(.field($0.field)) } ?? .none
        completenessSlots = counted.compactMap { positions[$0] }
        let identifying = self.identifying
        rules = model.groups.flatMap(\.rules).map { rule in
            let input = rule.condition.input
            return (input.name, rule.condition.op.text, input == .field(input.name) && identifying.contains(input.name))
        }
    }

    /// The fields a scan must request, in the order rows carry them.
    public var requestedFields: [String] { model.fields }

    func observation(_ slot: Slot, _ observed: [Observation?], derived: [ValueAttribute: Observation]) -> Observation? {
        switch slot {
        case let .field(position): position < observed.count ? observed[position] : nil
        case let .attribute(attribute): derived[attribute]
        case .none: nil
        }
    }

    /// Scores one customer as its role sees it: an interval when a view is too coarse to
    /// decide a rule, with the reasons and the tier, next action and recontact date.
    public func score(_ row: ScoringRow) -> CustomerScore {
        let derived = model.usesValueAttributes ? (value?.attributes(for: row.purchases) ?? [:]) : [:]
        let observed = row.values.map { $0.map(Observation.init) }
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(model.groups.reduce(0) { $0 + $1.rules.count } + model.disqualifiers.count)
        var candidates: [Reason] = []
        var groupScores: [ClosedRange<Double>] = []
        var uncertain = 0.0
        var ruleIndex = 0
        for (g, group) in model.groups.enumerated() {
            var factor = 1.0...1.0
            if let decay = group.decay {
                factor = decayFactor(observation(decaySlots[g], observed, derived: derived), halfLife: decay.halfLifeDays)
            }
            var low = 0.0, high = 0.0
            for rule in group.rules {
                let seen = observation(ruleSlots[ruleIndex], observed, derived: derived)
                let verdict = rule.condition.op.verdict(seen)
                verdicts.append(verdict)
                // The rule adds p × factor for a match, anything in [0, p] × factor when indeterminate.
                let full = verdict == .match || verdict == .indeterminate ? rule.points : 0
                let a = full * factor.lowerBound, b = full * factor.upperBound
                var lo = min(a, b), hi = max(a, b)
                if verdict == .indeterminate { lo = min(lo, 0); hi = max(hi, 0) }
                low += lo
                high += hi
                switch verdict {
                case .missing, .invalid, .indeterminate: uncertain += abs(rule.points)
                case .match: uncertain += hi - lo
                case .noMatch: break
                }
                if hi != 0 || lo != 0 {
                    candidates.append(reason(ruleIndex, seen, low: lo, high: hi, indeterminate: verdict == .indeterminate))
                }
                ruleIndex += 1
            }
            groupScores.append(group.cap.clamp(low)...group.cap.clamp(high))
        }
        let low = model.scoreCap.clamp(groupScores.reduce(0) { $0 + $1.lowerBound })
        let high = model.scoreCap.clamp(groupScores.reduce(0) { $0 + $1.upperBound })

        var disqualification: String?
        for (d, disqualifier) in model.disqualifiers.enumerated() {
            let verdict = disqualifier.condition.op.verdict(observation(disqualifierSlots[d], observed, derived: derived))
            verdicts.append(verdict)
            guard disqualification == nil else { continue }
            if verdict == .match {
                disqualification = disqualifier.reason
            } else if verdict == .indeterminate, disqualifier.whenIndeterminate {
                disqualification = disqualifier.reason + " (possibly: the band straddles the test)"
            }
        }

        let (tier, bound, score) = grade(low: low, high: high, groups: groupScores)
        let finalTier = disqualification == nil ? tier : Self.disqualifiedTier
        candidates.sort { max(abs($0.low), abs($0.high)) > max(abs($1.low), abs($1.high)) }
        var present = 0
        for position in completenessSlots {
            if position < row.values.count, let value = row.values[position], value.form != .unreadable { present += 1 }
        }
        let completeness = completenessFields.isEmpty ? 1 : Double(present) / Double(completenessFields.count)
        let confidence = totalPoints == 0 ? 1 : max(0, 1 - uncertain / totalPoints)
        var result = CustomerScore(reference: row.reference, low: low, high: high, score: score, tier: finalTier,
                                   tierBound: disqualification == nil ? bound : "disqualifier", disqualification: disqualification,
                                   completeness: completeness, confidence: confidence,
                                   reasons: Array(candidates.prefix(Self.reasonCount)), nextAction: nil, recontactMonth: nil,
                                   rfmSegment: derived[.rfmSegment]?.label, clvPredicted: derived[.clvPredicted]?.lower,
                                   groupScores: groupScores, verdicts: verdicts, outcome: row.outcome)
        let identifying = result.reasons.filter(\.identifying)
        if !identifying.isEmpty {
            result.classReasons = identifying.map { $0.text() }.sorted().joined(separator: "\u{1F}")
            result.coarseClassReasons = identifying.map { $0.text(coarse: true) }.sorted().joined(separator: "\u{1F}")
        }
        result.recontactMonth = recontactMonth(observed, derived: derived)
        result.nextAction = nextAction(for: result, observed: observed, derived: derived)
        return result
    }

    // MARK: Parts

    /// 0.5^(age in days / half-life) over the days the date can stand for; [0, 1] when unknown.
    func decayFactor(_ date: Observation?, halfLife: Double) -> ClosedRange<Double> {
        guard let days = date?.days else { return 0...1 }
        let now = today.daysSinceEpoch
        let youngest = Double(max(0, now - days.upperBound)), oldest = Double(max(0, now - days.lowerBound))
        return pow(0.5, oldest / halfLife)...pow(0.5, youngest / halfLife)
    }

    /// `seen` is nil when a `missing: true` rule scored an absent value: the reason names the test.
    func reason(_ ruleIndex: Int, _ seen: Observation?, low: Double, high: Double, indeterminate: Bool) -> Reason {
        let rule = rules[ruleIndex]
        // Exact numbers and dates are summarized by the test they passed, so reasons do not echo them.
        let label = seen.map { $0.isExactNumber || ($0.days != nil && !$0.isNumeric) ? rule.test : $0.label } ?? rule.test
        return Reason(input: rule.input, label: label, low: low, high: high, indeterminate: indeterminate, identifying: rule.identifying)
    }

    /// The tier (or matrix cell), which bound decided it, and the score it was read from.
    func grade(low: Double, high: Double, groups: [ClosedRange<Double>]) -> (String, String, Double) {
        let pick: (Double, Double) -> Double = { lo, hi in
            switch model.tierBound {
            case .lower: lo
            case .upper: hi
            case .midpoint: (lo + hi) / 2
            }
        }
        func ladder(_ tiers: [Tier], _ x: Double) -> String { tiers.first { $0.contains(x) }?.name ?? tiers.last!.name }
        switch model.grading {
        case let .tiers(tiers):
            let tier = ladder(tiers, pick(low, high))
            let exact = ladder(tiers, low) == ladder(tiers, high)
            return (tier, exact ? "exact" : model.tierBound.rawValue, pick(low, high))
        case let .matrix(rows, columns):
            func axis(_ axis: MatrixAxis) -> (String, Bool) {
                var lo = 0.0, hi = 0.0
                for (i, group) in model.groups.enumerated() where axis.groups.contains(group.name) {
                    lo += groups[i].lowerBound
                    hi += groups[i].upperBound
                }
                return (ladder(axis.tiers, pick(lo, hi)), ladder(axis.tiers, lo) == ladder(axis.tiers, hi))
            }
            let (row, rowExact) = axis(rows), (column, columnExact) = axis(columns)
            return (row + column, rowExact && columnExact ? "exact" : model.tierBound.rawValue, pick(low, high))
        }
    }

    /// The month of the recontact date minus the lead time; this month when that is past.
    func recontactMonth(_ observed: [Observation?], derived: [ValueAttribute: Observation]) -> String? {
        guard let recontact = model.recontact, let days = observation(recontactSlot, observed, derived: derived)?.days else { return nil }
        let start = CivilDate(daysSinceEpoch: days.lowerBound)
        var month = CivilDate(year: start.year, month: start.month, day: 1).adding(months: -recontact.leadMonths)
        let thisMonth = CivilDate(year: today.year, month: today.month, day: 1)
        if month < thisMonth { month = thisMonth }
        return String(month.iso8601.prefix(7))
    }

    func nextAction(for score: CustomerScore, observed: [Observation?], derived: [ValueAttribute: Observation]) -> String? {
        for (n, rule) in model.nextActions.enumerated() {
            if !rule.tiers.isEmpty, !rule.tiers.contains(score.tier) { continue }
            if rule.conditions.indices.allSatisfy({ rule.conditions[$0].op.verdict(observation(nextActionSlots[n][$0], observed, derived: derived)) == .match }) {
                return rule.action
            }
        }
        if let recontact = model.recontact, let action = recontact.action, score.recontactMonth != nil {
            return action
        }
        return model.defaultAction
    }
}
