import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, apply, show and explain role policies.",
        subcommands: [Check.self, Apply.self, Show.self, Explain.self]
    )

    /// A role's actions, purposes and field views (with values, when a customer was named).
    static func print(_ explanation: PolicyExplanation) {
        Terminal.out("role \(explanation.role): actions \(explanation.actions.joined(separator: ", "))"
                     + (explanation.purposes.map { "; purposes \($0.joined(separator: ", "))" } ?? ""))
        for field in explanation.fields {
            let shown = field.value.map { "  -> \(Terminal.printable($0))" } ?? ""
            Terminal.out("  \(field.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(field.view)\(shown)")
        }
        for item in explanation.history {
            Terminal.out("  \(item.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(item.access)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file against a schema: --schema, else the configured vault's, else the built-in one (no key needed)."
        )
        @OptionGroup var output: OutputOptions
        @Argument(help: "The policy file.") var file: String
        @Option(help: ArgumentHelp("The schema to check against (default: the schema of the vault at --vault / COFFER_VAULT when there is one, else the built-in schema).", valueName: "path"))
        var schema: String?
        @Option(name: .long, help: ArgumentHelp("Vault directory whose schema to use (default: $COFFER_VAULT or ./coffer-vault).", valueName: "dir"))
        var vault: String?

        func run() async throws {
            let (loadedSchema, source) = try await checkSchema()
            let text = try readTextFile(file, what: "policy")
            let policy: Policy
            do throws(PolicyFileError) { policy = try Policy.load(yaml: text, file: file, schema: loadedSchema) } catch {
                throw VaultError.schema(error)
            }
            if output.json {
                struct Summary: Encodable { var file: String; var valid: Bool; var roles: [String]; var digest: String; var checkedAgainst: String }
                return try printJSON(Summary(file: file, valid: true, roles: policy.roleNames, digest: policy.digest, checkedAgainst: source))
            }
            Terminal.out("\(file): \(policy.roleNames.count) roles (\(policy.roleNames.joined(separator: ", "))), digest \(policy.digest); checked against \(source)")
        }

        /// The schema named, else the configured vault's (when one exists there), else the built-in one.
        func checkSchema() async throws(VaultError) -> (Schema, String) {
            if let schema {
                return (try loadSchema(yaml: try readTextFile(schema, what: "schema"), file: schema), "schema \(schema)")
            }
            let directory = VaultOptions.vaultPath(vault)
            do {
                return (try await VaultService.storedSchema(at: directory, execution: .callingThread), "the schema of vault \(directory)")
            } catch .vaultNotFound {
                // A vault named explicitly must exist; only the implicit default falls back to the built-in schema.
                if vault != nil || environment("COFFER_VAULT") != nil { throw VaultError.vaultNotFound(path: directory) }
            }
            return (try loadSchema(yaml: BuiltInPolicies.schemaYAML, file: "built-in schema.yaml"), "the built-in schema")
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a policy file the policy in force (requires manage_users; audited with its digest).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The policy file.") var file: String

        func run() async throws {
            let request = ApplyPolicy(yaml: try readTextFile(file, what: "policy"), file: file)
            let (service, caller) = try await auth.caller(vault)
            let applied = try await service.perform(request, as: caller)
            if output.json {
                struct Summary: Encodable { var file: String; var digest: String }
                return try printJSON(Summary(file: file, digest: applied.digest))
            }
            Terminal.out("policy in force: \(applied.digest)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the policy in force: its digest, revision and when it was applied, and the text (any user).",
            discussion: "Users who may manage users see the whole policy; everyone else sees their own role's section and field views."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let shown = try await auth.connect(vault).perform(ShowPolicy())
            if output.json { return try printJSON(shown) }
            let applied = shown.appliedAt.map { "applied \(ISO8601DateFormatter().string(from: $0))" } ?? "applied before the policy history was kept"
            Terminal.out("policy in force: digest \(shown.digest)" + (shown.revision.map { ", revision \($0)" } ?? "") + ", \(applied)")
            switch shown.scope {
            case .whole:
                Terminal.out("")
                Terminal.out(Terminal.printable(shown.yaml ?? ""), terminator: (shown.yaml ?? "").hasSuffix("\n") ? "" : "\n")
            case .ownRole:
                Terminal.out("your role's part of it (the rest is shown to users who manage users):")
                if let yaml = shown.yaml {
                    Terminal.out("")
                    Terminal.out(Terminal.printable(yaml), terminator: "")
                    Terminal.out("")
                }
                for role in shown.roles { PolicyCommand.print(role) }
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a role would see, field by field (with --customer, that customer's values through the role's views; requires manage_users)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The role to explain.") var role: String
        @Option(help: "A customer_ref to render through the role's views.") var customer: String?
        @Option(help: ArgumentHelp("A policy file to simulate instead of the policy in force.", valueName: "path")) var policyFile: String?

        func run() async throws {
            let candidate = try policyFile.map { path throws(VaultError) in (yaml: try readTextFile(path, what: "policy"), file: path) }
            let (service, caller) = try await auth.caller(vault)
            let explanation = try await service.perform(ExplainRole(role: role, customerReference: customer, candidate: candidate), as: caller)
            if output.json { return try printJSON(explanation) }
            PolicyCommand.print(explanation)
        }
    }
}
