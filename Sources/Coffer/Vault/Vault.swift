import CofferCrypto
import Foundation
import Logging

/// How the root key of a new vault is protected.
public enum RootProtection: Sendable {
    /// A new random key written to this file (mode 0600).
    case keyFile(path: String)
    /// A key derived from this passphrase with scrypt; at least `minimumPassphraseLength` bytes.
    case passphrase(SecureBytes, parameters: Scrypt.Parameters = .standard)
    /// A new random root key that exists only in memory: encrypted by an AES-256 key inside a
    /// PKCS#11 token (found by label, or generated there: sensitive, not extractable) and,
    /// second, by a new random recovery key written to `recoveryKeyFile` (mode 0600) for when
    /// the token is lost.
    case pkcs11(Pkcs11Location, pin: SecureBytes, recoveryKeyFile: String)

    /// The shortest passphrase a new vault accepts.
    public static let minimumPassphraseLength = 12
}

/// What an operator presents to open a vault. The vault itself says which is needed.
public struct RootCredentials: Sendable {
    public var keyFile: String?
    public var passphrase: SecureBytes?
    /// For a token vault: the PKCS#11 module to load (the token and key labels are the vault's).
    public var pkcs11Module: String?
    /// For a token vault: the token's user PIN.
    public var pkcs11PIN: SecureBytes?
    /// For a token vault whose token is lost: the recovery key file written by `init`.
    public var recoveryKeyFile: String?
    public init(keyFile: String? = nil, passphrase: SecureBytes? = nil, pkcs11Module: String? = nil, pkcs11PIN: SecureBytes? = nil,
                recoveryKeyFile: String? = nil) {
        self.keyFile = keyFile
        self.passphrase = passphrase
        self.pkcs11Module = pkcs11Module
        self.pkcs11PIN = pkcs11PIN
        self.recoveryKeyFile = recoveryKeyFile
    }
}

/// An open Coffer vault: the one facade through which every read and write passes.
///
/// Customer data is stored only as AES-256-GCM ciphertext under per-customer data keys,
/// which are wrapped by versioned key-encryption keys, which are sealed under the root key.
public final class Vault: Sendable {
    /// The vault directory.
    public let directory: String
    /// The root key file the vault was opened with (nil for a passphrase vault): no output may
    /// overwrite it.
    let keyFilePath: String?
    /// The customer schema stored in the vault at creation.
    public let schema: Schema
    /// Where the ciphertexts, wrapped keys, users and audit entries are kept.
    package let store: SQLiteStore
    /// The unsealed keys. Replaced (not mutated) after this vault rotates or retires a KEK.
    package var keyRing: KeyRing {
        keyRingLock.lock()
        defer { keyRingLock.unlock() }
        return currentKeyRing
    }
    private let keyRingLock = NSLock()
    // nonisolated(unsafe): read and replaced only under `keyRingLock`.
    nonisolated(unsafe) private var currentKeyRing: KeyRing
    let policyLock = NSLock()
    // nonisolated(unsafe): read and replaced only under `policyLock` (Vault+Access.swift).
    nonisolated(unsafe) var currentPolicy: Policy
    /// Kept for key management (rotation seals new KEKs under it); wiped when the vault is released.
    let rootKey: RootKey
    package let logger: Logger
    /// Commits the entries written on their own (reads, denials) in groups (`Vault.audit`).
    let auditGroup = AuditGroupCommit()

    private init(directory: String, keyFilePath: String?, schema: Schema, policy: Policy, store: SQLiteStore, keyRing: KeyRing, rootKey: RootKey) {
        self.keyFilePath = keyFilePath
        self.currentPolicy = policy
        self.rootKey = rootKey
        self.directory = directory
        self.schema = schema
        self.store = store
        self.currentKeyRing = keyRing
        var logger = Logger(label: "coffer.vault")
        logger[metadataKey: "vault"] = "\(keyRing.vaultID.prefix(8))"
        self.logger = logger
    }

