import ArgumentParser
import Coffer
import Foundation

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one customer by customer_ref.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The customer's reference in the source CRM.", valueName: "customer-ref"))
    var reference: String

    func run() async throws {
        let (service, caller) = try await auth.caller(vault)
        let view = try await service.perform(GetCustomer(reference: reference), as: caller)
        try CustomerPrinter.print([view], json: output.json)
    }
}

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find customers by exact email or phone (normalized: case, spaces and punctuation do not matter)."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Email address to look up.") var email: String?
    @Option(help: "Phone number to look up.") var phone: String?

    func validate() throws {
        guard (email == nil) != (phone == nil) else { throw ValidationError("give exactly one of --email or --phone") }
    }

    func run() async throws {
        let lookup: Vault.Lookup = email.map { .email($0) } ?? .phone(phone!)
        let (service, caller) = try await auth.caller(vault)
        let views = try await service.perform(FindCustomers(lookup), as: caller)
        if views.isEmpty, !output.json { throw VaultError.customerNotFound }
        try CustomerPrinter.print(views, json: output.json)
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
        abstract: "Erase a customer for good (crypto-shredding): its data key, fields, orders, outcome and index entries."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The customer's reference.", valueName: "customer-ref"))
    var reference: String

    func run() async throws {
        let (service, caller) = try await auth.caller(vault)
        let result = try await service.perform(EraseCustomer(reference: reference), as: caller)
        if output.json {
            try printJSON(result)
        } else {
            Terminal.out("erased customer \(result.erased): its data key is destroyed; nothing about it can be decrypted or found")
        }
    }
}

enum CustomerPrinter {
    static func print(_ views: [CustomerView], json: Bool) throws {
        if json {
            try views.count == 1 ? printJSON(JSONView(views[0])) : printJSON(views.map(JSONView.init))
            return
        }
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

    /// Fields as a JSON object in schema order (keys sorted by the encoder).
    struct JSONView: Encodable {
        var id: Int64?
        var fields: [String: String]
        var orders: [OrderView]
        var outcome: OutcomeView?
        init(_ view: CustomerView) {
            id = view.id
            fields = Dictionary(uniqueKeysWithValues: view.fields.map { ($0.name, $0.value) })
            orders = view.orders
            outcome = view.outcome
        }
    }
}
