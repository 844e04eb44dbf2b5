import CofferCrypto
import CofferSupport

/// Everything that can go wrong at the vault level, each saying what is wrong and what to do.
///
/// Descriptions never contain plaintext values, keys or tokens: only paths, field, role and
/// user names, line numbers and counts. They describe the problem and the remedy in the
/// vault's own terms; an adapter (the command-line tool, the server) words the remedy in its
/// own (which flag, which variable, which endpoint).
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    case vaultNotFound(path: String)
    case vaultAlreadyExists(path: String)
    case keyFileMissing(path: String)
    case keyFileExists(path: String)
    case keyFileTooOpen(path: String, mode: String)
    case keyFileInvalid(path: String, reason: String)
    /// The vault is protected by a passphrase and none was given.
    case passphraseMissing
    /// A passphrase was given for a vault whose root key is in a key file.
    case passphraseNotUsed
    /// A key file was given for a vault protected by a passphrase.
    case keyFileNotUsed
    case wrongRootKey
    /// The PKCS#11 token that wraps the root key could not be used (see `Pkcs11Failure`).
    case pkcs11(Pkcs11Failure)
    /// A new vault's passphrase is shorter than `minimum` bytes.
    case passphraseTooShort(minimum: Int)
    case corruptVault(String)
    case schema(PolicyFileError)
    case invalidValue(ValueRejection)
    /// Input that no more specific case describes; the text says what is wrong and what to do.
    case invalidInput(String)
    /// A file to read or write, or a CSV record in one, failed.
    case file(CSVError)
    /// An output file that could not be created (or made private to its owner).
    case cannotWrite(path: String)
    /// An output path that names a directory where a file is to be written.
    case outputIsDirectory(path: String)
    /// An output file that would overwrite one of the vault's own files, or the file being read.
    case outputOverwrites(path: String, what: String)
    case unknownField(String, known: [String])
    /// An exact lookup by a field that has no blind index.
    case fieldNotIndexed(String)
    /// A field that must have a value has none (or only white space).
    case missingValue(field: String)
    case unknownRole(String, known: [String])
    /// A pseudonym domain the policy does not name (the name given is not repeated: it may be free text).
    case unknownPseudonymDomain(known: [String])
    case invalidUserName
    case userExists(String)
    case userNotFound(String)
    /// The user exists but is revoked.
    case userNotActive(String)
    /// A user to reinstate is not revoked.
    case userNotRevoked(String)
    /// The change would leave the vault without anyone able to manage users (or would revoke the
    /// caller's own account); refused before anything is written.
    case wouldLockOut(LockOut)
    /// The k of a k-anonymity guard or check is below 2.
    case anonymityTooWeak(k: Int)
    /// A file that is not a checkpoint written by `auditCheckpoint`.
    case notACheckpoint
    /// Calibration needs won/lost outcomes and no customer has one.
    case noOutcomes
    case customerNotFound
    /// An exact lookup found no customer; `lookedFor` is the caller's own query, normalized.
    case noMatch(field: String, lookedFor: String)
    /// The blind index of phone numbers predates E.164 normalization; an administrator must
    /// recompute it (`reindexPhones`) before phone lookups can be trusted.
    case reindexRequired
    /// The customer was erased; the erasure record says when, by whom and why.
    case customerErased(ErasureRecord)
    /// Erasing needs confirmation (an interactive yes, or an explicit flag for scripts).
    case confirmationRequired
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
    /// A purpose was given, but the role may not use it; `allowed` are the ones it may. The
    /// purpose itself is not repeated: it may be free text (the audit log records `<other>`).
    case purposeNotAllowed(allowed: [String])
    case checkpointBlocked
    case importFile(String)
    case storage(String)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case let .vaultNotFound(path):
            "no vault at \(path); create one there first, or open the directory that holds one"
        case let .vaultAlreadyExists(path):
            "a vault already exists at \(path); choose another directory"
        case let .keyFileMissing(path):
            "root key file \(path) not found; give the file created with the vault"
        case let .keyFileExists(path):
            "root key file \(path) already exists; refusing to overwrite a key (choose another path)"
        case let .keyFileTooOpen(path, mode):
            "root key file \(path) has mode \(mode), readable or writable by others; make it mode 600 (`chmod 600 \(path)`) and check who copied it"
        case let .keyFileInvalid(path, reason):
            "root key file \(path) is not a Coffer root key (\(reason))"
        case .passphraseMissing:
            "this vault is protected by a passphrase; give the passphrase"
        case .passphraseNotUsed:
            "this vault uses a root key file, not a passphrase; give the key file and no passphrase"
        case .keyFileNotUsed:
            "this vault is protected by a passphrase, not a key file; give the passphrase"
        case .wrongRootKey:
            "wrong root key or passphrase for this vault; nothing was changed"
        case let .pkcs11(failure):
            failure.description
        case let .passphraseTooShort(minimum):
            "the passphrase is shorter than \(minimum) characters; choose a longer passphrase"
        case let .corruptVault(what):
            "the vault is damaged: \(what); restore it from a backup"
        case let .schema(error):
            error.description
        case let .invalidValue(rejection):
            "invalid value for \(rejection)"
        case let .invalidInput(what):
            what
        case let .file(error):
            error.description
        case let .cannotWrite(path):
            "cannot write \(path)"
        case let .outputIsDirectory(path):
            "\(path) is a directory; name the file to write"
        case let .outputOverwrites(path, what):
            "\(path) would overwrite \(what); name a file outside the vault directory that is not an input"
        case let .unknownField(name, known):
            "no field '\(name)' in the schema" + (known.isEmpty ? "" : "; the schema has: \(known.joined(separator: ", "))")
        case let .fieldNotIndexed(name):
            "field '\(name)' is not blind-indexed; exact lookups need blind_index: true in the schema"
        case let .missingValue(field):
            "'\(field)' is required and has no value"
        case let .unknownRole(name, known):
            "no role \(name) in the policy; roles: \(known.joined(separator: ", "))"
        case let .unknownPseudonymDomain(known):
            "no pseudonym domain named that in the policy; domains: \(known.joined(separator: ", "))"
        case .invalidUserName:
            "user names are 1 to 64 lowercase letters, digits, '.', '_' or '-'"
        case let .userExists(name):
            "a user named \(name) already exists"
        case let .userNotFound(name):
            "no user named \(name)"
        case let .userNotActive(name):
            "no active user named \(name)"
        case let .userNotRevoked(name):
            "user \(name) is not revoked; to give it a new token, reset its token instead"
        case .wouldLockOut(.revokingSelf):
            "you cannot revoke your own account; another user with manage_users must revoke it"
        case let .wouldLockOut(.lastManager(name)):
            "user \(name) is the last active user who may manage users; revoking it or giving it a role without manage_users would lock everyone out: add (or reinstate) another user with manage_users first"
        case .anonymityTooWeak:
            "k must be at least 2"
        case .notACheckpoint:
            "the checkpoint file is not a Coffer audit checkpoint"
        case .noOutcomes:
            "no customer has an imported outcome; import won/lost outcomes first"
        case .customerNotFound:
            "customer not found or not permitted"
        case let .noMatch(field, lookedFor):
            "no customer with \(field) \(lookedFor)"
        case .reindexRequired:
            "the phone index of this vault predates E.164 normalization, so a phone lookup could miss; an administrator must recompute it (reindex) first"
        case let .customerErased(record):
            "customer \(record.customerID) was erased on \(record.erasedAt) by \(record.actor)" + (record.purpose.isEmpty ? "" : " for \(record.purpose)") + " (audit entry \(record.auditEntry))"
        case .confirmationRequired:
            "erasing a customer cannot be undone and needs confirmation"
        case let .keyVersionUnknown(version):
            "no key version \(version); list the versions with the key status"
        case let .keyVersionInUse(version, customers):
            "key version \(version) still protects \(customers) customer(s); re-wrap their data keys first"
        case let .keyVersionActive(version):
            "key version \(version) is the active version; rotate to a new version first"
        case let .keyVersionRetired(version):
            "key version \(version) is retired and can no longer be used"
        case let .keyUsageExhausted(version, limit):
            "key version \(version) has wrapped its limit of \(limit) data keys; rotate to a new version"
        case let .auditTampered(problem):
            "the audit log is tampered (\(problem)); nothing was written: verify the chain and investigate before exporting"
        case let .auditUnavailable(reason):
            "the audit log cannot be written (\(reason)); nothing was read or changed"
        case .notAuthenticated:
            "not authenticated: present a valid, unrevoked user token"
        case let .notPermitted(what):
            "not permitted: \(what)"
        case let .purposeRequired(purposes):
            purposes.isEmpty ? "this operation needs a stated purpose" : "this role must state a purpose: one of \(purposes.joined(separator: ", "))"
        case let .purposeNotAllowed(allowed):
            "the purpose given is not one this role may use; use one of \(allowed.joined(separator: ", "))"
        case .keysChanged:
            "the active key version changed while this ran (another key operation); nothing from this batch was written, run it again"
        case .checkpointBlocked:
            "the change is committed, but another process is reading the vault, so superseded pages (which may hold destroyed keys) are still in the write-ahead log; stop the other processes using the vault and run it again"
        case let .importFile(message):
            message
        case let .storage(message):
            "storage error: \(message)"
        case let .crypto(error):
            "cryptographic failure: \(error)"
        }
    }
}

