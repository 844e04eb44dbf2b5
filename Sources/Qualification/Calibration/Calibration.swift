import Coffer
import CofferCrypto
import Foundation

/// A deterministic split of customers into a training part and a held-out part: a customer is
/// held out when the first 8 bytes of HMAC-SHA256(key: "coffer-holdout:" + seed, message: the
/// customer's reference as the running role sees it — the pseudonym, for analysts), read as a
/// big-endian integer, fall below `fraction` × 2^64. The same seed and fraction give the same
/// split in every run (`icp` and `calibrate`), without storing anything.
public struct HoldoutSplit: Sendable, Equatable, Hashable {
    public static let defaultSeed = "coffer"
    public var fraction: Double
    public var seed: String

    public init(fraction: Double, seed: String = HoldoutSplit.defaultSeed) {
        self.fraction = fraction
        self.seed = seed
    }

    /// Whether the customer with this reference is held out (nil reference: never).
    public func isHeldOut(_ reference: String?) -> Bool {
        guard let reference, let tag = try? HMACSHA256.authenticate(Array(reference.utf8), key: Array(("coffer-holdout:" + seed).utf8)) else { return false }
        let value = tag.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(value) < fraction * 18_446_744_073_709_551_616.0
    }

    /// "30% held out (seed coffer)".
    public var text: String { "\(formatNumber(fraction * 100))% held out (seed \(seed))" }
}

/// How well a model's tiers and scores separate won deals from lost ones, on imported outcomes.
///
/// Conversion rate of a tier = won / (won + lost) among its customers with an outcome; lift =
/// that rate / the rate over every customer with an outcome (the baseline). ROC AUC is the
/// probability that a random won customer scores above a random lost one (ties count half),
/// computed from the rank sum (Mann–Whitney U).
public struct Calibration: Sendable {
    /// One tier's customers and how many of them were won or lost.
    public struct TierStats: Sendable, Equatable, Encodable {
        public var tier: String
        public var customers = 0
        public var won = 0
        public var lost = 0
        public var decided: Int { won + lost }
        public var conversionRate: Double? { decided == 0 ? nil : Double(won) / Double(decided) }
    }

    public var modelName: String
    public var modelVersion: String
    /// Which customers these figures cover: nil for everyone with an outcome, "train" or
    /// "holdout" for the parts of a `HoldoutSplit`.
    public var split: String?
    /// The figures per part of the holdout split, when the run had one (train, then holdout).
    public var splits: [Calibration] = []
    /// Things to know before trusting the figures (rules learned from these outcomes, …).
    public var warnings: [String] = []
    /// How to read the figures fairly (rules learned from outcomes, judged on their holdout).
    public var notes: [String] = []
    /// Tiers with fewer customers with an outcome than this are flagged small: their conversion
    /// and lift are not shown (two customers make 0%, 50% or 100%).
    public var minimumOutcomes: Int = Calibration.defaultMinimumOutcomes
    public static let defaultMinimumOutcomes = 10
    /// For a matrix: the row and column tier names, so each axis can be judged on its own.
    let axes: (rows: [String], columns: [String])?
    public private(set) var tiers: [TierStats]
    private var index: [String: Int]
    private var wonScores: [Double] = []
    private var lostScores: [Double] = []

    public init(model: ScoringModel) {
        modelName = model.name
        modelVersion = model.version
        if case let .matrix(rows, columns) = model.grading {
            axes = (rows.tiers.map(\.name), columns.tiers.map(\.name))
        } else {
            axes = nil
        }
        tiers = (model.grading.tierNames + [ScoringEngine.disqualifiedTier]).map { TierStats(tier: $0) }
        index = Dictionary(uniqueKeysWithValues: tiers.enumerated().map { ($1.tier, $0) })
    }

    public mutating func add(_ score: CustomerScore) {
        guard let i = index[score.tier] else { return }
        tiers[i].customers += 1
        switch score.outcome {
        case .won?:
            tiers[i].won += 1
            wonScores.append(score.score)
        case .lost?:
            tiers[i].lost += 1
            lostScores.append(score.score)
        case nil:
            break
        }
    }

    public var won: Int { wonScores.count }
    public var lost: Int { lostScores.count }
    public var baselineRate: Double? { won + lost == 0 ? nil : Double(won) / Double(won + lost) }

    /// Whether a tier has too few outcomes for its conversion to mean anything.
    public func isSmall(_ stats: TierStats) -> Bool { stats.decided < minimumOutcomes }

    /// The tier's conversion, unless the tier is small.
    public func conversion(_ stats: TierStats) -> Double? { isSmall(stats) ? nil : stats.conversionRate }

    /// Whether won or lost are too few for the AUC to mean much.
    public var aucIsShaky: Bool { won < minimumOutcomes || lost < minimumOutcomes }

    /// Lift over the baseline, unless the tier is small.
    public func lift(_ stats: TierStats) -> Double? {
        guard !isSmall(stats), let rate = stats.conversionRate, let baseline = baselineRate, baseline > 0 else { return nil }
        return rate / baseline
    }

    /// ROC AUC of the score against won/lost; nil without both kinds of outcome.
    public var auc: Double? {
        guard !wonScores.isEmpty, !lostScores.isEmpty else { return nil }
        let all = (wonScores.map { ($0, true) } + lostScores.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSumWon = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count, all[j + 1].0 == all[i].0 { j += 1 }
            let averageRank = Double(i + j + 2) / 2  // ranks are 1-based
            for n in i...j where all[n].1 { rankSumWon += averageRank }
            i = j + 1
        }
        let w = Double(wonScores.count), l = Double(lostScores.count)
        return (rankSumWon - w * (w + 1) / 2) / (w * l)
    }

    /// Whether conversion falls from each tier to the next (ignoring tiers with fewer than
    /// `minimum` outcomes): the tiers separate winners from losers. For a matrix, each axis is
    /// judged on its own margins (every row grade summed over columns, and the reverse).
    public func tiersSeparate() -> Bool { tiersSeparate(minimum: minimumOutcomes) }

    public func tiersSeparate(minimum: Int) -> Bool {
        guard axes != nil else { return Self.falls(tiers.filter { $0.tier != ScoringEngine.disqualifiedTier }, minimum: minimum) }
        return Self.falls(margins(rows: true), minimum: minimum) && Self.falls(margins(rows: false), minimum: minimum)
    }

    /// Conversion by row grade (`rows`) or column grade of a matrix model, best first.
    public func margins(rows: Bool) -> [TierStats] {
        guard let axes else { return [] }
        return (rows ? axes.rows : axes.columns).map { grade in
            var stats = TierStats(tier: grade)
            for r in axes.rows {
                for c in axes.columns where (rows ? r : c) == grade {
                    if let cell = tiers.first(where: { $0.tier == r + c }) {
                        stats.customers += cell.customers
                        stats.won += cell.won
                        stats.lost += cell.lost
                    }
                }
            }
            return stats
        }
    }

    static func falls(_ tiers: [TierStats], minimum: Int) -> Bool {
        let rates = tiers.filter { $0.decided >= minimum }.compactMap(\.conversionRate)
        guard rates.count >= 2 else { return false }
        return zip(rates, rates.dropFirst()).allSatisfy { $0 >= $1 }
    }
}
