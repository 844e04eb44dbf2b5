import ArgumentParser
import Coffer
import Foundation

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage staff users (requires manage_users).",
        subcommands: [Add.self, List.self, SetRole.self, Revoke.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user and print its one-time token.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "User name (lowercase letters, digits, '.', '_', '-').") var name: String
        @Option(help: "Role from the policy in force.") var role: String

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let token = try opened.addUser(name: name, role: role, by: session)
            if output.json {
                struct Result: Encodable { var name: String; var role: String; var token: String }
                return try printJSON(Result(name: name, role: role, token: token))
            }
            Terminal.out("user \(name) (\(role)) token, shown only this once:")
            Terminal.out(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let users = try opened.users(by: session)
            if output.json { return try printJSON(users) }
            for user in users {
                Terminal.out("\(user.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(user.role.padding(toLength: 12, withPad: " ", startingAt: 0)) \(user.revoked ? "revoked" : "active")")
            }
        }
    }

    struct SetRole: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "New role.") var role: String

        func run() throws {
            let (opened, session) = try auth.session(vault)
            try opened.setRole(of: name, to: role, by: session)
            Terminal.out("user \(name) now has role \(role)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a user; its token stops working at once.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @Argument(help: "User name.") var name: String

        func run() throws {
            let (opened, session) = try auth.session(vault)
            try opened.revokeUser(name, by: session)
            Terminal.out("user \(name) revoked")
        }
    }
}
