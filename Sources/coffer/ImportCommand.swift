import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import customers, orders or outcomes from a CSV file.",
        discussion: """
            Customers and outcomes upsert by customer_ref; re-importing orders does not duplicate them. Invalid rows are \
            skipped and reported by line, with every invalid field; the exit code is then 2.

            The delimiter (, ; tab |) and encoding (UTF-8, UTF-16, windows-1252, latin-1) are detected unless given; a \
            note says what was detected. A CRM export imports with --map (presets in policies/mappings/: hubspot.yaml, \
            salesforce.yaml, odoo.yaml). --dry-run shows what would happen and writes nothing.
            """,
        subcommands: [Customers.self, Orders.self, Outcomes.self]
    )

    struct Customers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import customers (columns from the vault's schema).")
        @OptionGroup var options: ImportArguments
        func run() async throws { try await options.run(.customers) }
    }

    struct Orders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import orders: customer_ref, order_date, amount, product_category.")
        @OptionGroup var options: ImportArguments
        func run() async throws { try await options.run(.orders) }
    }

    struct Outcomes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import outcomes: customer_ref, outcome (won/lost), closed_at.")
        @OptionGroup var options: ImportArguments
        func run() async throws { try await options.run(.outcomes) }
    }
}

struct ImportArguments: ParsableArguments {
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The CSV file.", valueName: "file.csv"))
    var file: String

    @Option(help: "Rejected rows to list (all are counted).")
    var showRejected = 20

    @Option(help: ArgumentHelp("Write the rejected rows, with a reason column, to this CSV file (mode 0600, the source's encoding and delimiter) to fix and import again.", valueName: "file.csv"))
    var rejects: String?

    @Option(help: ArgumentHelp("The field delimiter: , ; \\t or | (detected from the header line when not given).", valueName: "char"))
    var delimiter: String?

    @Option(help: ArgumentHelp("The file's encoding: \(TextEncoding.acceptedNames) (detected when not given).", valueName: "name"))
    var encoding: String?

    @Option(name: .customLong("map"), help: ArgumentHelp("A mapping from the file's columns to fields, with transforms (see policies/mappings/), or a built-in one: hubspot, salesforce, odoo.", valueName: "mapping.yaml"))
    var mapping: String?

    @Flag(help: "Validate the whole file and show what would be inserted, updated and rejected; write nothing (audited as a dry run).")
    var dryRun = false

    /// `--map`'s file, or a built-in preset by its name (`hubspot`, `salesforce`, `odoo`) when no
    /// such file exists, so a user with only the binary can import a CRM export.
    static func mappingSource(_ argument: String) throws(VaultError) -> ImportOptions.MappingSource {
        let presetName = argument.hasSuffix(".yaml") ? argument : argument + ".yaml"
        if !FileManager.default.fileExists(atPath: argument), !argument.contains("/"), let preset = BuiltInPolicies.mappings[presetName] {
            return ImportOptions.MappingSource(yaml: preset, file: "built-in \(presetName)")
        }
        let presets = BuiltInPolicies.mappings.keys.sorted().map { $0.replacingOccurrences(of: ".yaml", with: "") }.joined(separator: ", ")
        return ImportOptions.MappingSource(
            yaml: try readTextFile(argument, what: "mapping", remedy: "check the --map path, or name a built-in mapping (\(presets))"), file: argument)
    }

    func validate() throws {
        guard showRejected >= 0 else { throw ValidationError("--show-rejected must be 0 or more") }
        if let delimiter, CSVDelimiter(argument: delimiter) == nil {
            throw ValidationError("--delimiter must be one of \(CSVDelimiter.acceptedNames), not '\(delimiter)'")
        }
        if let encoding, TextEncoding.named(encoding) == nil {
            throw ValidationError("--encoding must be one of \(TextEncoding.acceptedNames), not '\(encoding)'")
        }
        if dryRun, rejects != nil {
            throw ValidationError("--dry-run writes nothing, so it takes no --rejects file")
        }
    }

    func run(_ kind: ImportKind) async throws {
        let (service, caller) = try await auth.caller(vault)
        let named = encoding.flatMap(TextEncoding.named)
        var options = ImportOptions(delimiter: delimiter.flatMap(CSVDelimiter.init(argument:)), encoding: named?.encoding,
                                    utf16ByteOrderFromFile: named?.byteOrderFromFile ?? false, rejectsPath: rejects, dryRun: dryRun)
        if let mapping { options.mapping = try Self.mappingSource(mapping) }
        let report = try await service.perform(ImportFile(kind, path: file, options: options), as: caller, progressLabel: "import \(kind.rawValue)")
        if output.json {
            try printJSON(report)
        } else {
            for note in report.notes { Terminal.error("note: \(file): \(note)") }
            if report.dryRun {
                Terminal.out("\(file): dry run, nothing written: \(report.rows) rows: \(report.inserted) would be inserted, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected) rejected")
                for reason in report.rejectionReasons {
                    Terminal.out("  \(reason.rows) rejected: \(reason.reason)")
                }
            } else {
                Terminal.out("\(file): \(report.rows) rows: \(report.inserted) inserted, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected) rejected")
            }
            for rejection in report.rejections.prefix(showRejected) {
                Terminal.out("  \(file):\(rejection.line): \(rejection.reason)")
            }
            if report.rejected > min(showRejected, report.rejections.count) {
                Terminal.out("  ... \(report.rejected - min(showRejected, report.rejections.count)) more rejected rows (use --json or --show-rejected)")
            }
            if let written = report.rejectsFile {
                Terminal.out("rejected rows written to \(written): fix them and import that file again (its \(ImportReport.rejectReasonColumn) column is ignored)")
            }
        }
        // Rows were left out: a script must notice, whatever the output mode.
        if report.rejected > 0 { throw ExitCode(2) }
    }
}