    enum MetaKey: String {
        case vaultID = "vault_id", rootMode = "root_mode", scryptSalt = "scrypt_salt", scryptParameters = "scrypt_parameters"
        case rootCheck = "root_check", schema = "schema", createdAt = "created_at", maximumKEKUses = "max_kek_uses"
        case policy = "policy", policyMAC = "policy_mac"
        /// "e164" once phone blind-index entries are over E.164 (set at creation since then).
        case phoneIndex = "phone_index"
        /// Token vaults: the labels (not secret), the root key sealed by the token's key, and
        /// the root key sealed under the recovery key.
        case pkcs11Token = "pkcs11_token", pkcs11Key = "pkcs11_key", pkcs11WrappedRoot = "pkcs11_wrapped_root"
        case recoveryWrappedRoot = "recovery_wrapped_root"
    }

    /// Creates a vault in `directory` (which must not hold one yet) with `schema` and the role
    /// policy `policyYAML`, and its first user `adminName` (role `admin`), whose one-time token
    /// is returned: the only time it is ever available.
    ///
    /// With `.keyFile`, the key file is created first and removed again if anything else fails.
    package static func create(at directory: String, schema: Schema, policyYAML: String, policyFile: String = "roles.yaml",
                              protection: RootProtection, adminName: String = "admin",
                              maximumKEKUses: Int64? = nil) throws(VaultError) -> (vault: Vault, adminToken: String) {
        let policy: Policy
        do { policy = try Policy.load(yaml: policyYAML, file: policyFile, schema: schema) } catch { throw .schema(error) }
        guard policy["admin"]?.allows(.manageUsers) == true else {
            throw .invalidInput("\(policyFile): the policy needs an 'admin' role with manage_users for the first user")
        }
        try validateUserName(adminName)
        let dbPath = (directory as NSString).appendingPathComponent(SQLiteStore.fileName)
        if FileManager.default.fileExists(atPath: dbPath) { throw .vaultAlreadyExists(path: directory) }
        let vaultID: String
        do { vaultID = try SecureRandom.bytes(16).hexString } catch { throw .crypto(error) }
        let root: RootKey
        var keyFileToRemove: String?
        var meta: [(MetaKey, [UInt8])] = [(.vaultID, Array(vaultID.utf8))]
        // A key generated in the token for this vault, destroyed again if the vault is not created.
        var generatedTokenKey: (token: Pkcs11Token, key: UInt)?
        switch protection {
        case let .keyFile(path):
            root = try RootKey.createKeyFile(at: path)
            keyFileToRemove = path
            meta.append((.rootMode, Array("key_file".utf8)))
        case let .passphrase(passphrase, parameters):
            guard passphrase.count >= RootProtection.minimumPassphraseLength else {
                throw .passphraseTooShort(minimum: RootProtection.minimumPassphraseLength)
            }
            let salt: [UInt8]
            do { salt = try SecureRandom.bytes(16) } catch { throw .crypto(error) }
            root = try RootKey.derive(passphrase: passphrase, salt: salt, parameters: parameters)
            meta.append((.rootMode, Array("passphrase".utf8)))
            meta.append((.scryptSalt, salt))
            meta.append((.scryptParameters, Array("\(parameters.n),\(parameters.r),\(parameters.p)".utf8)))
        case let .pkcs11(location, pin, recoveryKeyFile):
            // The token first: a wrong PIN, a missing token or module fails before anything exists.
            let token = try Pkcs11Token.open(location, pin: pin)
            let tokenKey: UInt
            if let existing = try token.findKey() {
                tokenKey = existing
            } else {
                tokenKey = try token.generateKey()
                generatedTokenKey = (token, tokenKey)
            }
            do throws(VaultError) {
                let secret: SecureBytes
                do { secret = try SecureBytes(randomCount: SymmetricKey.byteCount) } catch { throw .crypto(error) }
                let wrapped = try token.seal(secret, key: tokenKey, aad: tokenWrapAAD(vaultID: vaultID))
                // Proof that the token can open what it sealed, before the vault depends on it.
                let reopened = try token.open(wrapped, key: tokenKey, aad: tokenWrapAAD(vaultID: vaultID))
                guard reopened == secret else { throw .pkcs11(.failed(function: "C_Decrypt (round trip)", returnValue: 0x5)) }
                do { root = RootKey(key: try SymmetricKey(secret)) } catch { throw .crypto(error) }
                let recovery = try RootKey.createKeyFile(at: recoveryKeyFile)
                keyFileToRemove = recoveryKeyFile
                meta.append((.rootMode, Array("pkcs11".utf8)))
                meta.append((.pkcs11Token, Array(location.tokenLabel.utf8)))
                meta.append((.pkcs11Key, Array(location.keyLabel.utf8)))
                meta.append((.pkcs11WrappedRoot, wrapped))
                meta.append((.recoveryWrappedRoot, try sealRootForRecovery(root, under: recovery, vaultID: vaultID)))
            } catch {
                if let generatedTokenKey { generatedTokenKey.token.destroy(generatedTokenKey.key) }
                throw error
            }
        }
        do {
            let store = try SQLiteStore(directory: directory, create: true)
            let now = Date()
            let maxUses = maximumKEKUses ?? KeyRing.defaultMaximumUses
            meta.append((.schema, Array(schema.source.utf8)))
            meta.append((.policy, Array(policyYAML.utf8)))
            meta.append((.createdAt, Array(String(Int64(now.timeIntervalSince1970)).utf8)))
            meta.append((.maximumKEKUses, Array(String(maxUses).utf8)))
            let check = try rootCheck(vaultID: vaultID, root: root)
            meta.append((.rootCheck, check))
            meta.append((.phoneIndex, phoneIndexE164))
            try store.write { tx in
                for (key, value) in meta { try tx.insertSetting(key.rawValue, value: value) }
                try KeyRing.create(in: tx, vaultID: vaultID, root: root, now: now)
            }
            let keyRing = try store.read { tx in
                try KeyRing.load(from: tx, vaultID: vaultID, root: root, maximumUses: maxUses)
            }
            let vault = Vault(directory: directory, keyFilePath: keyFileToRemove, schema: schema, policy: policy, store: store,
                              keyRing: keyRing, rootKey: root)
            let token = try vault.bootstrapAdmin(name: adminName, policyYAML: policyYAML, policyDigest: policy.digest)
            return (vault, token)
        } catch {
            if let generatedTokenKey { generatedTokenKey.token.destroy(generatedTokenKey.key) }
            if let keyFileToRemove { unlink(keyFileToRemove) }
            try? FileManager.default.removeItem(atPath: dbPath)
            try? FileManager.default.removeItem(atPath: dbPath + "-wal")
            try? FileManager.default.removeItem(atPath: dbPath + "-shm")
            throw error
        }
    }

