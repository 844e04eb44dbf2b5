import CofferCrypto
import CofferSupport

/// Everything that can go wrong at the vault level, each saying what to do.
///
/// Descriptions never contain plaintext values, keys or tokens: only paths, field names,
/// line numbers and counts.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    case vaultNotFound(path: String)
    case vaultAlreadyExists(path: String)
    case keyFileMissing(path: String)
    case keyFileExists(path: String)
    case keyFileTooOpen(path: String, mode: String)
    case keyFileInvalid(path: String, reason: String)
    case passphraseMissing
    case passphraseNotUsed
    case keyFileNotUsed
    case wrongRootKey
    case corruptVault(String)
    case schema(PolicyFileError)
    case invalidValue(ValueRejection)
    case invalidInput(String)
    case customerNotFound
    case keyVersionUnknown(UInt32)
    case keyVersionInUse(version: UInt32, customers: Int)
    case keyVersionActive(UInt32)
    case keyVersionRetired(UInt32)
    case keyUsageExhausted(version: UInt32, limit: Int64)
    case keysChanged
    case auditUnavailable(String)
    /// The audit chain does not verify; what depends on it (a review package) is refused.
    case auditTampered(String)
    case notAuthenticated
    case notPermitted(String)
    case purposeRequired([String])
    case checkpointBlocked
    case importFile(String)
    case storage(String)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case let .vaultNotFound(path):
            "no vault at \(path); create one with `coffer init --vault \(path)` or set COFFER_VAULT"
        case let .vaultAlreadyExists(path):
            "a vault already exists at \(path); choose another --vault directory"
        case let .keyFileMissing(path):
            "root key file \(path) not found; pass --key-file or set COFFER_KEY_FILE to the file `coffer init` created"
        case let .keyFileExists(path):
            "root key file \(path) already exists; refusing to overwrite a key (choose another --key-file)"
        case let .keyFileTooOpen(path, mode):
            "root key file \(path) has mode \(mode), readable or writable by others; run `chmod 600 \(path)` and check who copied it"
        case let .keyFileInvalid(path, reason):
            "root key file \(path) is not a Coffer root key (\(reason))"
        case .passphraseMissing:
            "this vault is protected by a passphrase; set COFFER_PASSPHRASE"
        case .passphraseNotUsed:
            "this vault uses a root key file, not a passphrase; unset COFFER_PASSPHRASE and pass --key-file"
        case .keyFileNotUsed:
            "this vault is protected by a passphrase, not a key file; set COFFER_PASSPHRASE"
        case .wrongRootKey:
            "wrong root key or passphrase for this vault; nothing was changed"
        case let .corruptVault(what):
            "the vault is damaged: \(what); restore it from a backup"
        case let .schema(error):
            error.description
        case let .invalidValue(rejection):
            "invalid value for \(rejection)"
        case let .invalidInput(what):
            what
        case .customerNotFound:
            "customer not found or not permitted"
        case let .keyVersionUnknown(version):
            "no key version \(version); see `coffer keys status`"
        case let .keyVersionInUse(version, customers):
            "key version \(version) still protects \(customers) customer(s); run `coffer keys rewrap` first"
        case let .keyVersionActive(version):
            "key version \(version) is the active version; run `coffer keys rotate` first"
        case let .keyVersionRetired(version):
            "key version \(version) is retired and can no longer be used"
        case let .keyUsageExhausted(version, limit):
            "key version \(version) has wrapped its limit of \(limit) data keys; run `coffer keys rotate`"
        case let .auditTampered(problem):
            "the audit log is tampered (\(problem)); nothing was written: run `coffer audit verify` and investigate before exporting"
        case let .auditUnavailable(reason):
            "the audit log cannot be written (\(reason)); nothing was read or changed"
        case .notAuthenticated:
            "not authenticated: set COFFER_TOKEN (or pass --token) to a valid, unrevoked user token"
        case let .notPermitted(what):
            "not permitted: \(what)"
        case let .purposeRequired(purposes):
            "this role must state a purpose: pass --purpose with one of \(purposes.joined(separator: ", "))"
        case .keysChanged:
            "the active key version changed while this command ran (another `coffer keys` command); nothing from this batch was written, run the command again"
        case .checkpointBlocked:
            "the change is committed, but another process is reading the vault, so superseded pages (which may hold destroyed keys) are still in the write-ahead log; stop other coffer processes and run the command again"
        case let .importFile(message):
            message
        case let .storage(message):
            "storage error: \(message)"
        case let .crypto(error):
            "cryptographic failure: \(error)"
        }
    }
}
