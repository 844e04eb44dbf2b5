import CofferCrypto
import Foundation

/// Lifecycle of a key-encryption key version.
public enum KeyState: String, Sendable, Codable {
    /// Wraps new data keys.
    case active
    /// Unwraps existing data keys only; `keys rewrap` moves customers off it.
    case decryptOnly = "decrypt_only"
    /// Key material destroyed; nothing can use it any more.
    case retired
}

/// What `keys status` reports about one KEK version. No key material.
public struct KeyVersionStatus: Sendable, Equatable, Codable {
    public var version: UInt32
    public var state: KeyState
    public var createdAt: Date
    public var retiredAt: Date?
    /// Data keys this version has wrapped so far.
    public var uses: Int64
    /// Customers whose data key is currently wrapped by this version.
    public var customers: Int
}

/// The vault's keys, unsealed from the `keyring` table with the root key.
///
/// - KEK versions wrap the per-customer data keys (DEKs).
/// - The blind-index key derives one HMAC key per indexed field (HKDF), so equal values in
///   different fields hash differently.
/// - The pseudonym and audit keys are separate secrets for later layers.
package final class KeyRing: Sendable {
    package enum Kind: String, CaseIterable, Sendable {
        case kek, blindIndex = "blind_index", pseudonym, audit
        /// Ed25519 seed that signs audit checkpoints and review packages.
        case signing
    }

    package let vaultID: String
    package let activeVersion: UInt32
    /// Usable (active and decrypt-only) KEKs by version.
    let keks: [UInt32: SymmetricKey]
    /// Versions that exist but are retired.
    let retiredVersions: Set<UInt32>
    let blindIndexKey: SymmetricKey
    let pseudonymKey: SymmetricKey
    let auditKey: SymmetricKey
    package let signingKey: Ed25519.PrivateKey
    /// Most data keys one KEK version may wrap (NIST SP 800-38D random-nonce bound, with margin).
    let maximumUses: Int64
    static let defaultMaximumUses: Int64 = 1 << 31

    init(vaultID: String, activeVersion: UInt32, keks: [UInt32: SymmetricKey], retiredVersions: Set<UInt32>,
         blindIndexKey: SymmetricKey, pseudonymKey: SymmetricKey, auditKey: SymmetricKey, signingKey: Ed25519.PrivateKey,
         maximumUses: Int64) {
        self.signingKey = signingKey
        self.vaultID = vaultID
        self.activeVersion = activeVersion
        self.keks = keks
        self.retiredVersions = retiredVersions
        self.blindIndexKey = blindIndexKey
        self.pseudonymKey = pseudonymKey
        self.auditKey = auditKey
        self.maximumUses = maximumUses
    }

    /// The KEK of `version`, or why it cannot be used.
    func kek(_ version: UInt32) throws(VaultError) -> SymmetricKey {
        if let key = keks[version] { return key }
        if retiredVersions.contains(version) { throw .keyVersionRetired(version) }
        throw .keyVersionUnknown(version)
    }

    /// The HMAC key of one blind-indexed field (or another named lookup domain).
    func indexKey(for field: String) throws(VaultError) -> SymmetricKey {
        do { return try HKDF.deriveKey(from: blindIndexKey, info: "coffer/blind-index/v1/\(field)") } catch { throw .crypto(error) }
    }

    /// Fails unless `activeVersion` is still the active KEK in the database. Called inside every
    /// write transaction that wraps a data key, so a concurrent rotate/retire cannot leave
    /// customers wrapped under a version that is about to be destroyed.
    func assertStillActive(in tx: any StoreReading) throws {
        guard try tx.activeKEKVersion() == activeVersion else { throw VaultError.keysChanged }
    }

    static func sealContext(vaultID: String, kind: Kind, version: UInt32) -> SealContext {
        SealContext(kind: .keyring, recordID: Int64(version), name: "\(vaultID)/\(kind.rawValue)")
    }

    // MARK: - Persistence

    /// Creates version 1 of every key and stores it sealed under `root`.
    static func create(in tx: any StoreWriting, vaultID: String, root: RootKey, now: Date) throws {
        let cipher = try AES256GCM(key: root.key)
        let nonces = NonceSource(batch: 8)
        for kind in Kind.allCases {
            let key = try SymmetricKey.random()
            let sealed = try key.withUnsafeBytes { (raw) throws(CryptoError) in
                try SealedBox.seal(raw, keyVersion: 0, context: sealContext(vaultID: vaultID, kind: kind, version: 1),
                                   cipher: cipher, nonces: nonces)
            }
            try tx.insertKey(KeyRecord(kind: kind, version: 1, state: .active, createdAt: Int64(now.timeIntervalSince1970),
                                       retiredAt: nil, uses: 0, sealedKey: sealed))
        }
    }

    /// Unseals the keyring; a wrong root key surfaces as `VaultError.wrongRootKey`.
    static func load(from tx: any StoreReading, vaultID: String, root: RootKey, maximumUses: Int64) throws -> KeyRing {
        let cipher = try AES256GCM(key: root.key)
        var keks: [UInt32: SymmetricKey] = [:]
        var retired = Set<UInt32>()
        var active: UInt32?
        var singles: [Kind: SymmetricKey] = [:]
        for record in try tx.keyRecords() {
            let kind = record.kind, state = record.state, version = record.version
            if state == .retired {
                if kind == .kek { retired.insert(version) }
                continue
            }
            guard let sealed = record.sealedKey else {
                throw VaultError.corruptVault("keyring entry without key material")
            }
            let key: SymmetricKey
            do {
                key = try SymmetricKey(SealedBox.open(sealed, context: sealContext(vaultID: vaultID, kind: kind, version: version), cipher: cipher))
            } catch {
                throw VaultError.wrongRootKey
            }
            switch kind {
            case .kek:
                keks[version] = key
                if state == .active {
                    guard active == nil else { throw VaultError.corruptVault("two active key versions") }
                    active = version
                }
            default:
                singles[kind] = key
            }
        }
        guard let active, let blind = singles[.blindIndex], let pseudonym = singles[.pseudonym], let audit = singles[.audit],
              let seed = singles[.signing] else {
            throw VaultError.corruptVault("incomplete keyring")
        }
        return KeyRing(vaultID: vaultID, activeVersion: active, keks: keks, retiredVersions: retired,
                       blindIndexKey: blind, pseudonymKey: pseudonym, auditKey: audit,
                       signingKey: try Ed25519.PrivateKey(seed: seed), maximumUses: maximumUses)
    }
}
