import ArgumentParser
import Coffer
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import customers, orders or outcomes from an RFC 4180 CSV file.",
        discussion: "Customers and outcomes upsert by customer_ref; re-importing orders does not duplicate them. Invalid rows are skipped and reported by line.",
        subcommands: [Customers.self, Orders.self, Outcomes.self]
    )

    struct Customers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import customers (columns from the vault's schema).")
        @OptionGroup var options: ImportOptions
        func run() async throws { try await options.run(.customers) }
    }

    struct Orders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import orders: customer_ref, order_date, amount, product_category.")
        @OptionGroup var options: ImportOptions
        func run() async throws { try await options.run(.orders) }
    }

    struct Outcomes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import outcomes: customer_ref, outcome (won/lost), closed_at.")
        @OptionGroup var options: ImportOptions
        func run() async throws { try await options.run(.outcomes) }
    }
}

struct ImportOptions: ParsableArguments {
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The CSV file.", valueName: "file.csv"))
    var file: String

    @Option(help: "Rejected rows to list (all are counted).")
    var showRejected = 20

    @Option(help: ArgumentHelp("Write the rejected rows, with a reason column, to this CSV file (mode 0600) to fix and import again.", valueName: "file.csv"))
    var rejects: String?

    func validate() throws {
        guard showRejected >= 0 else { throw ValidationError("--show-rejected must be 0 or more") }
    }

    func run(_ kind: ImportKind) async throws {
        let (service, caller) = try await auth.caller(vault)
        let report = try await service.perform(ImportFile(kind, path: file, rejectsPath: rejects), as: caller, progressLabel: "import \(kind.rawValue)")
        if output.json {
            try printJSON(report)
        } else {
            Terminal.out("\(file): \(report.rows) rows: \(report.inserted) inserted, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected) rejected")
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
    }
}
