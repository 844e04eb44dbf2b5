import ArgumentParser
import Coffer
import CofferReview
import Foundation

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one customer by customer_ref.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The customer's reference in the source CRM.", valueName: "customer-ref"))
    var reference: String

    func run() async throws {
        let connection = try await auth.connect(vault)
        let view = try await connection.perform(GetCustomer(reference: reference))
        if output.json { return try printJSON(view) }
        CustomerPrinter.print([view])
    }
}

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find customers by exact email or phone (emails case-folded; phone numbers compared in E.164, so national and international forms match).",
        discussion: "A phone number without + or 00 is read in --region, else in the schema's phone_region (US in the built-in schema). No match exits 4 and names the normalized form looked for."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Email address to look up.") var email: String?
    @Option(help: "Phone number to look up: international (+44 121 496 0613, 0044 …) or national, read in --region.") var phone: String?
    @Option(help: ArgumentHelp("Region a national phone number is read in (ISO 3166-1 alpha-2, e.g. GB; default: the schema's phone_region).", valueName: "code"))
    var region: String?

    func validate() throws {
        guard (email == nil) != (phone == nil) else { throw ValidationError("give exactly one of --email or --phone") }
        if region != nil, phone == nil { throw ValidationError("--region applies to --phone only") }
    }

    func run() async throws {
        let lookup: Vault.Lookup = email.map { .email($0) } ?? .phone(phone!)
        let connection = try await auth.connect(vault)
        let views = try await connection.perform(FindCustomers(lookup, region: region))
        // Always an array, whatever the number of matches (none is `noMatch`: exit 4 in both modes).
        if output.json { return try printJSON(views) }
        CustomerPrinter.print(views)
    }
}

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Create or update one customer from a JSON object on standard input.",
        discussion: #"Example: echo '{"customer_ref":"CUS-1","full_name":"Ada Lovelace","email":"ada@example.com"}' | coffer put. A null value clears a field; fields not named are left as they are."#
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let request = try PutCustomer(json: FileHandle.standardInput.readDataToEndOfFile())
        let (service, caller) = try await auth.caller(vault)
        let result = try await service.perform(request, as: caller)
        if output.json {
            try printJSON(result)
        } else {
            Terminal.out(result.created ? "created customer \(result.id)" : "updated customer \(result.id)")
        }
    }
}

struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a customer for good (crypto-shredding): its data key, fields, orders, outcome and index entries.",
        discussion: """
            Needs a purpose (--purpose or COFFER_PURPOSE) and a confirmation: asked on a terminal,             --yes otherwise. --report FILE first writes the customer's access report (as `review subject             --json` prints it; mode 0600); nothing is erased if it cannot be written. An erasure record             (a keyed digest of the reference, no PII) keeps when, by whom and why, so `audit log --customer`             and `review subject` still answer for the customer.
            """
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .long, help: "Do not ask for confirmation (required when standard input is not a terminal).")
    var yes = false
    @Option(help: ArgumentHelp("First write the customer's access report (JSON, mode 0600) to this file.", valueName: "file"))
    var report: String?
    @Argument(help: ArgumentHelp("The customer's reference.", valueName: "customer-ref"))
    var reference: String

    func run() async throws {
        // Refused before anything is opened: a script must say --yes, a person is asked below.
        let interactive = isatty(STDIN_FILENO) == 1
        guard yes || interactive else { throw VaultError.confirmationRequired }
        let (service, caller) = try await auth.caller(vault)
        guard caller.purpose != nil else { throw VaultError.purposeRequired([]) }
        if !yes {
            Terminal.note("Erase customer \(Terminal.printable(reference)) for good? Its data cannot be recovered. Type yes to confirm:")
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                throw ReportedFailure(code: "not_confirmed", message: "nothing was erased: the confirmation was not given", exitCode: 1)
            }
        }
        if let report {
            let written = try await service.perform(SubjectAccess(reference: reference, writingTo: report), as: caller)
            if !output.json { Terminal.note("access report of customer \(written.customerID) written to \(report)") }
        }
        let result = try await service.perform(EraseCustomer(reference: reference), as: caller)
        if output.json {
            /// The erasure and, with --report, the access report written before it.
            struct Summary: Encodable { var erased: Int64; var erasure: ErasureRecord; var report: String? }
            try printJSON(Summary(erased: result.erased, erasure: result.erasure, report: report))
        } else {
            Terminal.out("erased customer \(result.erased): its data key is destroyed; nothing about it can be decrypted or found"
                         + " (erasure recorded, audit entry \(result.erasure.auditEntry))")
        }
    }
}

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Rewrite stored phone numbers to E.164 and recompute their blind index (requires manage_keys; audited).",
        discussion: """
            For vaults created before phone numbers were normalized: until it has run, phone lookups are             refused. One transaction: it completes or changes nothing, and may be run again. National             numbers are read in the row's region (region_from), else --region, else the schema's.
            """
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Region national numbers are read in where the row and schema give none (ISO 3166-1 alpha-2).", valueName: "code"))
    var region: String?

    func run() async throws {
        let (service, caller) = try await auth.caller(vault)
        let result = try await service.perform(ReindexPhones(region: region), as: caller, progressLabel: "reindex")
        if output.json { return try printJSON(result) }
        Terminal.out("phone index recomputed over E.164 for \(result.customers) customers; \(result.rewritten) numbers rewritten")
        if !result.notNormalized.isEmpty {
            Terminal.note("\(result.notNormalized.count) customers have a phone number that could not be normalized (no region, or invalid) and cannot be found by phone until corrected: customers \(result.notNormalized.map(String.init).joined(separator: ", "))")
        }
    }
}

enum CustomerPrinter {
    /// Customers as text, field by field (JSON is `CustomerView`'s own encoding).
    static func print(_ views: [CustomerView]) {
        for (n, view) in views.enumerated() {
            if n > 0 { Terminal.out("") }
            Terminal.out(view.id.map { "customer \($0)" } ?? "customer")
            let width = view.fields.map(\.name.count).max() ?? 0
            for field in view.fields {
                let name = field.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let value = Terminal.printable(field.value).replacingOccurrences(of: "\n", with: "\n  " + String(repeating: " ", count: width + 2))
                Terminal.out("  \(name)  \(value)")
            }
            if let outcome = view.outcome { Terminal.out("  outcome: \(outcome.outcome) on \(outcome.closedAt)") }
            if !view.orders.isEmpty {
                Terminal.out("  orders (\(view.orders.count)):")
                for order in view.orders { Terminal.out("    \(order.date)  \(order.amount)  \(Terminal.printable(order.category))") }
            }
        }
    }
}
