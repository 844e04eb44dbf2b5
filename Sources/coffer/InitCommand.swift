import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault and its root key.",
        discussion: "By default a new random root key is written to the key file with mode 0600. Keep it away from the vault's backups: whoever holds both can read everything."
    )

    @OptionGroup var vault: VaultOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Customer schema to store in the vault.", valueName: "path"))
    var schema = "policies/schema.yaml"

    @Option(help: ArgumentHelp("Role policy to store in the vault.", valueName: "path"))
    var policy = "policies/roles.yaml"

    @Option(help: ArgumentHelp("Name of the first user (role admin).", valueName: "name"))
    var admin = "admin"

    @Flag(help: "Derive the root key from COFFER_PASSPHRASE with scrypt instead of writing a key file.")
    var passphrase = false

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: schema, encoding: .utf8)
        } catch {
            throw VaultError.invalidInput("cannot read schema file \(schema); pass --schema with the path to schema.yaml")
        }
        let loaded: Schema
        do throws(PolicyFileError) { loaded = try Schema.load(yaml: text, file: schema) } catch { throw VaultError.schema(error) }
        let policyText: String
        do {
            policyText = try String(contentsOfFile: policy, encoding: .utf8)
        } catch {
            throw VaultError.invalidInput("cannot read policy file \(policy); pass --policy with the path to roles.yaml")
        }
        let protection: RootProtection
        if passphrase {
            guard let secret = VaultOptions.takePassphrase() else { throw VaultError.passphraseMissing }
            protection = .passphrase(secret)
        } else {
            protection = .keyFile(path: vault.keyFilePath)
        }
        let (created, token) = try await VaultService.create(at: vault.vaultPath, schema: loaded, policyYAML: policyText, policyFile: policy,
                                                             protection: protection, adminName: admin)
        struct Summary: Encodable { var vault: String; var keyFile: String?; var fields: Int; var admin: String; var token: String }
        let summary = Summary(vault: created.vault.directory, keyFile: passphrase ? nil : vault.keyFilePath, fields: loaded.fields.count,
                              admin: admin, token: token)
        if output.json {
            try printJSON(summary)
        } else {
            Terminal.out("created vault \(summary.vault) (\(summary.fields) fields)")
            if let keyFile = summary.keyFile {
                Terminal.out("root key written to \(keyFile) (mode 0600): back it up apart from the vault")
            }
            Terminal.out("user \(admin) (admin) token, shown only this once:")
            Terminal.out(token)
        }
    }
}
