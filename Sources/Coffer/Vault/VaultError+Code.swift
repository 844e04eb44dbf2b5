extension VaultError {
    /// A stable snake_case name for the case, for scripts and API clients to branch on (the
    /// `code` of an `ErrorBody`). Spelled out here, not derived from the Swift case name, so a
    /// rename in code cannot change the contract; a new case must add its name.
    public var code: String {
        switch self {
        case .vaultNotFound: "vault_not_found"
        case .vaultAlreadyExists: "vault_already_exists"
        case .keyFileMissing: "key_file_missing"
        case .keyFileExists: "key_file_exists"
        case .keyFileTooOpen: "key_file_too_open"
        case .keyFileInvalid: "key_file_invalid"
        case .passphraseMissing: "passphrase_missing"
        case .passphraseNotUsed: "passphrase_not_used"
        case .keyFileNotUsed: "key_file_not_used"
        case .wrongRootKey: "wrong_root_key"
        case let .pkcs11(failure): "pkcs11_" + failure.codeSuffix
        case .passphraseTooShort: "passphrase_too_short"
        case .corruptVault: "corrupt_vault"
        case .schema: "invalid_definition"
        case .invalidValue: "invalid_value"
        case .invalidInput: "invalid_input"
        case .file: "file_unreadable"
        case .cannotWrite: "cannot_write"
        case .outputIsDirectory: "output_is_directory"
        case .outputOverwrites: "output_overwrites"
        case .unknownField: "unknown_field"
        case .fieldNotIndexed: "field_not_indexed"
        case .missingValue: "missing_value"
        case .unknownRole: "unknown_role"
        case .unknownPseudonymDomain: "unknown_pseudonym_domain"
        case .invalidUserName: "invalid_user_name"
        case .userExists: "user_exists"
        case .userNotFound: "user_not_found"
        case .userNotActive: "user_not_active"
        case .userNotRevoked: "user_not_revoked"
        case .wouldLockOut: "would_lock_out"
        case .anonymityTooWeak: "anonymity_too_weak"
        case .notACheckpoint: "not_a_checkpoint"
        case .noOutcomes: "no_outcomes"
        case .customerNotFound: "customer_not_found"
        case .noMatch: "no_match"
        case .reindexRequired: "reindex_required"
        case .customerErased: "customer_erased"
        case .confirmationRequired: "confirmation_required"
        case .keyVersionUnknown: "key_version_unknown"
        case .keyVersionInUse: "key_version_in_use"
        case .keyVersionActive: "key_version_active"
        case .keyVersionRetired: "key_version_retired"
        case .keyUsageExhausted: "key_usage_exhausted"
        case .keysChanged: "keys_changed"
        case .auditUnavailable: "audit_unavailable"
        case .auditTampered: "audit_tampered"
        case .notAuthenticated: "not_authenticated"
        case .notPermitted: "not_permitted"
        case .purposeRequired: "purpose_required"
        case .purposeNotAllowed: "purpose_not_allowed"
        case .checkpointBlocked: "checkpoint_blocked"
        case .importFile: "import_file_invalid"
        case .storage: "storage"
        case .crypto: "crypto"
        }
    }

    /// The CLI's exit code for this failure, the same in text and JSON modes and for a client of
    /// the server: 1 failed, 3 locked, 4 not found (or not permitted to know), 5 not permitted,
    /// 6 tampered. With `httpStatus`, the one table behind every answer a failure gets.
    public var exitCode: Int32 {
        switch self {
        case .customerNotFound, .vaultNotFound, .noMatch, .customerErased: 4
        case .wrongRootKey, .keyFileMissing, .keyFileTooOpen, .keyFileInvalid, .passphraseMissing, .passphraseNotUsed, .keyFileNotUsed,
             .notAuthenticated: 3
        case .notPermitted, .purposeRequired, .purposeNotAllowed: 5
        case .auditTampered: 6
        case .wouldLockOut: 1
        case let .pkcs11(failure): if case .failed = failure { 1 } else { 3 }
        default: 1
        }
    }

    /// The HTTP status the server answers this failure with: 401 unauthenticated, 403 not
    /// permitted, 404 not found (or not permitted to know), 409 conflicting state, 422 invalid
    /// input, 503 the audit store cannot be written (nothing is released), 500 the vault itself
    /// failed (its details stay in the server's log).
    public var httpStatus: Int {
        switch self {
        case .notAuthenticated: 401
        case .notPermitted, .purposeRequired, .purposeNotAllowed: 403
        case .customerNotFound, .noMatch, .customerErased, .userNotFound, .userNotActive, .unknownRole, .keyVersionUnknown: 404
        case .userExists, .userNotRevoked, .wouldLockOut, .keyVersionInUse, .keyVersionActive, .keyVersionRetired, .keysChanged, .keyUsageExhausted,
             .reindexRequired, .confirmationRequired: 409
        case .auditUnavailable, .checkpointBlocked: 503
        case .pkcs11: 500
        case .storage, .corruptVault, .crypto, .auditTampered, .wrongRootKey, .keyFileMissing, .keyFileTooOpen, .keyFileInvalid,
             .passphraseMissing, .passphraseNotUsed, .keyFileNotUsed, .vaultNotFound, .vaultAlreadyExists, .keyFileExists, .cannotWrite:
            500
        default: 422
        }
    }
}
