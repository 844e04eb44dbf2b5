import ArgumentParser
import Coffer

@main
struct CofferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "An encrypted customer vault.",
        discussion: """
            Customer data is stored only as AES-256-GCM ciphertext. The vault directory comes from \
            --vault or COFFER_VAULT; its root key from --key-file / COFFER_KEY_FILE or, for \
            passphrase vaults, COFFER_PASSPHRASE.
            """,
        subcommands: [
            InitCommand.self, DemoDataCommand.self, ImportCommand.self,
            GetCommand.self, FindCommand.self, PutCommand.self, EraseCommand.self,
            KeysCommand.self,
        ]
    )
}
