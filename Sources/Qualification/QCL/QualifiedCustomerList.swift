import Coffer
import CofferSupport
import Foundation

/// The Qualified Customer List: one row per customer, best first, after the k-anonymity guard.
///
/// The guard groups rows by what they show about a person: the tier plus every identifying
/// label in their reasons (quasi-identifiers such as an age band or a postal prefix). Rows in a
/// class smaller than k are first coarsened (their identifying labels dropped, leaving only the
/// field and the points); coarsened rows whose tier still holds fewer than k of them are
/// suppressed. The summary says how many of each.
public struct QualifiedCustomerList: Sendable {
    /// Every scored customer, in scan order; `order` picks and sorts the rows that are kept.
    let scores: [CustomerScore]
    /// Indices into `scores` of the rows kept, best first.
    let order: [Int]
    /// Per score: whether its identifying labels are dropped.
    let coarse: [Bool]
    public var k: Int
    public var coarsened: Int
    public var suppressed: Int
    public var model: ScoringModel
    /// When the scoring run was made (recorded in both file formats as `scored_at`).
    public var scoredAt: Date
    /// Per tier, best first (then `disqualified`): customers scored into it before the guard,
    /// and what the guard did to them.
    public var tierGuard: [TierGuard]

    /// What the k-anonymity guard did to one tier.
    public struct TierGuard: Sendable, Equatable, Codable {
        public var tier: String
        /// Customers the model put in this tier, before the guard.
        public var scored: Int
        /// Rows kept with their identifying reason labels dropped.
        public var coarsened: Int
        /// Rows left out of the QCL.
        public var suppressed: Int
        /// Rows of this tier in the QCL (`scored - suppressed`).
        public var rows: Int { scored - suppressed }

        public init(tier: String, scored: Int = 0, coarsened: Int = 0, suppressed: Int = 0) {
            self.tier = tier
            self.scored = scored
            self.coarsened = coarsened
            self.suppressed = suppressed
        }

        enum CodingKeys: String, CodingKey { case tier, scored, coarsened, suppressed, rows }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            tier = try c.decode(String.self, forKey: .tier)
            scored = try c.decode(Int.self, forKey: .scored)
            coarsened = try c.decode(Int.self, forKey: .coarsened)
            suppressed = try c.decode(Int.self, forKey: .suppressed)
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tier, forKey: .tier)
            try c.encode(scored, forKey: .scored)
            try c.encode(coarsened, forKey: .coarsened)
            try c.encode(suppressed, forKey: .suppressed)
            try c.encode(rows, forKey: .rows)
        }
    }

    /// Why the guard coarsens and suppresses, in one sentence for outputs and legends.
    public var guardExplanation: String {
        "k=\(k): a row whose tier and identifying reason labels (age band, postal prefix, country, income band…) fewer than \(k) customers share "
            + "has those labels dropped (coarsened); coarsened rows still in a class of fewer than \(k) are left out (suppressed)"
    }

    /// The rows kept, best tier first and by score within a tier.
    public var rows: [QCLRow] { order.map { QCLRow(score: scores[$0], coarse: coarse[$0]) } }
    public var count: Int { order.count }
    /// Rows kept per tier.
    public var tierCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for i in order { counts[scores[i].tier, default: 0] += 1 }
        return counts
    }

    /// A class as the guard sees it: the tier plus the identifying reason codes (nil: none).
    struct ClassKey: Hashable {
        var tier: String
        var reasons: String?
    }

    /// Applies the guard to `scores` and sorts the survivors by score, best first. The class keys
    /// were computed with the scores (on the worker threads) and are released here.
    public init(scores: consuming [CustomerScore], model: ScoringModel, k: Int, scoredAt: Date = Date()) {
        self.model = model
        self.k = k
        self.scoredAt = scoredAt
        var fine: [ClassKey: Int] = [:]
        for i in scores.indices { fine[ClassKey(tier: scores[i].tier, reasons: scores[i].classReasons), default: 0] += 1 }
        var coarseCounts: [ClassKey: Int] = [:]
        var coarse = [Bool](repeating: false, count: scores.count)
        for i in scores.indices where fine[ClassKey(tier: scores[i].tier, reasons: scores[i].classReasons)]! < k {
            coarse[i] = true
            coarseCounts[ClassKey(tier: scores[i].tier, reasons: scores[i].coarseClassReasons), default: 0] += 1
        }
        let tierRank = Dictionary(uniqueKeysWithValues: model.grading.tierNames.enumerated().map { ($1, $0) })
        // Sort small keys, not rows: (tier rank, score) per surviving customer.
        var keys: [(rank: Int, score: Double, index: Int)] = []
        keys.reserveCapacity(scores.count)
        var coarsened = 0, suppressed = 0
        var guardStats = (model.grading.tierNames + [ScoringEngine.disqualifiedTier]).map { TierGuard(tier: $0) }
        let guardIndex = Dictionary(uniqueKeysWithValues: guardStats.enumerated().map { ($1.tier, $0) })
        for i in scores.indices {
            let g = guardIndex[scores[i].tier]
            if let g { guardStats[g].scored += 1 }
            if coarse[i] {
                if coarseCounts[ClassKey(tier: scores[i].tier, reasons: scores[i].coarseClassReasons)]! < k {
                    suppressed += 1
                    if let g { guardStats[g].suppressed += 1 }
                    continue
                }
                coarsened += 1
                if let g { guardStats[g].coarsened += 1 }
            }
            keys.append((tierRank[scores[i].tier] ?? Int.max, scores[i].score, i))
        }
        for i in scores.indices where scores[i].classReasons != nil {
            scores[i].classReasons = nil
            scores[i].coarseClassReasons = nil
        }
        keys.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        self.scores = scores
        self.order = keys.map(\.index)
        self.coarse = coarse
        self.coarsened = coarsened
        self.suppressed = suppressed
        self.tierGuard = guardStats
    }

    /// The columns of a QCL file, in order.
    public enum Column: String, Sendable, CaseIterable {
        case pseudonym, score
        case scoreMin = "score_min", scoreMax = "score_max"
        case tier
        case tierBound = "tier_bound"
        case completeness, confidence, reasons
        case nextAction = "next_action", recontactMonth = "recontact_month", rfmSegment = "rfm_segment", clvPredicted = "clv_predicted"
    }

    public static let columns = Column.allCases.map(\.rawValue)

    /// Columns a CSV QCL repeats on every row after `columns`: which run made it (a CSV has no
    /// other place for them that a spreadsheet keeps; the JSON holds them once).
    public enum RunColumn: String, Sendable, CaseIterable {
        case model
        case modelVersion = "model_version"
        case scoredAt = "scored_at"
    }

    /// `scored_at` as written: ISO 8601, UTC, to the second.
    public var scoredAtText: String { OutputContract.timestamp(scoredAt) }


    /// Writes the list as CSV (mode 0600), one row per customer, `columns` in order. Rows are
    /// encoded on all cores, block by block, and written in order.
    public func writeCSV(to path: String) throws(CSVError) {
        let writer = try CSVWriter(path: path)
        try writer.write(Self.columns + RunColumn.allCases.map(\.rawValue))
        let run = [model.name, model.version, scoredAtText]
        let block = 32_768
        var start = 0
        while start < order.count {
            let first = start, end = min(order.count, start + block)
            let parts = ForkJoin.chunks(end - first, minimumChunk: 1024) { range in
                var bytes: [UInt8] = []
                bytes.reserveCapacity(range.count * 200)
                for n in range {
                    let i = order[first + n]
                    CSVWriter.encodeRow(QCLRow(score: scores[i], coarse: coarse[i]).fields + run, to: &bytes)
                }
                return bytes
            }
            for part in parts { try writer.write(encoded: part) }
            start = end
        }
        try writer.close()
    }

    /// Writes the list as JSON (mode 0600): the model, the guard's counts and the rows, in the
    /// output contract (`OutputContract`): the CSV's columns, numbers as JSON numbers, `reasons`
    /// an array of strings; a column with no value is left out of its row.
    public func writeJSON(to path: String, domain: String?) throws {
        struct Document: Encodable {
            var model: String, modelVersion: String, modelDigest: String, pseudonymDomain: String?
            var scoredAt: String
            var k: Int, coarsened: Int, suppressed: Int
            var tiers: [TierGuard]
            var rows: [QCLJSONRow]
        }
        let document = Document(model: model.name, modelVersion: model.version, modelDigest: model.digest, pseudonymDomain: domain,
                                scoredAt: scoredAtText, k: k, coarsened: coarsened, suppressed: suppressed,
                                tiers: tierGuard, rows: rows.map(QCLJSONRow.init))
        try PrivateFile.write(try OutputContract.encoder().encode(document), to: path)
    }
}

