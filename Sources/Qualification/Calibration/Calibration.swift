import Coffer

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

    public func lift(_ stats: TierStats) -> Double? {
        guard let rate = stats.conversionRate, let baseline = baselineRate, baseline > 0 else { return nil }
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
    public func tiersSeparate(minimum: Int = 5) -> Bool {
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
