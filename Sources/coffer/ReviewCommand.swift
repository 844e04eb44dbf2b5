import ArgumentParser
import Coffer
import CofferReview
import CofferSupport
import Foundation

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Periodic security review: signed review packages, data-subject reports, the record of processing.",
        subcommands: [Export.self, Verify.self, Subject.self, ProcessingRecordCommand.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a signed review package for a period (requires audit_read).",
            discussion: "The package holds every audit entry of the period (JSON Lines, CSV, OCSF), summary.json, report.html and MANIFEST.json signed with the vault's Ed25519 key. Check it with `coffer review verify`."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("First day of the period: today, yesterday, YYYY-MM-DD or YYYY-MM (its first day); UTC.", valueName: "day")) var from: String?
        @Option(help: ArgumentHelp("Last day of the period, included: today, yesterday, YYYY-MM-DD or YYYY-MM (its last day); UTC. Not after today; a period ending today covers the log up to the export.", valueName: "day")) var to: String?
        @Option(help: ArgumentHelp("A whole month as the period (instead of --from and --to).", valueName: "YYYY-MM")) var month: String?
        @Option(help: ArgumentHelp("Package directory to create (must not exist, or be empty).", valueName: "dir")) var out: String
        @Option(help: "KEKs older than this many days are overdue for rotation.") var rotationDays = 90
        @Option(help: "Users with no audit entry in this many days before the period's end are inactive.") var inactiveDays = 30
        @Option(help: ArgumentHelp("Working hours, UTC (reads outside are flagged).", valueName: "HH-HH")) var workHours = "07-19"
        @Option(help: "A read naming at least this many customers is a bulk read.") var bulkReadMin = 100
        @Option(help: "Days before the period from which each actor's own read baseline is taken.") var baselineDays = 28
        @Option(help: "Flag a day's reads above this multiple of the actor's and its role's medians.") var volumeFactor = 3.0
        @Option(help: "... and above this many customers read in the day.") var minDailyReads = 1_000
        @Option(help: "Flag this many denials by one actor ...") var denials = 5
        @Option(help: "... within this many minutes.") var denialWindow = 10

        func run() async throws {
            let period = try ReviewPeriod(from: from, to: to, month: month)
            try period.checkEnded()
            var settings = ReviewSettings()
            settings.rotationPeriodDays = rotationDays
            settings.inactiveDays = inactiveDays
            settings.bulkReadMinimum = bulkReadMin
            settings.baselineDays = baselineDays
            settings.volumeFactor = volumeFactor
            settings.minimumDailyReads = minDailyReads
            settings.denialThreshold = denials
            settings.denialWindowMinutes = denialWindow
            try settings.setWorkHours(workHours)
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(ExportReviewPackage(period: period, settings: settings, to: out), as: caller,
                                                   progressLabel: "review export")
            let summary = result.summary
            if output.json {
                struct Result: Encodable {
                    var out: String; var from: String; var to: String; var entries: Int; var anomalies: Int; var denied: Int; var chainIntact: Bool; var head: Int64
                    var files: [ReviewManifest.File]
                }
                return try printJSON(Result(out: result.directory, from: period.from.iso8601, to: period.to.iso8601, entries: result.entries, anomalies: summary.anomalies.findings.count,
                                            denied: summary.totals.denied, chainIntact: summary.auditChain.intact,
                                            head: result.manifest.head.seq, files: result.manifest.files))
            }
            Terminal.out("review package for \(period.from) to \(period.to) written to \(result.directory)")
            Terminal.out("  \(result.entries) audit entries, \(summary.totals.denied) denied, \(summary.anomalies.findings.count) anomalies; chain intact up to entry \(result.manifest.head.seq) (signed)")
            Terminal.out("  check it offline: coffer review verify \(result.directory) --public-key <the PEM from `coffer audit public-key`>")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a review package offline: signature, checkpoint, and every file (needs no vault).",
            discussion: "Exit 0 when the package is exactly as signed; exit 6 naming each changed, missing or added file otherwise."
        )
        @OptionGroup var output: OutputOptions
        @Argument(help: ArgumentHelp("The package directory.", valueName: "dir")) var directory: String
        @Option(help: ArgumentHelp("The vault's public key PEM (from `coffer audit public-key`).", valueName: "file")) var publicKey: String

        func run() throws {
            guard let pem = try? String(contentsOfFile: publicKey, encoding: .utf8) else {
                throw VaultError.invalidInput("cannot read the public key file \(publicKey)")
            }
            let result = ReviewPackage.verify(directory: directory, publicKeyPEM: pem)
            if output.json {
                try printJSON(VerifiedPackage(result))
            } else if result.isValid, let manifest = result.manifest {
                Terminal.out("review package verified: \(manifest.files.count) files and MANIFEST.json as signed; period \(manifest.periodFrom) to \(manifest.periodTo), \(manifest.entries) entries, chain head \(manifest.head.seq)")
            }
            if !result.isValid {
                if output.json {
                    throw ReportedFailure(code: "review_package_tampered",
                                          message: result.problems.map { "review package: \($0)" }.joined(separator: "; "), exitCode: 6)
                }
                for problem in result.problems { Terminal.error("review package: \(problem)") }
                throw ExitCode(6)
            }
        }
    }

    /// `review verify --json`: the verdict and what the manifest says, in the output contract
    /// (MANIFEST.json itself keeps its signed format, with times in milliseconds).
    struct VerifiedPackage: Encodable {
        struct Head: Encodable { var seq: Int64; var mac: String; var time: String }
        var valid: Bool
        var problems: [String]
        var vaultId: String?, periodFrom: String?, periodTo: String?, generatedAt: String?
        var entries: Int?
        var head: Head?
        var files: [ReviewManifest.File]

        init(_ result: ReviewPackageVerification) {
            valid = result.isValid
            problems = result.problems
            let manifest = result.manifest
            vaultId = manifest?.vaultID
            periodFrom = manifest?.periodFrom
            periodTo = manifest?.periodTo
            generatedAt = manifest.map { OutputContract.timestamp(milliseconds: $0.generatedAtMilliseconds) }
            entries = manifest?.entries
            head = manifest.map { Head(seq: $0.head.seq, mac: $0.head.mac, time: OutputContract.timestamp(milliseconds: $0.head.timeMilliseconds)) }
            files = manifest?.files ?? []
        }
    }

    struct Subject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every access to one customer's data: who, when, which fields, why (requires audit_read and reidentify; audited).",
            discussion: "The answer to a data-subject access request. Roles that list purposes pass --purpose (e.g. data_subject_request)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: ArgumentHelp("The customer's reference.", valueName: "customer-ref")) var reference: String

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let report = try await service.perform(SubjectAccess(reference: reference), as: caller)
            if output.json { return try printJSON(report) }
            Terminal.out("customer \(report.customerID): \(report.accesses.count) audit entries touched this customer (chain verified, \(report.entriesChecked) entries)")
            for e in report.accesses {
                var line = "\(e.seq)  \(e.time)  \(e.actor) (\(e.role))  \(e.action)  \(e.outcome)"
                if !e.purpose.isEmpty { line += "  purpose=\(e.purpose)" }
                if !e.fields.isEmpty { line += "  fields=\(e.fields.joined(separator: ","))" }
                if e.customerCount > 1 { line += "  (one of \(e.customerCount) customers)" }
                Terminal.out(line)
            }
            if let erasure = report.erasure { Terminal.out(erasure.sentence) }
        }
    }

    struct ProcessingRecordCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "processing-record",
            abstract: "The record of processing activities, generated from the schema and the policy in force (requires audit_read)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Also write it as a self-contained HTML page.", valueName: "file")) var html: String?

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let record = try await service.perform(DescribeProcessing(), as: caller)
            if let html {
                guard FileManager.default.createFile(atPath: html, contents: Data(record.html.utf8)) else {
                    throw VaultError.invalidInput("cannot write \(html)")
                }
            }
            if output.json { return try printJSON(record) }
            Terminal.out(record.markdown, terminator: "")
        }
    }
}
