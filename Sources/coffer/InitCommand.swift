import ArgumentParser
import Coffer
import CofferSupport
import Foundation
import Qualification

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a vault and its root key.",
        discussion: "By default a new random root key is written to the key file with mode 0600. Keep it away from the vault's backups: whoever holds both can read everything. Without --schema and --policy the built-in schema and role policy are used, and editable copies of them, of the built-in scoring models and of the CRM import mappings are written beside the vault (<vault>.policies/)."
    )

    @OptionGroup var vault: VaultOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Customer schema to store in the vault (default: the built-in schema).", valueName: "path"))
    var schema: String?

    @Option(help: ArgumentHelp("Role policy to store in the vault (default: the built-in policy).", valueName: "path"))
    var policy: String?

    @Option(help: ArgumentHelp("Name of the first user (role admin).", valueName: "name"))
    var admin = "admin"

    @Flag(help: "Derive the root key from COFFER_PASSPHRASE with scrypt instead of writing a key file.")
    var passphrase = false

    /// Where editable copies of the built-in files go: beside the vault, named after it.
    var copiesDirectory: String {
        let trimmed = vault.vaultPath.hasSuffix("/") ? String(vault.vaultPath.dropLast()) : vault.vaultPath
        return trimmed + ".policies"
    }

    func run() async throws {
        let schemaFile = schema ?? "built-in schema.yaml"
        let schemaText = try schema.map { path throws(VaultError) in
            try readTextFile(path, what: "schema", remedy: "pass --schema with the path to the file, or leave it out for the built-in schema")
        } ?? BuiltInPolicies.schemaYAML
        let loaded = try loadSchema(yaml: schemaText, file: schemaFile)
        let policyFile = policy ?? "built-in roles.yaml"
        let policyText = try policy.map { path throws(VaultError) in
            try readTextFile(path, what: "policy", remedy: "pass --policy with the path to the file, or leave it out for the built-in policy")
        } ?? BuiltInPolicies.rolesYAML
        // Editable copies of every built-in file used (and, with the built-in schema, the models written for it).
        var copies: [(name: String, text: String)] = []
        if schema == nil { copies.append(("schema.yaml", schemaText)) }
        if policy == nil { copies.append(("roles.yaml", policyText)) }
        if schema == nil { copies += BuiltInModels.files.sorted { $0.key < $1.key }.map { ("scoring/" + $0.key, $0.value) } }
        if schema == nil { copies += BuiltInPolicies.mappings.sorted { $0.key < $1.key }.map { ("mappings/" + $0.key, $0.value) } }
        if !copies.isEmpty {
            // An existing vault is the better answer than its copies directory being in the way.
            if (try? await VaultService.rootMode(at: vault.vaultPath, execution: .callingThread)) != nil { throw VaultError.vaultAlreadyExists(path: vault.vaultPath) }
            try Self.refuseExisting(copiesDirectory)
        }
        let protection: RootProtection
        if passphrase {
            guard let secret = VaultOptions.takePassphrase() else { throw VaultError.passphraseMissing }
            protection = .passphrase(secret)
        } else {
            protection = .keyFile(path: vault.keyFilePath)
        }
        // The copies first: if the vault cannot be created, they are removed again (nothing half-made stays).
        if !copies.isEmpty { try Self.write(copies, to: copiesDirectory) }
        let created: VaultService, token: String
        do {
            (created, token) = try await VaultService.create(at: vault.vaultPath, schema: loaded, policyYAML: policyText, policyFile: policyFile,
                                                             protection: protection, adminName: admin, execution: .callingThread)
        } catch {
            if !copies.isEmpty { try? FileManager.default.removeItem(atPath: copiesDirectory) }
            throw error
        }
        struct Summary: Encodable {
            var vault: String; var keyFile: String?; var fields: Int; var admin: String; var token: String; var policyCopies: String?
        }
        let summary = Summary(vault: created.vault.directory, keyFile: passphrase ? nil : vault.keyFilePath, fields: loaded.fields.count,
                              admin: admin, token: token, policyCopies: copies.isEmpty ? nil : copiesDirectory)
        if output.json {
            try printJSON(summary)
        } else {
            Terminal.out("created vault \(summary.vault) (\(summary.fields) fields)")
            if let keyFile = summary.keyFile {
                Terminal.out("root key written to \(keyFile) (mode 0600): back it up apart from the vault")
            }
            if let directory = summary.policyCopies {
                Terminal.out("built-in \(copies.map(\.name).joined(separator: ", ")) copied to \(directory)/ to edit; "
                             + "apply a changed policy with `coffer policy apply \(directory)/roles.yaml`")
            }
            Terminal.out("user \(admin) (admin) token, shown only this once:")
            Terminal.out(token)
        }
    }

    /// Refuses, before anything is created, a copies directory that already exists: init never
    /// writes into (or, on failure, removes) something it did not make.
    static func refuseExisting(_ directory: String) throws(VaultError) {
        if FileManager.default.fileExists(atPath: directory) {
            throw VaultError.invalidInput("\(directory) already exists; move it away (it would receive the editable copies of the built-in files) or pass --schema and --policy")
        }
    }

    /// Writes the copies (directories 0700, files 0600: the same care as every other output);
    /// on failure, removes the directory again.
    static func write(_ copies: [(name: String, text: String)], to directory: String) throws(VaultError) {
        do throws(VaultError) {
            try writeEach(copies, to: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    private static func writeEach(_ copies: [(name: String, text: String)], to directory: String) throws(VaultError) {
        for copy in copies {
            let path = directory + "/" + copy.name
            let parent = (path as NSString).deletingLastPathComponent
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw VaultError.cannotWrite(path: parent)
            }
            try PrivateFile.write(Data(copy.text.utf8), to: path)
        }
    }
}
