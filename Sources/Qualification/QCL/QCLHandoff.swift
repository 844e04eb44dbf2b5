import Coffer
import CofferSupport
import Foundation

/// One row of a QCL read back from a file `coffer score` wrote (CSV or JSON): the columns a
/// hand-off carries to the receiving team. Numbers stay as the QCL wrote them.
public struct QCLFileRow: Sendable, Equatable {
    public var pseudonym: String
    public var tier: String
    public var score: String
    public var nextAction: String
    public var recontactMonth: String
    /// The score interval's ends, when the score is an interval ("" otherwise).
    public var scoreMin: String = ""
    public var scoreMax: String = ""
    /// The reason codes, strongest first.
    public var reasons: [String] = []

    public init(pseudonym: String, tier: String, score: String, nextAction: String, recontactMonth: String,
                scoreMin: String = "", scoreMax: String = "", reasons: [String] = []) {
        self.pseudonym = pseudonym
        self.tier = tier
        self.score = score
        self.nextAction = nextAction
        self.recontactMonth = recontactMonth
        self.scoreMin = scoreMin
        self.scoreMax = scoreMax
        self.reasons = reasons
    }
}

/// A QCL file read back: its rows and the scoring run that wrote it.
public struct QCLFile: Sendable, Equatable {
    public enum Format: String, Sendable, Encodable { case csv, json }

    public var path: String
    public var format: Format
    public var rows: [QCLFileRow]
    /// The model that scored the run, its version, digest (JSON QCLs only) and the run's time.
    public var model: String
    public var modelVersion: String
    public var modelDigest: String?
    public var scoredAt: String
    /// The guard's k and, per tier, what it did (JSON QCLs record both; a CSV QCL has no place
    /// for figures about rows it does not hold).
    public var k: Int?
    public var tierGuard: [QualifiedCustomerList.TierGuard]?

    public init(path: String, format: Format, rows: [QCLFileRow], model: String, modelVersion: String, modelDigest: String? = nil,
                scoredAt: String, k: Int? = nil, tierGuard: [QualifiedCustomerList.TierGuard]? = nil) {
        self.path = path
        self.format = format
        self.rows = rows
        self.model = model
        self.modelVersion = modelVersion
        self.modelDigest = modelDigest
        self.scoredAt = scoredAt
        self.k = k
        self.tierGuard = tierGuard
    }

