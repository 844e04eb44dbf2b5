import Coffer
import Foundation

/// The Qualified Customer List: one row per customer, best first, after the k-anonymity guard.
///
/// The guard groups rows by what they show about a person: the tier plus every identifying
/// label in their reasons (quasi-identifiers such as an age band or a postal prefix). Rows in a
/// class smaller than k are first coarsened (their identifying labels dropped, leaving only the
/// field and the points); coarsened rows whose tier still holds fewer than k of them are
/// suppressed. The summary says how many of each.
public struct QualifiedCustomerList: Sendable {
    public var rows: [QCLRow]
    public var k: Int
    public var coarsened: Int
    public var suppressed: Int
    public var model: ScoringModel

    /// Applies the guard to `scores` and sorts the survivors by score, best first.
    public init(scores: [CustomerScore], model: ScoringModel, k: Int) {
        self.model = model
        self.k = k
        func classKey(_ score: CustomerScore, coarse: Bool) -> String {
            ([score.tier] + score.reasons.filter(\.identifying).map { $0.text(coarse: coarse) }.sorted()).joined(separator: "\u{1F}")
        }
        var fine: [String: Int] = [:]
        for score in scores { fine[classKey(score, coarse: false), default: 0] += 1 }
        var coarseCounts: [String: Int] = [:]
        var coarse = [Bool](repeating: false, count: scores.count)
        for (i, score) in scores.enumerated() where fine[classKey(score, coarse: false)]! < k {
            coarse[i] = true
            coarseCounts[classKey(score, coarse: true), default: 0] += 1
        }
        let tierRank = Dictionary(uniqueKeysWithValues: model.grading.tierNames.enumerated().map { ($1, $0) })
        // Sort small keys, not rows: (tier rank, score) per surviving customer.
        var keys: [(rank: Int, score: Double, index: Int)] = []
        keys.reserveCapacity(scores.count)
        var coarsened = 0, suppressed = 0
        for (i, score) in scores.enumerated() {
            if coarse[i] {
                if coarseCounts[classKey(score, coarse: true)]! < k {
                    suppressed += 1
                    continue
                }
                coarsened += 1
            }
            keys.append((tierRank[score.tier] ?? Int.max, score.score, i))
        }
        keys.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        let rows = keys.map { QCLRow(score: scores[$0.index], coarse: coarse[$0.index]) }
        self.rows = rows
        self.coarsened = coarsened
        self.suppressed = suppressed
    }

    public static let columns = ["pseudonym", "score", "score_min", "score_max", "tier", "tier_bound", "completeness", "confidence",
                                 "reasons", "next_action", "recontact_month", "rfm_segment", "clv_predicted"]

    /// Writes the list as CSV (mode 0600), one row per customer, `columns` in order.
    public func writeCSV(to path: String) throws(CSVError) {
        let writer = try CSVWriter(path: path)
        try writer.write(Self.columns)
        for row in rows { try writer.write(row.fields) }
        try writer.close()
    }

    /// Writes the list as JSON (mode 0600): the model, the guard's counts and the rows.
    public func writeJSON(to path: String, domain: String?) throws {
        struct Document: Encodable {
            var model: String, modelVersion: String, modelDigest: String, pseudonymDomain: String?
            var k: Int, coarsened: Int, suppressed: Int
            var rows: [[String: String]]
        }
        let document = Document(model: model.name, modelVersion: model.version, modelDigest: model.digest, pseudonymDomain: domain,
                                 k: k, coarsened: coarsened, suppressed: suppressed,
                                 rows: rows.map { Dictionary(uniqueKeysWithValues: zip(Self.columns, $0.fields).filter { !$0.1.isEmpty }) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(document)
        try writePrivateFile(path, data)
    }
}

/// One QCL row: a customer's score as exported (reasons coarsened when the guard said so).
public struct QCLRow: Sendable {
    public var score: CustomerScore
    public var coarse: Bool

    public var fields: [String] {
        let s = score
        return [s.reference ?? "", Self.number(s.score), s.isIndeterminate ? Self.number(s.low) : "", s.isIndeterminate ? Self.number(s.high) : "",
                s.tier, s.tierBound, Self.percent(s.completeness), Self.number(s.confidence * 100, digits: 0),
                ((s.disqualification.map { ["disqualified: " + $0] } ?? []) + s.reasons.map { $0.text(coarse: coarse) }).joined(separator: "; "),
                s.nextAction ?? "", s.recontactMonth ?? "", s.rfmSegment ?? "", s.clvPredicted.map { Self.number($0) } ?? ""]
    }

    static func number(_ x: Double, digits: Int = 1) -> String {
        let scale = digits == 0 ? 1.0 : pow(10, Double(digits))
        return formatNumber((x * scale).rounded() / scale)
    }

    static func percent(_ x: Double) -> String { formatNumber((x * 100).rounded()) }
}

/// Creates or truncates `path` with mode 0600 and writes `data` (outputs may hold pseudonyms).
func writePrivateFile(_ path: String, _ data: Data) throws {
    guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw CSVError.cannotOpen(path: path, reason: "cannot create the file")
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
}
