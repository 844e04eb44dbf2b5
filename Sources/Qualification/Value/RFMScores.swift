import Coffer
import Foundation

/// RFM (recency, frequency, monetary) quintile scores of one customer, each 1...5 with 5 the best:
/// R from `daysSinceLastPurchase` (fewer days is better), F from `frequency` (more repeat purchase
/// days is better), M from `averageDaySpend` (more is better).
public struct RFMScore: Sendable, Hashable, Codable {
    /// Recency score, 5 = bought most recently.
    public let recency: Int
    /// Frequency score, 5 = most repeat purchase days.
    public let frequency: Int
    /// Monetary score, 5 = highest average spend per purchase day.
    public let monetary: Int

    /// Creates a score; `nil` unless every component is within 1...5.
    public init?(recency: Int, frequency: Int, monetary: Int) {
        guard [recency, frequency, monetary].allSatisfy({ (1...5).contains($0) }) else { return nil }
        self.recency = recency
        self.frequency = frequency
        self.monetary = monetary
    }

    /// For scores already known to be within 1...5 (computed from at most four cut-offs).
    fileprivate init(checkedRecency recency: Int, frequency: Int, monetary: Int) {
        self.recency = recency
        self.frequency = frequency
        self.monetary = monetary
    }

    private enum CodingKeys: String, CodingKey { case recency, frequency, monetary }

    /// Decodes and validates the three scores (each must be within 1...5).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let recency = try container.decode(Int.self, forKey: .recency)
        let frequency = try container.decode(Int.self, forKey: .frequency)
        let monetary = try container.decode(Int.self, forKey: .monetary)
        guard let score = RFMScore(recency: recency, frequency: frequency, monetary: monetary) else {
            throw DecodingError.dataCorruptedError(forKey: .recency, in: container, debugDescription: "RFM scores must be within 1...5")
        }
        self = score
    }

    /// The conventional three-digit code, e.g. "545".
    public var code: String { "\(recency)\(frequency)\(monetary)" }

    /// The customer segment of this score's R and F components (see `RFMSegment.rules`).
    public var segment: RFMSegment {
        // The rule table covers all 25 (R, F) cells exactly once (tested), so the fallback is unreachable.
        RFMSegment(recencyScore: recency, frequencyScore: frequency) ?? .needAttention
    }
}

/// Customer segments from the R and F scores, using the widely used RFM segment map. Raw values are
/// the readable labels.
///
///     R \ F   1                2                   3                   4          5
///     5       new              potential_loyalist  potential_loyalist  champions  champions
///     4       promising        potential_loyalist  potential_loyalist  loyal      loyal
///     3       about_to_sleep   about_to_sleep      need_attention      loyal      loyal
///     2       hibernating      hibernating         at_risk             at_risk    cant_lose
///     1       hibernating      hibernating         at_risk             at_risk    cant_lose
public enum RFMSegment: String, Sendable, Codable, CaseIterable {
    case hibernating
    case atRisk = "at_risk"
    case cantLose = "cant_lose"
    case aboutToSleep = "about_to_sleep"
    case needAttention = "need_attention"
    case loyal
    case promising
    case newCustomers = "new"
    case potentialLoyalist = "potential_loyalist"
    case champions

    /// The segment map as data: each rule assigns one rectangle of (R, F) scores to a segment.
    /// Together they cover the 25 cells of 1...5 × 1...5 exactly once.
    public static let rules: [RFMSegmentRule] = [
        RFMSegmentRule(segment: .hibernating, recencyScores: 1...2, frequencyScores: 1...2),
        RFMSegmentRule(segment: .atRisk, recencyScores: 1...2, frequencyScores: 3...4),
        RFMSegmentRule(segment: .cantLose, recencyScores: 1...2, frequencyScores: 5...5),
        RFMSegmentRule(segment: .aboutToSleep, recencyScores: 3...3, frequencyScores: 1...2),
        RFMSegmentRule(segment: .needAttention, recencyScores: 3...3, frequencyScores: 3...3),
        RFMSegmentRule(segment: .loyal, recencyScores: 3...4, frequencyScores: 4...5),
        RFMSegmentRule(segment: .promising, recencyScores: 4...4, frequencyScores: 1...1),
        RFMSegmentRule(segment: .newCustomers, recencyScores: 5...5, frequencyScores: 1...1),
        RFMSegmentRule(segment: .potentialLoyalist, recencyScores: 4...5, frequencyScores: 2...3),
        RFMSegmentRule(segment: .champions, recencyScores: 5...5, frequencyScores: 4...5),
    ]

    /// The segment of an (R, F) score pair; `nil` when a score is outside 1...5.
    public init?(recencyScore: Int, frequencyScore: Int) {
        guard let rule = Self.rules.first(where: {
            $0.recencyScores.contains(recencyScore) && $0.frequencyScores.contains(frequencyScore)
        }) else { return nil }
        self = rule.segment
    }
}

/// One entry of the RFM segment map: the R and F score ranges that make up a segment.
public struct RFMSegmentRule: Sendable, Equatable {
    /// The segment these scores belong to.
    public let segment: RFMSegment
    /// Recency scores covered.
    public let recencyScores: ClosedRange<Int>
    /// Frequency scores covered.
    public let frequencyScores: ClosedRange<Int>
}