    /// Rows per tier, in the order tiers first appear (the QCL is written best tier first).
    public var rowsPerTier: [(tier: String, rows: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for row in rows {
            if counts[row.tier] == nil { order.append(row.tier) }
            counts[row.tier, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    /// Why `tiers` hold no row: which tiers do, and what the k-anonymity guard did, as far as the
    /// file records it.
    public func explainEmpty(_ tiers: [String]) -> String {
        let present = rowsPerTier.map { "\($0.tier) \($0.rows)" }.joined(separator: ", ")
        var parts = ["tiers with rows in \(path): " + (present.isEmpty ? "none" : present)]
        if let tierGuard, let k {
            for tier in tiers {
                guard let stats = tierGuard.first(where: { $0.tier == tier }) else {
                    parts.append("\(tier) is no tier of model \(model) (tiers: \(tierGuard.map(\.tier).joined(separator: ", ")))")
                    continue
                }
                if stats.scored == 0 {
                    parts.append("no customer scored in tier \(tier)")
                } else if stats.suppressed == stats.scored {
                    parts.append("the k=\(k) anonymity guard suppressed " + (stats.scored == 1 ? "the one customer" : "all \(stats.scored) customers")
                                 + " scored \(tier): their tier and identifying reasons were shared by fewer than \(k) customers, even coarsened")
                }
            }
            let coarsened = tierGuard.reduce(0) { $0 + $1.coarsened }, suppressed = tierGuard.reduce(0) { $0 + $1.suppressed }
            parts.append("in all the guard coarsened \(coarsened) rows and suppressed \(suppressed)")
        } else {
            parts.append("a CSV QCL does not record the rows the k-anonymity guard suppressed: `coffer score` printed them per tier (so does its report; a .json QCL records them)")
        }
        return parts.joined(separator: "; ")
    }
}

/// Qualified customers handed to another team: the chosen tiers of a QCL, re-identified, with
/// the fields the receiving role sees and, from the QCL, the tier, score interval, reasons, next
/// steps and the scoring run (model, version, time).
///
/// A CSV hand-off gets its legend as a second small file beside it (`NAME.legend.csv`: one row
/// per column, what it means): comment lines or extra header rows would break the file for
/// spreadsheets and CRMs. A JSON hand-off holds the legend as an object.
public enum QCLHandoff {
    /// The columns the hand-off file adds after the receiving role's fields.
    public static let qclColumns: [String] = ["tier", "score", "score_min", "score_max", "reasons", "next_action", "recontact_month",
                                              "model", "model_version", "scored_at"]

    /// What a hand-off wrote.
    public struct Result: Sendable, Equatable, Encodable {
        /// The file written, its format, and the legend file beside a CSV.
        public var out: String
        public var format: QCLFile.Format
        public var legend: String?
        public var role: String
        /// The tiers asked for, with the rows the QCL holds and the customers handed, each.
        public var tiers: [TierCount]
        /// Customers written to the file.
        public var handed: Int
        /// Rows of the chosen tiers in the QCL; more than `handed` when some pseudonyms no longer
        /// match a customer (erased, or from another domain).
        public var chosen: Int
        public var model: String
        public var modelVersion: String
        public var scoredAt: String
        /// Why some asked-for tiers had no row (nil when all had rows).
        public var emptyTiers: String?

        public struct TierCount: Sendable, Equatable, Encodable {
            public var tier: String
            public var rows: Int
            public var handed: Int
        }
    }

    /// The legend: what each column of the hand-off means, in column order.
    public static func legend(fields: [String], role: String, qcl: QCLFile) -> [(column: String, meaning: String)] {
        fields.map { ($0, "the customer's \($0) as the \(role) role sees it") } + [
            ("tier", "the tier the model gave the customer (best first; disqualified last)"),
            ("score", "the score the tier was read from (the model's tier_by end of the interval when the score is one)"),
            ("score_min", "lowest possible score when some input was too coarse to decide a rule (an age band across a threshold); empty when exact"),
            ("score_max", "highest possible score, as score_min; empty when exact"),
            ("reasons", "the strongest reasons, '; '-separated: input, the value as the analyst saw it (or the test it passed), points"),
            ("next_action", "what the model suggests doing next"),
            ("recontact_month", "when to contact again (YYYY-MM), from the model's recontact rule"),
            ("model", "the scoring model: \(qcl.model)"),
            ("model_version", "its version: \(qcl.modelVersion)" + (qcl.modelDigest.map { " (sha256 \($0))" } ?? "")),
            ("scored_at", "when the scoring run was made (ISO 8601, UTC): \(qcl.scoredAt)"),
        ]
    }

    /// The legend file written beside a CSV hand-off: `for-sales.csv` → `for-sales.legend.csv`.
    public static func legendPath(for out: String) -> String {
        let ext = (out as NSString).pathExtension
        return (ext.isEmpty ? out : String(out.dropLast(ext.count + 1))) + ".legend.csv"
    }

    /// Re-identifies the rows of `qcl` in `tiers` as `role` sees them (`Vault.handoff`: requires
    /// reidentify, one audit entry) and writes them to `out` (JSON when it ends in `.json`, else
    /// CSV with its legend file; mode 0600). `domain` defaults to the policy's only
    /// `customer_ref` pseudonym domain. Nothing is read from the vault if the QCL has no row in
    /// those tiers: the error says which tiers have rows and what the k-anonymity guard did.
    package static func run(vault: Vault, session: Session, purpose: String?, qcl: QCLFile,
                            tiers: [String], role: String, domain: String?, out: String) throws -> Result {
        guard !tiers.isEmpty else { throw VaultError.invalidInput("name at least one tier to hand off") }
        let chosen = qcl.rows.filter { tiers.contains($0.tier) }
        let empty = tiers.filter { tier in !chosen.contains { $0.tier == tier } }
        guard !chosen.isEmpty else {
            throw VaultError.invalidInput("\(qcl.path): no rows in tier \(tiers.joined(separator: ", ")); " + qcl.explainEmpty(tiers))
        }
        let domain = try domain ?? onlyDomain(vault.policy)
        let json = QCLFileFormat(path: out) == .json
        let legendPath = json ? nil : Self.legendPath(for: out)
        try vault.checkOutputFile(out, input: qcl.path)
        if let legendPath {
            try vault.checkOutputFile(legendPath, input: qcl.path)
            guard legendPath != out else { throw VaultError.invalidInput("--out \(out): name the hand-off file with an extension (.csv or .json)") }
        }
        let handoff = try vault.handoff(chosen.map(\.pseudonym), domain: domain, to: role, session: session, purpose: purpose,
                                        tiers: chosen.map(\.tier))
        var handedPerTier: [String: Int] = [:]
        var records: [(values: [String], row: QCLFileRow)] = []
        for row in chosen {
            guard let values = handoff.rows[row.pseudonym] else { continue }
            records.append((values, row))
            handedPerTier[row.tier, default: 0] += 1
        }
        let legend = Self.legend(fields: handoff.fields, role: role, qcl: qcl)
        do {
            if json {
                try writeJSON(records, fields: handoff.fields, legend: legend, qcl: qcl, role: role, tiers: tiers, to: out)
            } else {
                try writeCSV(records, fields: handoff.fields, qcl: qcl, to: out)
                try writeLegend(legend, to: legendPath!)
            }
        } catch {
            for path in [out, legendPath].compactMap({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
            throw VaultError(wrapping: error)
        }
        let rowsPerTier = Dictionary(qcl.rowsPerTier.map { ($0.tier, $0.rows) }, uniquingKeysWith: +)
        return Result(out: out, format: json ? .json : .csv, legend: legendPath, role: role,
                      tiers: tiers.map { Result.TierCount(tier: $0, rows: rowsPerTier[$0] ?? 0, handed: handedPerTier[$0] ?? 0) },
                      handed: records.count, chosen: chosen.count, model: qcl.model, modelVersion: qcl.modelVersion, scoredAt: qcl.scoredAt,
                      emptyTiers: empty.isEmpty ? nil : "no rows in tier \(empty.joined(separator: ", ")): " + qcl.explainEmpty(empty))
    }

    static func qclValues(_ row: QCLFileRow, _ qcl: QCLFile) -> [String] {
        [row.tier, row.score, row.scoreMin, row.scoreMax, row.reasons.joined(separator: "; "), row.nextAction, row.recontactMonth,
         qcl.model, qcl.modelVersion, qcl.scoredAt]
    }

    static func writeCSV(_ records: [(values: [String], row: QCLFileRow)], fields: [String], qcl: QCLFile, to out: String) throws {
        let writer = try CSVWriter(path: out)
        try writer.write(fields + qclColumns)
        for record in records { try writer.write(record.values + qclValues(record.row, qcl)) }
        try writer.close()
    }

    static func writeLegend(_ legend: [(column: String, meaning: String)], to path: String) throws {
        let writer = try CSVWriter(path: path)
        try writer.write(["column", "meaning"])
        for entry in legend { try writer.write([entry.column, entry.meaning]) }
        try writer.close()
    }

    static func writeJSON(_ records: [(values: [String], row: QCLFileRow)], fields: [String], legend: [(column: String, meaning: String)],
                          qcl: QCLFile, role: String, tiers: [String], to out: String) throws {
        func number(_ text: String) -> Any { Double(text).map { $0 as Any } ?? (text.isEmpty ? NSNull() : text as Any) }
        let rows: [[String: Any]] = records.map { record in
            var object: [String: Any] = [:]
            for (field, value) in zip(fields, record.values) where !value.isEmpty { object[field] = value }
            let row = record.row
            object["tier"] = row.tier
            object["score"] = number(row.score)
            if !row.scoreMin.isEmpty { object["score_min"] = number(row.scoreMin) }
            if !row.scoreMax.isEmpty { object["score_max"] = number(row.scoreMax) }
            object["reasons"] = row.reasons
            if !row.nextAction.isEmpty { object["next_action"] = row.nextAction }
            if !row.recontactMonth.isEmpty { object["recontact_month"] = row.recontactMonth }
            return object
        }
        var document: [String: Any] = [
            "legend": Dictionary(legend.map { ($0.column, $0.meaning) }, uniquingKeysWith: { a, _ in a }),
            "model": qcl.model, "model_version": qcl.modelVersion, "scored_at": qcl.scoredAt,
            "role": role, "tiers": tiers, "rows": rows,
        ]
        if let digest = qcl.modelDigest { document["model_digest"] = digest }
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try PrivateFile.write(data, to: out)
    }

    /// The policy's only `customer_ref` pseudonym domain.
    static func onlyDomain(_ policy: Policy) throws(VaultError) -> String {
        let domains = policy.referencePseudonymDomains
        guard domains.count == 1, let domain = domains.first else {
            throw .invalidInput("the policy has \(domains.count) customer_ref pseudonym domains; name the QCL's domain")
        }
        return domain
    }

    // MARK: Reading a QCL

    /// A QCL file as `coffer score` writes it, CSV or JSON: by the name's extension, else by its
    /// first character (`{` is JSON). One error naming the file (and line) for anything else.
    public static func read(_ path: String) throws(VaultError) -> QCLFile {
        switch QCLFileFormat(path: path) {
        case .json?: return try readJSON(path)
        case .csv?: return try readCSV(path)
        case nil:
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw .file(.cannotOpen(path: path, reason: "cannot read the QCL"))
            }
            let head = (try? handle.read(upToCount: 64)) ?? Data()
            try? handle.close()
            let first = head.first { !Set<UInt8>([0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF]).contains($0) }
            return first == UInt8(ascii: "{") ? try readJSON(path) : try readCSV(path)
        }
    }

    static let olderQCL = "written by an older coffer without the scoring run's model and time; score again"

    /// The rows of a QCL CSV.
    static func readCSV(_ path: String) throws(VaultError) -> QCLFile {
        do {
            let reader = try CSVReader(path: path)
            guard let header = try reader.next() else { throw VaultError.invalidInput("\(path): empty file; expected a QCL written by coffer score") }
            func column(_ name: String, older: Bool = false) throws(VaultError) -> Int {
                guard let i = header.fields.firstIndex(of: name) else {
                    throw .invalidInput("\(path):1: no '\(name)' column; " + (older ? olderQCL : "expected a QCL written by coffer score"))
                }
                return i
            }
            typealias C = QualifiedCustomerList.Column
            let p = try column(C.pseudonym.rawValue), t = try column(C.tier.rawValue), s = try column(C.score.rawValue)
            let a = try column(C.nextAction.rawValue), r = try column(C.recontactMonth.rawValue)
            let lo = try column(C.scoreMin.rawValue), hi = try column(C.scoreMax.rawValue), why = try column(C.reasons.rawValue)
            typealias R = QualifiedCustomerList.RunColumn
            let m = try column(R.model.rawValue, older: true), v = try column(R.modelVersion.rawValue, older: true)
            let at = try column(R.scoredAt.rawValue, older: true)
            var rows: [QCLFileRow] = []
            var run: [String]?
            while let record = try reader.next() {
                if let problem = record.problem { throw VaultError.invalidInput("\(path):\(record.line): \(problem)") }
                guard record.fields.count == header.fields.count else {
                    throw VaultError.invalidInput("\(path):\(record.line): \(record.fields.count) fields, the header has \(header.fields.count)")
                }
                let f = record.fields
                guard f[p].hasPrefix("ps_") else {
                    throw VaultError.invalidInput("\(path):\(record.line): the pseudonym column does not hold a pseudonym (ps_...)")
                }
                let thisRun = [f[m], f[v], f[at]]
                if let run, run != thisRun {
                    throw VaultError.invalidInput("\(path):\(record.line): a row of another scoring run (\(f[m]) v\(f[v]) at \(f[at]), not \(run[0]) v\(run[1]) at \(run[2])); hand off one run at a time")
                }
                run = thisRun
                rows.append(QCLFileRow(pseudonym: f[p], tier: f[t], score: f[s], nextAction: f[a], recontactMonth: f[r], scoreMin: f[lo],
                                       scoreMax: f[hi], reasons: splitReasons(f[why])))
            }
            return QCLFile(path: path, format: .csv, rows: rows, model: run?[0] ?? "", modelVersion: run?[1] ?? "", scoredAt: run?[2] ?? "")
        } catch {
            throw VaultError(wrapping: error)
        }
    }

    /// Reasons as one "; "-separated string (CSV, and JSON QCLs that write it so) or a list.
    static func splitReasons(_ text: String) -> [String] {
        text.isEmpty ? [] : text.components(separatedBy: "; ")
    }

    /// The rows of a QCL JSON (`score --out qcl.json`). Numbers may be written as numbers or
    /// strings, reasons as a list or one "; "-separated string.
    static func readJSON(_ path: String) throws(VaultError) -> QCLFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .file(.cannotOpen(path: path, reason: "cannot read the QCL"))
        }
        guard let document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidInput("\(path): not a JSON object; expected a QCL written by coffer score --out FILE.json")
        }
        func text(_ value: Any?) -> String {
            switch value {
            case let s as String: return s
            case let n as NSNumber: return formatNumber(n.doubleValue)
            default: return ""
            }
        }
        guard let model = document["model"] as? String, let version = document["model_version"].map(text), !version.isEmpty,
              let scoredAt = document["scored_at"] as? String else {
            throw .invalidInput("\(path): no model, model_version or scored_at; " + olderQCL)
        }
        guard let rawRows = document["rows"] as? [[String: Any]] else {
            throw .invalidInput("\(path): no 'rows' list; expected a QCL written by coffer score --out FILE.json")
        }
        var rows: [QCLFileRow] = []
        for (n, raw) in rawRows.enumerated() {
            let pseudonym = text(raw["pseudonym"]), tier = text(raw["tier"])
            guard pseudonym.hasPrefix("ps_") else { throw .invalidInput("\(path): row \(n + 1): the pseudonym is not a pseudonym (ps_...)") }
            guard !tier.isEmpty else { throw .invalidInput("\(path): row \(n + 1): no tier") }
            let reasons: [String]
            switch raw["reasons"] {
            case let list as [Any]: reasons = list.map(text)
            case let one as String: reasons = splitReasons(one)
            default: reasons = []
            }
            rows.append(QCLFileRow(pseudonym: pseudonym, tier: tier, score: text(raw["score"]), nextAction: text(raw["next_action"]),
                                   recontactMonth: text(raw["recontact_month"]), scoreMin: text(raw["score_min"]),
                                   scoreMax: text(raw["score_max"]), reasons: reasons))
        }
        var guardStats: [QualifiedCustomerList.TierGuard]?
        if let tiers = document["tiers"] as? [[String: Any]] {
            guardStats = tiers.compactMap { t in
                guard let tier = t["tier"] as? String else { return nil }
                return QualifiedCustomerList.TierGuard(tier: tier, scored: t["scored"] as? Int ?? 0, coarsened: t["coarsened"] as? Int ?? 0,
                                                       suppressed: t["suppressed"] as? Int ?? 0)
            }
        }
        return QCLFile(path: path, format: .json, rows: rows, model: model, modelVersion: version, modelDigest: document["model_digest"] as? String,
                       scoredAt: scoredAt, k: document["k"] as? Int, tierGuard: guardStats)
    }
}