extension VaultError {
    /// `error` as a vault error: vault errors as they are, crypto failures, rejected values and
    /// file errors in their own cases, anything else as a storage failure named by its type only
    /// (an unknown error could carry anything).
    public init(wrapping error: any Error) {
        switch error {
        case let error as VaultError: self = error
        case let error as CryptoError: self = .crypto(error)
        case let error as ValueRejection: self = .invalidValue(error)
        case let error as CSVError: self = .file(error)
        case let error as PolicyFileError: self = .schema(error)
        default: self = .storage(String(describing: type(of: error)))
        }
    }
}

extension Pkcs11Failure: CustomStringConvertible {
    /// One line naming the module, token or key label and the remedy; never a PIN or key.
    public var description: String {
        switch self {
        case let .moduleInvalid(path): "\(path) is not a PKCS#11 module that can be loaded; give the path of the token's module (e.g. /usr/lib/softhsm/libsofthsm2.so); nothing was changed"
        case let .tokenMissing(label): "no PKCS#11 token labelled '\(label)' is present; insert the token or check its label; nothing was changed"
        case let .keyMissing(label): "the PKCS#11 token holds no AES key labelled '\(label)'; use the token this vault was created with, or the recovery key; nothing was changed"
        case .moduleMissing: "this vault's root key is protected by a PKCS#11 token; give the path of the token's PKCS#11 module"
        case .pinMissing: "this vault's root key is protected by a PKCS#11 token; give the token's user PIN"
        case .pinIncorrect: "the PKCS#11 token refused the PIN; nothing was changed"
        case .pinLocked: "the PKCS#11 token's user PIN is locked; unlock it with the security officer PIN, or use the recovery key"
        case .notUsed: "this vault's root key is not protected by a PKCS#11 token; give its own credential and no token options"
        case let .failed(function, returnValue): "the PKCS#11 module failed in \(function) (CKR 0x\(String(returnValue, radix: 16))); nothing was changed"
        }
    }

    /// The stable code's suffix (`pkcs11_<suffix>`).
    var codeSuffix: String {
        switch self {
        case .moduleInvalid: "module_invalid"
        case .tokenMissing: "token_missing"
        case .keyMissing: "key_missing"
        case .moduleMissing: "module_missing"
        case .pinMissing: "pin_missing"
        case .pinIncorrect: "pin_incorrect"
        case .pinLocked: "pin_locked"
        case .notUsed: "not_used"
        case .failed: "failed"
        }
    }
}

extension VaultError {
    /// Why a user change would lock the vault's administrators out.
    public enum LockOut: Equatable, Sendable {
        /// The caller revoking its own account.
        case revokingSelf
        /// The change would leave no active user whose role allows `manage_users`.
        case lastManager(String)
    }
}
