import ArgumentParser
import Coffer
import Foundation

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage key-encryption key (KEK) versions.",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self]
    )

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show KEK versions: state, age, uses and customers covered.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let status = try opened.keyStatus(session: session)
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

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new active KEK version; the old one becomes decrypt-only.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let (opened, session) = try auth.session(vault)
            let version = try opened.rotateKEK(session: session)
            if output.json {
                struct Result: Encodable { var active: UInt32 }
                return try printJSON(Result(active: version))
            }
            Terminal.out("key version \(version) is now active; run `coffer keys rewrap` to move customers onto it")
        }
    }

    struct Rewrap: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-wrap every data key under the active KEK (batched, resumable).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Customers per transaction.") var batchSize = 1_000
        @Option(help: "Stop after this many batches (a later run carries on).") var maxBatches: Int?

        func run() throws {
            guard batchSize > 0 else { throw VaultError.invalidInput("--batch-size must be positive") }
            let bar = ProgressBar("rewrap")
            let (opened, session) = try auth.session(vault)
            let count = try opened.rewrapDataKeys(batchSize: batchSize, maximumBatches: maxBatches, session: session) { bar.update($0) }
            bar.finish()
            if output.json {
                struct Result: Encodable { var rewrapped: Int }
                return try printJSON(Result(rewrapped: count))
            }
            Terminal.out("re-wrapped \(count) data keys")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Destroy a KEK version that no customer depends on.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @Argument(help: "The version to retire.") var version: UInt32

        func run() throws {
            let (opened, session) = try auth.session(vault)
            try opened.retireKEK(version: version, session: session)
            Terminal.out("key version \(version) retired: its key material is destroyed")
        }
    }
}
