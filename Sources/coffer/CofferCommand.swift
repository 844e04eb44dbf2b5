import ArgumentParser
import Coffer
import Logging

@main
struct CofferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "An encrypted customer vault.",
        discussion: """
            Customer data is stored only as AES-256-GCM ciphertext. The vault directory comes from \
            --vault or COFFER_VAULT; its root key from --key-file / COFFER_KEY_FILE or, for \
            passphrase vaults, COFFER_PASSPHRASE.
            """,
        version: CofferVersion.string,
        subcommands: [
            InitCommand.self, DemoDataCommand.self, ImportCommand.self,
            GetCommand.self, FindCommand.self, PutCommand.self, EraseCommand.self, ReindexCommand.self,
            KeysCommand.self, UsersCommand.self, WhoAmICommand.self, PolicyCommand.self, AuditCommand.self,
            ExportCommand.self, ReidentifyCommand.self, PrivacyCommand.self,
            ScoreCommand.self, QCLCommand.self, ICPCommand.self, CalibrateCommand.self, ReviewCommand.self,
            ServeCommand.self,
        ]
    )

    /// Log lines (counts, ids and versions only — never values) go to stderr at the level in
    /// COFFER_LOG_LEVEL (default: warning).
    static func bootstrapLogging() {
        let level = environment("COFFER_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Parses, runs (on the vault service: see `VaultService`), and turns every error a command throws into one line on stderr and its
    /// exit code (`CommandFailure`); parse errors and `--help` are the argument parser's own.
    static func main() async {
        bootstrapLogging()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            CommandFailure.jsonMode = OutputOptions.requested(in: CommandLine.arguments.dropFirst())
            CommandFailure.reportParseError(error, command: Self.self)
        }
        CommandFailure.jsonMode = OutputOptions.requested(by: command)
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CommandFailure.report(error))
        }
    }
}