    /// Opens an existing vault. A wrong key or passphrase fails with `wrongRootKey` before
    /// anything is read or written.
    package static func open(at directory: String, credentials: RootCredentials) throws(VaultError) -> Vault {
        let store = try SQLiteStore(directory: directory, create: false)
        let meta = try store.read { tx in try tx.settings() }
        func text(_ key: MetaKey) throws(VaultError) -> String {
            guard let bytes = meta[key.rawValue] else { throw .corruptVault("missing \(key.rawValue)") }
            return String(decoding: bytes, as: UTF8.self)
        }
        let vaultID = try text(.vaultID)
        let root: RootKey
        let rootMode = try text(.rootMode)
        // Fail closed: a token or recovery credential meant for this vault would go unused.
        if rootMode != "pkcs11", credentials.pkcs11Module != nil || credentials.pkcs11PIN != nil || credentials.recoveryKeyFile != nil {
            throw .pkcs11(.notUsed)
        }
        switch rootMode {
        case "key_file":
            guard let path = credentials.keyFile else { throw .keyFileMissing(path: "(none given)") }
            root = try RootKey.loadKeyFile(at: path)
        case "passphrase":
            guard let passphrase = credentials.passphrase else { throw .passphraseMissing }
            guard let salt = meta[MetaKey.scryptSalt.rawValue] else { throw .corruptVault("missing scrypt salt") }
            let parts = try text(.scryptParameters).split(separator: ",").compactMap { UInt64($0) }
            guard parts.count == 3 else { throw .corruptVault("bad scrypt parameters") }
            root = try RootKey.derive(passphrase: passphrase, salt: salt,
                                      parameters: Scrypt.Parameters(n: parts[0], r: parts[1], p: parts[2]))
        case "pkcs11":
            guard let wrapped = meta[MetaKey.pkcs11WrappedRoot.rawValue], let recoveryWrapped = meta[MetaKey.recoveryWrappedRoot.rawValue] else {
                throw .corruptVault("missing the wrapped root key")
            }
            if let recoveryKeyFile = credentials.recoveryKeyFile {
                let recovery = try RootKey.loadKeyFile(at: recoveryKeyFile)
                root = try openRootWithRecovery(recoveryWrapped, under: recovery, vaultID: vaultID)
            } else {
                guard let module = credentials.pkcs11Module else { throw .pkcs11(.moduleMissing) }
                guard let pin = credentials.pkcs11PIN else { throw .pkcs11(.pinMissing) }
                let location = Pkcs11Location(module: module, tokenLabel: try text(.pkcs11Token), keyLabel: try text(.pkcs11Key))
                let token = try Pkcs11Token.open(location, pin: pin)
                guard let key = try token.findKey() else { throw .pkcs11(.keyMissing(label: location.keyLabel)) }
                let secret = try token.open(wrapped, key: key, aad: tokenWrapAAD(vaultID: vaultID))
                do { root = RootKey(key: try SymmetricKey(secret)) } catch { throw .wrongRootKey }
            }
        default:
            throw .corruptVault("unknown root key mode")
        }
        guard let check = meta[MetaKey.rootCheck.rawValue] else { throw .corruptVault("missing root check") }
        do {
            let cipher = try AES256GCM(key: root.key)
            let opened = try SealedBox.open(check, context: SealContext(kind: .rootCheck, recordID: 0, name: vaultID), cipher: cipher)
            guard opened.count == 0 else { throw VaultError.wrongRootKey }
        } catch {
            throw .wrongRootKey
        }
        let schema = try storedSchema(try text(.schema), directory: directory)
        let policy: Policy
        let policyText = try text(.policy)
        do { policy = try Policy.load(yaml: policyText, file: "\(directory)/policy (stored)", schema: schema) } catch { throw .schema(error) }
        let maxUses = Int64(try text(.maximumKEKUses)) ?? KeyRing.defaultMaximumUses
        let keyRing = try store.read { tx in
            try KeyRing.load(from: tx, vaultID: vaultID, root: root, maximumUses: maxUses)
        }
        // The policy decides who sees what: refuse one changed outside `coffer policy apply`.
        do {
            let expected = try StateMAC(keyRing: keyRing).policy(policyText)
            guard let stored = meta[MetaKey.policyMAC.rawValue], constantTimeEquals(expected, stored) else {
                throw VaultError.corruptVault("the stored role policy was changed outside `coffer policy apply`")
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .crypto(error as! CryptoError)
        }
        return Vault(directory: directory, keyFilePath: credentials.keyFile ?? credentials.recoveryKeyFile, schema: schema, policy: policy, store: store,
                     keyRing: keyRing, rootKey: root)
    }

    /// The kind of root protection a vault uses, read without any key (to prompt correctly).
    package static func rootMode(at directory: String) throws(VaultError) -> String {
        try unsealedSetting(.rootMode, at: directory)
    }

    /// The customer schema stored in the vault at creation, read without any key: field names
    /// and types are not secret, and checking a policy file against them needs no credentials.
    package static func storedSchema(at directory: String) throws(VaultError) -> Schema {
        try storedSchema(try unsealedSetting(.schema, at: directory), directory: directory)
    }

    /// A setting kept in clear in the vault's metadata, read without opening the vault.
    private static func unsealedSetting(_ key: MetaKey, at directory: String) throws(VaultError) -> String {
        let store = try SQLiteStore(directory: directory, create: false)
        return try store.read { tx in
            guard let data = try tx.setting(key.rawValue) else { throw VaultError.corruptVault("missing \(key.rawValue)") }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// The schema text stored in the vault at `directory`, loaded (errors name it as stored).
    private static func storedSchema(_ text: String, directory: String) throws(VaultError) -> Schema {
        do { return try Schema.load(yaml: text, file: "\(directory)/schema (stored)") } catch { throw .schema(error) }
    }

    /// What the token's AES-GCM binds the wrapped root key to: its purpose and this vault.
    private static func tokenWrapAAD(vaultID: String) -> [UInt8] {
        Array("coffer-pkcs11-root-v1|\(vaultID)".utf8)
    }

    /// The recovery wrapping: the root key sealed under the recovery key (a root-check record
    /// numbered 1, so neither sealed value can stand in for the other).
    private static func recoveryContext(_ vaultID: String) -> SealContext {
        SealContext(kind: .rootCheck, recordID: 1, name: "recovery:" + vaultID)
    }

    private static func sealRootForRecovery(_ root: RootKey, under recovery: RootKey, vaultID: String) throws(VaultError) -> [UInt8] {
        do {
            let cipher = try AES256GCM(key: recovery.key)
            return try root.key.withUnsafeBytes { (bytes) throws(CryptoError) in
                try SealedBox.seal(bytes, keyVersion: 0, context: recoveryContext(vaultID), cipher: cipher, nonces: NonceSource(batch: 1))
            }
        } catch {
            throw .crypto(error)
        }
    }

    private static func openRootWithRecovery(_ sealed: [UInt8], under recovery: RootKey, vaultID: String) throws(VaultError) -> RootKey {
        do {
            let cipher = try AES256GCM(key: recovery.key)
            return RootKey(key: try SymmetricKey(try SealedBox.open(sealed, context: recoveryContext(vaultID), cipher: cipher)))
        } catch {
            throw .wrongRootKey
        }
    }

    /// An empty value sealed under the root key: opening it proves the key is right.
    private static func rootCheck(vaultID: String, root: RootKey) throws(VaultError) -> [UInt8] {
        do {
            let cipher = try AES256GCM(key: root.key)
            return try [UInt8]().withUnsafeBytes { (empty) throws(CryptoError) in
                try SealedBox.seal(empty, keyVersion: 0, context: SealContext(kind: .rootCheck, recordID: 0, name: vaultID),
                                   cipher: cipher, nonces: NonceSource(batch: 1))
            }
        } catch {
            throw .crypto(error)
        }
    }

    /// Re-reads the keyring after a key operation, so this object does not keep acting on a
    /// version it has just rotated away from or retired.
    func reloadKeyRing() throws(VaultError) {
        let current = keyRing
        let reloaded = try store.read { tx in
            try KeyRing.load(from: tx, vaultID: current.vaultID, root: rootKey, maximumUses: current.maximumUses)
        }
        keyRingLock.lock()
        currentKeyRing = reloaded
        keyRingLock.unlock()
    }

    /// Path of the SQLite file (for tests and backups).
    public var databasePath: String { store.path }

    /// The store answers a read of the audit head, the database file and its directory are
    /// writable (SQLite writes its log beside the database), and the store can still grow (a
    /// full disk or a page limit would refuse the next audit entry; a store that allocates but
    /// fails at commit is not caught here).
    func checkReadiness() throws(VaultError) {
        _ = try store.read { tx in try tx.lastAuditLink() }
        for path in [databasePath, (databasePath as NSString).deletingLastPathComponent] where access(path, W_OK) != 0 {
            throw .auditUnavailable("\(path) is not writable")
        }
        do {
            try store.checkWritable()
        } catch {
            throw .auditUnavailable(error.description)
        }
    }
}
