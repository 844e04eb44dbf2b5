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

    @Flag(help: "Derive the root key with scrypt from the passphrase (--passphrase-fd, $COFFER_PASSPHRASE_FD or $COFFER_PASSPHRASE) instead of writing a key file.")
    var passphrase = false

    @Option(help: ArgumentHelp("With --pkcs11-module: label of the PKCS#11 token that keeps the root key's wrapping key.", valueName: "label"))
    var pkcs11Token: String?

    @Option(help: ArgumentHelp("With --pkcs11-module: label of the AES key in the token (used if present, else generated there, never extractable).", valueName: "label"))
    var pkcs11Key = "coffer-root"

    @Option(help: ArgumentHelp("With --pkcs11-module: where to write the recovery key (mode 0600; default <vault>.recovery-key). Store it offline: it opens the vault without the token.", valueName: "path"))
    var recoveryKeyOut: String?

    var recoveryKeyPath: String {
        if let recoveryKeyOut { return recoveryKeyOut }
        let trimmed = vault.vaultPath.hasSuffix("/") ? String(vault.vaultPath.dropLast()) : vault.vaultPath
        return trimmed + ".recovery-key"
    }

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
        if let module = vault.pkcs11ModulePath {
            guard !passphrase else { throw VaultError.invalidInput("choose one root key protection: --passphrase or --pkcs11-module, not both") }
            guard let tokenLabel = pkcs11Token else { throw VaultError.invalidInput("--pkcs11-module needs --pkcs11-token with the token's label") }
            guard let pin = try vault.takePIN() else { throw VaultError.pkcs11(.pinMissing) }
            if vault.recoveryKey != nil { throw VaultError.invalidInput("--recovery-key opens an existing vault; `init` writes a new one with --recovery-key-out") }
            protection = .pkcs11(Pkcs11Location(module: module, tokenLabel: tokenLabel, keyLabel: pkcs11Key), pin: pin, recoveryKeyFile: recoveryKeyPath)
        } else if pkcs11Token != nil || recoveryKeyOut != nil || vault.pkcs11PinFd != nil || vault.recoveryKey != nil {
            throw VaultError.invalidInput("--pkcs11-token, --pkcs11-pin-fd, --recovery-key-out and --recovery-key need --pkcs11-module (or COFFER_PKCS11_MODULE)")
        } else if passphrase {
            guard let secret = try vault.takePassphrase() else { throw VaultError.passphraseMissing }
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
            var vault: String; var keyFile: String?; var pkcs11Token: String?; var pkcs11Key: String?; var recoveryKey: String?; var fields: Int; var admin: String; var token: String; var policyCopies: String?
        }
        let token11: (token: String, key: String, recovery: String)?
        if case let .pkcs11(location, _, recovery) = protection { token11 = (location.tokenLabel, location.keyLabel, recovery) } else { token11 = nil }
        let summary = Summary(vault: created.vault.directory, keyFile: passphrase || token11 != nil ? nil : vault.keyFilePath,
                              pkcs11Token: token11?.token, pkcs11Key: token11?.key, recoveryKey: token11?.recovery, fields: loaded.fields.count,
                              admin: admin, token: token, policyCopies: copies.isEmpty ? nil : copiesDirectory)
        if output.json {
            try printJSON(summary)
        } else {
            Terminal.out("created vault \(summary.vault) (\(summary.fields) fields)")
            if let keyFile = summary.keyFile {
                Terminal.out("root key written to \(keyFile) (mode 0600): back it up apart from the vault")
            }
            if let token11 {
                Terminal.out("root key wrapped by key '\(token11.key)' in PKCS#11 token '\(token11.token)'; it is in no file")
                Terminal.out("recovery key written to \(token11.recovery) (mode 0600): store it offline, apart from the vault; it opens the vault without the token (--recovery-key)")
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
