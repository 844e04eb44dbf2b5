import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Bulk exports.", subcommands: [View.self])

    struct View: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write exactly what a role sees of every customer to a CSV file (requires export; another role's view requires manage_users)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The role whose view to export (default: your own).") var role: String?
        @Option(help: ArgumentHelp("Output CSV file (created with mode 0600).", valueName: "file")) var out: String

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(ExportView(role: role, to: out), as: caller, progressLabel: "export")
            if output.json {
                struct Summary: Encodable { var customers: Int; var role: String; var out: String }
                return try printJSON(Summary(customers: result.customers, role: result.role, out: out))
            }
            Terminal.out("wrote \(result.customers) customers (view of role \(result.role)) to \(out)")
        }
    }
}

struct ReidentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reidentify",
        abstract: "Map customer_ref pseudonyms of a domain back to customer references (requires reidentify; audited)."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The pseudonym domain (e.g. analytics).") var domain: String
    @Argument(help: ArgumentHelp("File with one pseudonym per line, or a CSV whose first column holds them.", valueName: "file"))
    var file: String

    func run() async throws {
        let tokens = try Reidentify.pseudonyms(inFile: file)
        let (service, caller) = try await auth.caller(vault)
        let mapping = try await service.perform(Reidentify(pseudonyms: tokens, domain: domain), as: caller)
        if output.json {
            // customer_ref is null for a pseudonym that matches no customer (erased, or another domain).
            struct Row: Encodable { var pseudonym: String; var customerRef: String? }
            return try printJSON(tokens.map { Row(pseudonym: $0, customerRef: mapping[$0]) })
        }
        Terminal.out("pseudonym,customer_ref")
        for token in tokens { Terminal.out("\(token),\(mapping[token].map(CSVWriter.escape) ?? "")") }
    }
}

struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "privacy", abstract: "Privacy checks.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "k-anonymity of a role's view: the smallest equivalence class over the quasi-identifiers as that role sees them."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The role whose view to check (default: your own).") var role: String?
        @Option(name: .customLong("k"), help: "The k to check against.") var k = 5

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let report = try await service.perform(CheckPrivacy(role: role, k: k), as: caller)
            if output.json { return try printJSON(report) }
            Terminal.out("role \(report.role), quasi-identifiers: \(report.quasiIdentifiers.joined(separator: ", "))")
            Terminal.out("\(report.customers) customers in \(report.equivalenceClasses) classes; smallest class \(report.smallestClass)")
            Terminal.out("\(report.customersInSmallClasses) customers in \(report.classesSmallerThanK) classes smaller than k=\(report.k)")
        }
    }
}