/// The quintile cut-offs of a customer population, computed once and then used to score each
/// customer in O(1).
///
/// Method: for each metric the population's values are sorted and the 20th, 40th, 60th and 80th
/// percentiles taken by nearest rank (the k-th cut-off is the value at 1-based rank ⌈k·n/5⌉). A
/// customer's score depends only on their own value compared with these four cut-offs, so equal
/// values always get equal scores (ties are never split):
/// - F and M: score = 1 + number of cut-offs strictly below the value;
/// - R (days since last purchase, lower is better): score = 5 − number of cut-offs strictly below.
///
/// A value equal to a cut-off therefore falls in the quintile below it (by value). When one value
/// covers more than a fifth of the population (e.g. most customers never bought twice) several
/// cut-offs coincide and some scores are not used. Cost: three sorts, O(n log n) time and O(n)
/// memory (fine for 1,000,000 customers); only the numbers are used.
public struct RFMThresholds: Sendable, Equatable, Codable {
    /// Ascending 20/40/60/80th percentiles of `daysSinceLastPurchase`.
    public let daysSinceLastPurchase: [Double]
    /// Ascending 20/40/60/80th percentiles of `frequency`.
    public let frequency: [Double]
    /// Ascending 20/40/60/80th percentiles of `averageDaySpend`.
    public let averageDaySpend: [Double]

    /// Computes the cut-offs of a population (every element is a customer with at least one purchase).
    ///
    /// - Throws: `.emptyPopulation`; `.invalidCustomer` if a customer has a non-finite metric.
    public init(population: some Collection<PurchaseSummary>) throws(ValueModelError) {
        guard !population.isEmpty else { throw .emptyPopulation }
        var recencies: [Double] = []
        var frequencies: [Double] = []
        var spends: [Double] = []
        recencies.reserveCapacity(population.count)
        frequencies.reserveCapacity(population.count)
        spends.reserveCapacity(population.count)
        for (index, customer) in population.enumerated() {
            let days = customer.daysSinceLastPurchase
            guard days.isFinite, customer.averageDaySpend.isFinite else {
                throw .invalidCustomer(reason: "customer at index \(index): days since last purchase and average day spend must be finite")
            }
            recencies.append(days)
            frequencies.append(Double(customer.frequency))
            spends.append(customer.averageDaySpend)
        }
        self.daysSinceLastPurchase = Self.quintileCutoffs(recencies)
        self.frequency = Self.quintileCutoffs(frequencies)
        self.averageDaySpend = Self.quintileCutoffs(spends)
    }

    /// Restores stored cut-offs; each array must hold four finite, ascending values.
    public init(daysSinceLastPurchase: [Double], frequency: [Double], averageDaySpend: [Double]) throws(ValueModelError) {
        for (name, cutoffs) in [("daysSinceLastPurchase", daysSinceLastPurchase), ("frequency", frequency), ("averageDaySpend", averageDaySpend)] {
            guard cutoffs.count == 4, cutoffs.allSatisfy(\.isFinite), zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw .invalidParameter(
                    name: "RFM \(name) cut-offs", value: Double(cutoffs.count),
                    requirement: "four finite ascending values"
                )
            }
        }
        self.daysSinceLastPurchase = daysSinceLastPurchase
        self.frequency = frequency
        self.averageDaySpend = averageDaySpend
    }

    private enum CodingKeys: String, CodingKey { case daysSinceLastPurchase, frequency, averageDaySpend }

    /// Decodes and validates stored cut-offs.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let recency = try container.decode([Double].self, forKey: .daysSinceLastPurchase)
        let frequency = try container.decode([Double].self, forKey: .frequency)
        let spend = try container.decode([Double].self, forKey: .averageDaySpend)
        do {
            try self.init(daysSinceLastPurchase: recency, frequency: frequency, averageDaySpend: spend)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .frequency, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the three cut-off arrays.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(daysSinceLastPurchase, forKey: .daysSinceLastPurchase)
        try container.encode(frequency, forKey: .frequency)
        try container.encode(averageDaySpend, forKey: .averageDaySpend)
    }

    /// Scores one customer against these cut-offs. A non-finite metric scores 1 (worst).
    public func score(_ customer: PurchaseSummary) -> RFMScore {
        let recency = Self.cutoffsBelow(customer.daysSinceLastPurchase, daysSinceLastPurchase).map { 5 - $0 } ?? 1
        let frequency = Self.cutoffsBelow(Double(customer.frequency), frequency).map { 1 + $0 } ?? 1
        let monetary = Self.cutoffsBelow(customer.averageDaySpend, averageDaySpend).map { 1 + $0 } ?? 1
        return RFMScore(checkedRecency: recency, frequency: frequency, monetary: monetary)
    }

    /// Nearest-rank 20/40/60/80th percentiles of a non-empty array.
    static func quintileCutoffs(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        let count = sorted.count
        return (1...4).map { k in sorted[(k * count + 4) / 5 - 1] }
    }

    /// Number of cut-offs strictly below `value` (0...4); `nil` for a non-finite value.
    private static func cutoffsBelow(_ value: Double, _ cutoffs: [Double]) -> Int? {
        guard value.isFinite else { return nil }
        return min(4, cutoffs.reduce(0) { $0 + (value > $1 ? 1 : 0) })
    }
}
