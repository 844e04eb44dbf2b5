import ArgumentParser
import Coffer
import CofferSupport
import Foundation
import Qualification

struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every customer with a model into a Qualified Customer List (requires score; one audit entry per run).",
        discussion: """
            Rules run on the view of your role (analysts: pseudonyms and bands). Rows whose tier and \
            identifying reason values are shared by fewer than k customers are coarsened, then suppressed.
            """
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Scoring model file (e.g. policies/scoring/b2b.yaml).", valueName: "file")) var model: String
    @Option(help: ArgumentHelp("The QCL to write: .csv or .json (mode 0600).", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Also write a self-contained HTML report.", valueName: "file")) var report: String?
    @Option(help: ArgumentHelp("Also write the data-quality report as JSON.", valueName: "file")) var quality: String?
    @Option(name: .customLong("k"), help: "Minimum class size of the k-anonymity guard.") var k = 5
    @Flag(help: "Print every criterion that could not score some customers (one line per criteria group otherwise).") var verbose = false

    func run() async throws {
        guard let format = QCLFileFormat(path: out) else { throw VaultError.invalidInput("--out \(out): name a .csv or .json file") }
        try checkOutputDirectory(out, option: "--out")
        if let report { try checkOutputDirectory(report, option: "--report") }
        if let quality { try checkOutputDirectory(quality, option: "--quality") }
        let request = ScoreCustomers(model: try ModelDocument.read(path: model), k: k, withReport: report != nil)
        let (service, caller) = try await auth.caller(vault)
        let run = try await service.perform(request, as: caller, progressLabel: "score")
        let scoringModel = run.qcl.model
        try run.write(qcl: out, format: format, report: report, quality: quality)
        let summary = ScoreSummary(run, out: out, report: report, quality: quality)
        if output.json { return try printJSON(summary) }
        Terminal.out("scored \(run.customers) customers with \(scoringModel.name) v\(scoringModel.version) (sha256:\(scoringModel.digest.prefix(16))…)")
        Terminal.table(["tier", "scored", "coarsened", "suppressed", "in the QCL"], run.qcl.tierGuard.map { t in
            [t.tier, "\(t.scored)", "\(t.coarsened)", "\(t.suppressed)", "\(t.rows)"]
        }, rightAligned: [1, 2, 3, 4], indent: "  ")
        Terminal.out("k=\(k) guard: \(run.qcl.coarsened) rows coarsened, \(run.qcl.suppressed) suppressed; \(run.qcl.count) rows written to \(out)")
        if run.qcl.coarsened + run.qcl.suppressed > 0 { Terminal.out("  (\(run.qcl.guardExplanation))") }
        Terminal.out("\(run.quality.indeterminateScores) scores are intervals; \(run.quality.customersWithGaps) customers miss some input")
        if verbose {
            for criterion in run.quality.criteria where criterion.unscored > 0 {
                Terminal.out("  not scored: \(criterion.name) (line \(criterion.line)): \(criterion.missing) missing, \(criterion.invalid) invalid")
            }
        } else {
            let groups = run.quality.groups.filter { $0.criteriaWithGaps > 0 }
            for group in groups {
                Terminal.out("  \(group.group): \(group.criteriaWithGaps) of \(group.criteria) criteria could not score some customers "
                             + "(\(group.missing) missing, \(group.invalid) invalid values)")
            }
            if !groups.isEmpty { Terminal.out("  (each criterion: --verbose, or --quality FILE)") }
        }
        if let report { Terminal.out("report: \(report)") }
    }
}

/// The run's figures for `--json` and the terminal.
struct ScoreSummary: Encodable {
    /// `customers`: rows of the tier in the QCL; `scored`: before the k-anonymity guard.
    struct TierCount: Encodable { var tier: String; var customers: Int; var scored: Int; var coarsened: Int; var suppressed: Int }
    var model: String, version: String, digest: String
    var customers: Int, rows: Int, k: Int, coarsened: Int, suppressed: Int
    var tiers: [TierCount]
    var scoredAt: String
    var guardRule: String
    var indeterminateScores: Int, customersWithGaps: Int
    /// The data-quality figures (`qualityReport` in JSON; `quality` names the file written).
    var qualityReport: DataQualityReport
    /// The files written: the QCL, and the report and quality file when asked for.
    var out: String, report: String?, quality: String?

    init(_ run: Qualifier.ScoreRun, out: String, report: String?, quality: String?) {
        let qcl = run.qcl
        model = qcl.model.name
        version = qcl.model.version
        digest = qcl.model.digest
        customers = run.customers
        rows = qcl.count
        k = qcl.k
        coarsened = qcl.coarsened
        suppressed = qcl.suppressed
        tiers = qcl.tierGuard.map { TierCount(tier: $0.tier, customers: $0.rows, scored: $0.scored, coarsened: $0.coarsened, suppressed: $0.suppressed) }
        scoredAt = qcl.scoredAtText
        guardRule = qcl.guardExplanation
        indeterminateScores = run.quality.indeterminateScores
        customersWithGaps = run.quality.customersWithGaps
        qualityReport = run.quality
        self.out = out
        self.report = report
        self.quality = quality
    }
}

/// Refuses an output whose directory is missing or not writable, before any audited read: a
/// run that could not write its result would still have read (and logged) every customer.
func checkOutputDirectory(_ path: String, option: String) throws(VaultError) {
    let parent = (path as NSString).deletingLastPathComponent
    let directory = parent.isEmpty ? "." : parent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
          FileManager.default.isWritableFile(atPath: directory) else {
        throw .invalidInput("\(option) \(path): the directory \(directory) does not exist or is not writable")
    }
}



struct QCLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "qcl", abstract: "Work with Qualified Customer Lists.", subcommands: [Handoff.self])

    struct Handoff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hand chosen QCL rows to sales: re-identify their pseudonyms and add the fields the receiving role sees (requires reidentify; audited)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: ArgumentHelp("A QCL written by `coffer score --out` (.csv or .json; told apart by the extension, else the content).",
                                     valueName: "qcl")) var qcl: String
        @Option(parsing: .upToNextOption, help: "Tiers to hand off (e.g. A, or A1 A2).") var tier: [String]
        @Option(help: "The role whose view the receiving team gets.") var role = "sales"
        @Option(help: "The pseudonym domain of the QCL (default: the domain of customer_ref pseudonyms in the policy, when there is one).")
        var domain: String?
        @Option(help: ArgumentHelp("The hand-off file (mode 0600): .json for JSON with a legend object; otherwise CSV, with its legend in NAME.legend.csv.",
                                   valueName: "file")) var out: String

        func run() async throws {
            guard !tier.isEmpty else { throw VaultError.invalidInput("name at least one --tier") }
            try checkOutputDirectory(out, option: "--out")
            let request = HandOffQCL(qcl: try QCLHandoff.read(qcl), tiers: tier, role: role, domain: domain, to: out)
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(request, as: caller)
            if output.json { return try printJSON(result) }
            Terminal.out("handed \(result.handed) customers ("
                         + result.tiers.map { "tier \($0.tier) \($0.handed)" }.joined(separator: ", ")
                         + ") to role \(role) in \(out)" + (result.legend.map { " (legend: \($0))" } ?? ""))
            Terminal.out("scored by \(result.model) v\(result.modelVersion) at \(result.scoredAt)")
            if result.handed < result.chosen {
                Terminal.out("\(result.chosen - result.handed) pseudonyms no longer match a customer (erased, or another domain)")
            }
            if let empty = result.emptyTiers { Terminal.out(empty) }
        }
    }
}

