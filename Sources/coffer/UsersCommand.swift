import ArgumentParser
import Coffer
import Foundation

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage staff users (requires manage_users).",
        subcommands: [Add.self, List.self, SetRole.self, Revoke.self, Reinstate.self, ResetToken.self, RotateToken.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user and print its one-time token.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "User name (lowercase letters, digits, '.', '_', '-').") var name: String
        @Option(help: "Role from the policy in force.") var role: String
        @Option(help: ArgumentHelp("Refuse the user's tokens after this many days (e.g. 90d).", valueName: "days")) var expiresIn: String?

        func validate() throws {
            if let expiresIn, Self.days(expiresIn) == nil { throw ValidationError("--expires-in takes a number of days, 1 to 3650, such as 90d") }
        }

        static func days(_ text: String) -> Int? {
            let digits = text.hasSuffix("d") ? String(text.dropLast()) : text
            guard let days = Int(digits), (1...3650).contains(days) else { return nil }
            return days
        }

        func run() async throws {
            let connection = try await auth.connect(vault)
            let request = AddUser(name: name, role: role, expiresInDays: expiresIn.flatMap(Self.days))
            try printToken(try await connection.perform(request), json: output.json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let connection = try await auth.connect(vault)
            let users = try await connection.perform(ListUsers())
            if output.json { return try printJSON(users) }
            for user in users {
                Terminal.out("\(user.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(user.role.padding(toLength: 12, withPad: " ", startingAt: 0)) \(user.revoked ? "revoked" : "active")")
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "New role.") var role: String

        func run() async throws {
            let connection = try await auth.connect(vault)
            let change = try await connection.perform(SetUserRole(name: name, role: role))
            if output.json { return try printJSON(change) }
            Terminal.out("user \(name) now has role \(role)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a user; its token stops working at once.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            let connection = try await auth.connect(vault)
            let change = try await connection.perform(RevokeUser(name: name))
            if output.json { return try printJSON(change) }
            Terminal.out("user \(name) revoked")
        }
    }

    struct Reinstate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a revoked user active again and print its new one-time token (the old one stays dead).")
        @OptionGroup var options: NewTokenOptions
        func run() async throws { try await options.issue(ReinstateUser(name: options.name)) }
    }

    struct ResetToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-token",
                                                        abstract: "Give an active user a new one-time token; the old one stops working at once.")
        @OptionGroup var options: NewTokenOptions
        func run() async throws { try await options.issue(ResetUserToken(name: options.name)) }
    }

    struct RotateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-token",
                                                        abstract: "Replace your own token and print the new one, once; the token you used stops working at once.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try printToken(try await auth.connect(vault).perform(RotateOwnToken()), json: output.json)
        }
    }
}


/// The arguments of the commands that give a user a new token.
struct NewTokenOptions: ParsableArguments {
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "User name.") var name: String

    func issue<Request: RemoteRequest>(_ request: Request) async throws where Request.Response == UserToken {
        try printToken(try await auth.connect(vault).perform(request), json: output.json)
    }
}

/// A user's new token, shown once.
private func printToken(_ user: UserToken, json: Bool) throws {
    if json { return try printJSON(user) }
    Terminal.out("user \(user.name) (\(user.role)) token, shown only this once:")
    Terminal.out(user.token)
}

struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami",
                                                    abstract: "Show who your token is: your user, role, actions, purposes and what you see of each field.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var auth: AuthOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let connection = try await auth.connect(vault)
        let identity = try await connection.perform(WhoAmI())
        if output.json { return try printJSON(identity) }
        Terminal.out("user \(identity.user)")
        PolicyCommand.print(identity.access)
    }
}