/// A QCL row in JSON: the CSV's cells, typed.
struct QCLJSONRow: Encodable {
    /// Columns whose cells are numbers.
    static let numeric: Set<QualifiedCustomerList.Column> = [.score, .scoreMin, .scoreMax, .completeness, .confidence, .clvPredicted]

    let cells: [(QualifiedCustomerList.Column, String)]
    let reasons: [String]

    init(_ row: QCLRow) {
        cells = zip(QualifiedCustomerList.Column.allCases, row.fields).filter { !$0.1.isEmpty && $0.0 != .reasons }
        reasons = row.reasonTexts
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (column, text) in cells {
            let key = Key(stringValue: column.rawValue)
            if Self.numeric.contains(column), let number = OutputContract.number(text) { try c.encode(number, forKey: key) } else { try c.encode(text, forKey: key) }
        }
        try c.encode(reasons, forKey: Key(stringValue: QualifiedCustomerList.Column.reasons.rawValue))
    }
}

/// One QCL row: a customer's score as exported (reasons coarsened when the guard said so).
public struct QCLRow: Sendable {
    public var score: CustomerScore
    public var coarse: Bool

    /// The reasons shown: the disqualification first, if any (one `; `-joined cell in CSV).
    public var reasonTexts: [String] {
        (score.disqualification.map { ["disqualified: " + $0] } ?? []) + score.reasons.map { $0.text(coarse: coarse) }
    }

    public var fields: [String] {
        let s = score
        return [s.reference ?? "", Self.number(s.score), s.isIndeterminate ? Self.number(s.low) : "", s.isIndeterminate ? Self.number(s.high) : "",
                s.tier, s.tierBound, Self.percent(s.completeness), Self.number(s.confidence * 100, digits: 0),
                reasonTexts.joined(separator: "; "),
                s.nextAction ?? "", s.recontactMonth ?? "", s.rfmSegment ?? "", s.clvPredicted.map { Self.number($0) } ?? ""]
    }

    static func number(_ x: Double, digits: Int = 1) -> String {
        let scale = digits == 0 ? 1.0 : pow(10, Double(digits))
        return formatNumber((x * scale).rounded() / scale)
    }

    static func percent(_ x: Double) -> String { formatNumber((x * 100).rounded()) }
}