struct ICPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icp",
        abstract: "Ideal customer profile: attribute values over-represented in a segment, with lift and support (cells under k hidden), and proposed fit rules."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The segment: tier=A (needs --model; tier=A,B for several), won, or use --top-clv.") var segment: String?
    @Option(name: .customLong("top-clv"), help: ArgumentHelp("The top share of customers by predictive CLV, e.g. 10%.", valueName: "share"))
    var topCLV: String?
    @Option(help: ArgumentHelp("Scoring model (for tier segments, and its value settings).", valueName: "file")) var model: String?
    @Option(name: .customLong("k"), help: "Hide cells with fewer customers than this.") var k = 5
    @Option(name: .customLong("min-lift"), help: "Propose fit rules for values with at least this lift.") var minLift = 1.5
    @Option(help: ArgumentHelp("Write the proposed rules as YAML to this file.", valueName: "file")) var rules: String?
    @OptionGroup var split: HoldoutOptions

    func run() async throws {
        let segment = try parseSegment()
        if let rules { try checkOutputDirectory(rules, option: "--rules") }
        let request = DiscoverICP(segment: segment, model: try model.map { path throws(VaultError) in try ModelDocument.read(path: path) },
                                  k: k, minimumLift: minLift, holdout: try split.split())
        let (service, caller) = try await auth.caller(vault)
        let result = try await service.perform(request, as: caller, progressLabel: "icp")
        let discovery = result.discovery, proposed = result.proposedRules
        if let rules { try PrivateFile.write(Data(result.rulesYAML.utf8), to: rules) }
        if output.json {
            struct Output: Encodable { var segment: String; var customers: Int; var segmentSize: Int; var k: Int; var cells: [ICPDiscovery.Cell]; var proposedRules: [ICPDiscovery.ProposedRule]; var rules: String? }
            return try printJSON(Output(segment: discovery.segment, customers: discovery.customers, segmentSize: discovery.segmentSize, k: k,
                                        cells: discovery.cells, proposedRules: proposed, rules: rules))
        }
        Terminal.out("segment \(discovery.segment): \(discovery.segmentSize) of \(discovery.customers) customers; cells with at least \(k) customers"
                     + (request.holdout.map { "; \($0.text), not looked at" } ?? ""))
        let table = discovery.cells.prefix(25).map { cell in
            [cell.field, Terminal.printable(cell.value), "\(cell.support)", String(format: "%.1f%%", cell.segmentShare * 100),
             String(format: "%.1f%%", cell.overallShare * 100), String(format: "%.2f", cell.lift)]
        }
        Terminal.table(["attribute", "value", "support", "segment", "overall", "lift"], table, rightAligned: [2, 3, 4, 5])
        if proposed.isEmpty {
            Terminal.out("no value has a lift of \(minLift) or more in at least 10% of the segment: no rule proposed")
        } else {
            Terminal.out("proposed fit rules:")
            for rule in proposed { Terminal.out("  " + Terminal.printable(rule.yaml)) }
        }
    }

    func parseSegment() throws(VaultError) -> Qualifier.Segment {
        switch (segment, topCLV) {
        case let (nil, share?):
            let text = share.hasSuffix("%") ? String(share.dropLast()) : share
            guard let value = Double(text), value > 0, value < 100 else { throw .invalidInput("--top-clv takes a share between 0 and 100, e.g. 10%") }
            return .topCLV(value / 100)
        case let (segment?, nil):
            if segment == "won" { return .won }
            if segment.hasPrefix("tier=") {
                let names = segment.dropFirst(5).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard !names.isEmpty else { throw .invalidInput("--segment tier= needs a tier name, e.g. tier=A") }
                return .tiers(names)
            }
            throw .invalidInput("--segment takes tier=NAME or won (or use --top-clv 10%)")
        case (nil, nil):
            throw .invalidInput("name a segment: --segment tier=A, --segment won or --top-clv 10%")
        case (_?, _?):
            throw .invalidInput("use either --segment or --top-clv")
        }
    }
}

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Check a model against imported won/lost outcomes: conversion by tier, lift, ROC AUC; --compare shows a second version side by side."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Scoring model file.", valueName: "file")) var model: String
    @Option(help: ArgumentHelp("Another model (e.g. the next version) to compare.", valueName: "file")) var compare: String?
    @OptionGroup var split: HoldoutOptions
    @Option(name: .customLong("min-outcomes"), help: "Flag tiers with fewer customers with an outcome than this; their conversion and lift are not shown.")
    var minOutcomes = Calibration.defaultMinimumOutcomes

    func run() async throws {
        guard minOutcomes >= 1 else { throw VaultError.invalidInput("--min-outcomes must be at least 1") }
        let request = CalibrateModels(model: try ModelDocument.read(path: model),
                                      comparison: try compare.map { path throws(VaultError) in try ModelDocument.read(path: path) },
                                      holdout: try split.split(), minimumOutcomes: minOutcomes)
        let (service, caller) = try await auth.caller(vault)
        let results = try await service.perform(request, as: caller, progressLabel: "calibrate")
        if output.json {
            struct TierOutput: Encodable { var tier: String; var customers: Int; var won: Int; var lost: Int; var conversionRate: Double?; var lift: Double?; var small: Bool }
            struct SplitOutput: Encodable { var split: String; var won: Int; var lost: Int; var baselineRate: Double?; var auc: Double?; var tiersSeparate: Bool; var tiers: [TierOutput] }
            struct ModelOutput: Encodable {
                var model: String; var version: String; var won: Int; var lost: Int; var baselineRate: Double?; var auc: Double?; var tiersSeparate: Bool; var tiers: [TierOutput]
                var minOutcomes: Int; var warnings: [String]; var notes: [String]; var splits: [SplitOutput]
            }
            func tiers(_ c: Calibration) -> [TierOutput] {
                c.tiers.map { TierOutput(tier: $0.tier, customers: $0.customers, won: $0.won, lost: $0.lost, conversionRate: c.conversion($0), lift: c.lift($0), small: c.isSmall($0)) }
            }
            return try printJSON(results.map { c in
                ModelOutput(model: c.modelName, version: c.modelVersion, won: c.won, lost: c.lost, baselineRate: c.baselineRate, auc: c.auc,
                            tiersSeparate: c.tiersSeparate(), tiers: tiers(c), minOutcomes: c.minimumOutcomes, warnings: c.warnings, notes: c.notes,
                            splits: c.splits.map { s in
                                SplitOutput(split: s.split ?? "", won: s.won, lost: s.lost, baselineRate: s.baselineRate, auc: s.auc,
                                            tiersSeparate: s.tiersSeparate(), tiers: tiers(s))
                            })
            })
        }
        for c in results {
            Terminal.out("\(c.modelName) v\(c.modelVersion): \(c.won) won, \(c.lost) lost; baseline conversion "
                         + (c.baselineRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–")
                         + "; ROC AUC " + Self.auc(c))
            Self.printTiers(c)
            for part in c.splits {
                Terminal.out("  \(part.split ?? ""): \(part.won) won, \(part.lost) lost; ROC AUC " + Self.auc(part))
                Self.printTiers(part, indent: "    ")
            }
            for note in c.notes { Terminal.out("  note: " + note) }
            for warning in c.warnings { Terminal.out("  warning: " + warning) }
        }
        if results.count == 2 {
            // With a holdout, compare on it: the part no proposal saw.
            let judged = results.map { $0.splits.last ?? $0 }
            let on = results[0].splits.isEmpty ? "" : " on the holdout"
            if let a = judged[0].auc, let b = judged[1].auc {
                let better = a == b ? "neither model ranks better" : "\(a > b ? results[0].modelName + " v" + results[0].modelVersion : results[1].modelName + " v" + results[1].modelVersion) ranks winners better"
                let caveat = results.contains { !$0.warnings.isEmpty } && on.isEmpty ? " (but see the warning: not a fair comparison)" : ""
                Terminal.out(String(format: "AUC%@ %.3f vs %.3f: ", on, a, b) + better + caveat)
            }
        }
    }

    static func auc(_ c: Calibration) -> String {
        (c.auc.map { String(format: "%.3f", $0) } ?? "–") + (c.auc != nil && c.aucIsShaky ? " (few outcomes: fewer than \(c.minimumOutcomes) won or lost)" : "")
    }

    static func printTiers(_ c: Calibration, indent: String = "  ") {
        let shown = c.tiers.filter { $0.customers > 0 }
        Terminal.table(["tier", "customers", "won", "lost", "conversion", "lift"], shown.map { t in
            [t.tier, "\(t.customers)", "\(t.won)", "\(t.lost)",
             c.isSmall(t) ? "small" : (c.conversion(t).map { String(format: "%.1f%%", $0 * 100) } ?? "–"),
             c.lift(t).map { String(format: "%.2fx", $0) } ?? "–"]
        }, rightAligned: [1, 2, 3, 4, 5], indent: indent)
        if shown.contains(where: c.isSmall) {
            Terminal.out(indent + "small: fewer than \(c.minimumOutcomes) customers with an outcome; no conversion or lift shown (--min-outcomes)")
        }
        for rows in [true, false] where !c.margins(rows: rows).isEmpty {
            Terminal.out(indent + "by matrix " + (rows ? "row" : "column") + ": " + c.margins(rows: rows).map { t in
                "\(t.tier) " + (c.isSmall(t) ? "small" : (t.conversionRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–"))
            }.joined(separator: ", "))
        }
        Terminal.out(c.tiersSeparate() ? indent + "the tiers separate winners from losers (conversion falls tier by tier)"
                                       : indent + "the tiers do NOT separate winners from losers (conversion does not fall tier by tier)")
    }
}

/// `--holdout FRACTION [--seed S]`: the deterministic split of `icp` and `calibrate`.
struct HoldoutOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hold out this fraction of customers (0 < f < 1), chosen by a keyed hash of their pseudonym: icp leaves them out, calibrate reports them apart.",
                               valueName: "fraction"))
    var holdout: Double?
    @Option(help: ArgumentHelp("The seed of the holdout split (same seed and fraction, same split).", valueName: "text"))
    var seed: String?

    func split() throws(VaultError) -> HoldoutSplit? {
        guard let holdout else {
            if seed != nil { throw .invalidInput("--seed goes with --holdout FRACTION") }
            return nil
        }
        guard holdout > 0, holdout < 1 else { throw .invalidInput("--holdout takes a fraction between 0 and 1, e.g. 0.3") }
        return HoldoutSplit(fraction: holdout, seed: seed ?? HoldoutSplit.defaultSeed)
    }
}
