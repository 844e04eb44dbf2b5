import ArgumentParser
import Coffer
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage key-encryption key (KEK) versions.",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show KEK versions: state, age, uses and customers covered.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let connection = try await auth.connect(vault)
            let status = try await connection.perform(KeyStatus())
            if output.json { return try printJSON(status) }
            Terminal.out("version  state         age      uses       customers")
            for key in status {
                let age = Int(Date().timeIntervalSince(key.createdAt) / 86_400)
                Terminal.out([
                    String(key.version).padding(toLength: 8, withPad: " ", startingAt: 0),
                    key.state.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0),
                    "\(age)d".padding(toLength: 8, withPad: " ", startingAt: 0),
                    String(key.uses).padding(toLength: 10, withPad: " ", startingAt: 0),
                    String(key.customers),
                ].joined(separator: " "))
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new active KEK version; the old one becomes decrypt-only.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let connection = try await auth.connect(vault)
            let rotated = try await connection.perform(RotateKEK())
            if output.json { return try printJSON(rotated) }
            Terminal.out("key version \(rotated.active) is now active; run `coffer keys rewrap` to move customers onto it")
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-wrap every data key under the active KEK (batched, resumable).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Customers per transaction.") var batchSize = 1_000
        @Option(help: "Stop after this many batches (a later run carries on).") var maxBatches: Int?

        func run() async throws {
            guard batchSize > 0 else { throw VaultError.invalidInput("--batch-size must be positive") }
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(RewrapDataKeys(batchSize: batchSize, maximumBatches: maxBatches), as: caller, progressLabel: "rewrap")
            if output.json { return try printJSON(result) }
            Terminal.out("re-wrapped \(result.rewrapped) data keys")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Destroy a KEK version that no customer depends on.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The version to retire.") var version: UInt32

        func run() async throws {
            let connection = try await auth.connect(vault)
            let retired = try await connection.perform(RetireKEK(version: version))
            if output.json { return try printJSON(retired) }
            Terminal.out("key version \(version) retired: its key material is destroyed")
        }
    }
}
