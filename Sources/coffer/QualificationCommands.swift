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
        Terminal.out("tiers in the QCL: " + summary.tiers.map { "\($0.tier) \($0.customers)" }.joined(separator: ", "))
        Terminal.out("k=\(k) guard: \(run.qcl.coarsened) rows coarsened, \(run.qcl.suppressed) suppressed; \(run.qcl.count) rows written to \(out)")
        Terminal.out("\(run.quality.indeterminateScores) scores are intervals; \(run.quality.customersWithGaps) customers miss some input")
        for criterion in run.quality.criteria where criterion.unscored > 0 {
            Terminal.out("  not scored: \(criterion.name) (line \(criterion.line)): \(criterion.missing) missing, \(criterion.invalid) invalid")
        }
        if let report { Terminal.out("report: \(report)") }
    }
}

/// The run's figures for `--json` and the terminal.
struct ScoreSummary: Encodable {
    struct TierCount: Encodable { var tier: String; var customers: Int }
    var model: String, version: String, digest: String
    var customers: Int, rows: Int, k: Int, coarsened: Int, suppressed: Int
    var tiers: [TierCount]
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
        var counts: [String: Int] = [:]
        counts = qcl.tierCounts
        tiers = (qcl.model.grading.tierNames + [ScoringEngine.disqualifiedTier]).map { TierCount(tier: $0, customers: counts[$0] ?? 0) }
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
        @Argument(help: ArgumentHelp("A QCL written by `coffer score --out file.csv`.", valueName: "qcl.csv")) var qcl: String
        @Option(parsing: .upToNextOption, help: "Tiers to hand off (e.g. A, or A1 A2).") var tier: [String]
        @Option(help: "The role whose view the receiving team gets.") var role = "sales"
        @Option(help: "The pseudonym domain of the QCL (default: the domain of customer_ref pseudonyms in the policy, when there is one).")
        var domain: String?
        @Option(help: ArgumentHelp("The hand-off CSV to write (mode 0600).", valueName: "file")) var out: String

        func run() async throws {
            guard !tier.isEmpty else { throw VaultError.invalidInput("name at least one --tier") }
            try checkOutputDirectory(out, option: "--out")
            let request = HandOffQCL(rows: try QCLHandoff.read(qcl), from: qcl, tiers: tier, role: role, domain: domain, to: out)
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(request, as: caller)
            if output.json {
                struct Summary: Encodable { var handed: Int; var chosen: Int; var unmatched: Int; var tiers: [String]; var role: String; var out: String }
                return try printJSON(Summary(handed: result.handed, chosen: result.chosen, unmatched: result.chosen - result.handed,
                                             tiers: tier, role: role, out: out))
            }
            Terminal.out("handed \(result.handed) customers (tier \(tier.joined(separator: ", "))) to role \(role) in \(out)"
                         + (result.handed < result.chosen ? "; \(result.chosen - result.handed) pseudonyms no longer match a customer (erased, or another domain)" : ""))
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

    func run() async throws {
        let segment = try parseSegment()
        if let rules { try checkOutputDirectory(rules, option: "--rules") }
        let request = DiscoverICP(segment: segment, model: try model.map { path throws(VaultError) in try ModelDocument.read(path: path) },
                                  k: k, minimumLift: minLift)
        let (service, caller) = try await auth.caller(vault)
        let result = try await service.perform(request, as: caller, progressLabel: "icp")
        let discovery = result.discovery, proposed = result.proposedRules
        if let rules { try PrivateFile.write(Data(result.rulesYAML.utf8), to: rules) }
        if output.json {
            struct Output: Encodable { var segment: String; var customers: Int; var segmentSize: Int; var k: Int; var cells: [ICPDiscovery.Cell]; var proposedRules: [ICPDiscovery.ProposedRule]; var rules: String? }
            return try printJSON(Output(segment: discovery.segment, customers: discovery.customers, segmentSize: discovery.segmentSize, k: k,
                                        cells: discovery.cells, proposedRules: proposed, rules: rules))
        }
        Terminal.out("segment \(discovery.segment): \(discovery.segmentSize) of \(discovery.customers) customers; cells with at least \(k) customers")
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

    func run() async throws {
        let request = CalibrateModels(model: try ModelDocument.read(path: model),
                                      comparison: try compare.map { path throws(VaultError) in try ModelDocument.read(path: path) })
        let (service, caller) = try await auth.caller(vault)
        let results = try await service.perform(request, as: caller, progressLabel: "calibrate")
        if output.json {
            struct TierOutput: Encodable { var tier: String; var customers: Int; var won: Int; var lost: Int; var conversionRate: Double?; var lift: Double? }
            struct ModelOutput: Encodable { var model: String; var version: String; var won: Int; var lost: Int; var baselineRate: Double?; var auc: Double?; var tiersSeparate: Bool; var tiers: [TierOutput] }
            return try printJSON(results.map { c in
                ModelOutput(model: c.modelName, version: c.modelVersion, won: c.won, lost: c.lost, baselineRate: c.baselineRate, auc: c.auc,
                            tiersSeparate: c.tiersSeparate(),
                            tiers: c.tiers.map { TierOutput(tier: $0.tier, customers: $0.customers, won: $0.won, lost: $0.lost, conversionRate: $0.conversionRate, lift: c.lift($0)) })
            })
        }
        for c in results {
            Terminal.out("\(c.modelName) v\(c.modelVersion): \(c.won) won, \(c.lost) lost; baseline conversion "
                         + (c.baselineRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–")
                         + "; ROC AUC " + (c.auc.map { String(format: "%.3f", $0) } ?? "–"))
            Terminal.table(["tier", "customers", "won", "lost", "conversion", "lift"], c.tiers.filter { $0.customers > 0 }.map { t in
                [t.tier, "\(t.customers)", "\(t.won)", "\(t.lost)", t.conversionRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–",
                 c.lift(t).map { String(format: "%.2fx", $0) } ?? "–"]
            }, rightAligned: [1, 2, 3, 4, 5], indent: "  ")
            for rows in [true, false] where !c.margins(rows: rows).isEmpty {
                Terminal.out("  by matrix " + (rows ? "row" : "column") + ": " + c.margins(rows: rows).map { t in
                    "\(t.tier) " + (t.conversionRate.map { String(format: "%.1f%%", $0 * 100) } ?? "–")
                }.joined(separator: ", "))
            }
            Terminal.out(c.tiersSeparate() ? "  the tiers separate winners from losers (conversion falls tier by tier)"
                                           : "  the tiers do NOT separate winners from losers (conversion does not fall tier by tier)")
        }
        if results.count == 2, let a = results[0].auc, let b = results[1].auc {
            let better = a == b ? "neither model ranks better" : "\(a > b ? results[0].modelName + " v" + results[0].modelVersion : results[1].modelName + " v" + results[1].modelVersion) ranks winners better"
            Terminal.out(String(format: "AUC %.3f vs %.3f: ", a, b) + better)
        }
    }
}
