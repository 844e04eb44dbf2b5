import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Bulk exports.", subcommands: [View.self])

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write exactly what a role sees of every customer to a CSV file (requires export; another role's view requires manage_users)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @Option(help: "The role whose view to export (default: your own).") var role: String?
        @Option(help: ArgumentHelp("Output CSV file (created with mode 0600).", valueName: "file")) var out: String

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let bar = ProgressBar("export")
            let count = try opened.exportView(role: role, to: out, session: session, purpose: auth.purpose) { bar.update($0) }
            bar.finish()
            Terminal.out("wrote \(count) customers (view of role \(role ?? session.role)) to \(out)")
        }
    }
}

struct ReidentifyCommand: ParsableCommand {
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

    func run() throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw VaultError.invalidInput("cannot read \(file)")
        }
        let tokens = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let first = line.split(separator: ",", maxSplits: 1).first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
            return first.flatMap { $0.hasPrefix("ps_") ? $0 : nil }
        }
        guard !tokens.isEmpty else { throw VaultError.invalidInput("\(file): no pseudonyms (ps_...) found") }
        let (opened, session) = try auth.session(vault)
        let mapping = try opened.reidentify(tokens, domain: domain, session: session, purpose: auth.purpose)
        if output.json {
            return try printJSON(tokens.map { ["pseudonym": $0, "customer_ref": mapping[$0] ?? ""] })
        }
        Terminal.out("pseudonym,customer_ref")
        for token in tokens { Terminal.out("\(token),\(mapping[token].map(CSVWriter.escape) ?? "")") }
    }
}

struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "privacy", abstract: "Privacy checks.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "k-anonymity of a role's view: the smallest equivalence class over the quasi-identifiers as that role sees them."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The role whose view to check (default: your own).") var role: String?
        @Option(name: .customLong("k"), help: "The k to check against.") var k = 5

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let report = try opened.privacyCheck(role: role, k: k, session: session, purpose: auth.purpose)
            if output.json { return try printJSON(report) }
            Terminal.out("role \(report.role), quasi-identifiers: \(report.quasiIdentifiers.joined(separator: ", "))")
            Terminal.out("\(report.customers) customers in \(report.equivalenceClasses) classes; smallest class \(report.smallestClass)")
            Terminal.out("\(report.customersInSmallClasses) customers in \(report.classesSmallerThanK) classes smaller than k=\(report.k)")
        }
    }
}
