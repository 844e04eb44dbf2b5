/// What an audit entry says was attempted: the one vocabulary shared by the code that writes
/// entries and the code that reads them (audit queries, review packages, anomaly rules, the
/// OCSF mapping).
///
/// The raw values are what the chain MAC covers and what earlier entries hold: a case may be
/// added, never renamed.
public enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `coffer init`: the vault, its keyring and its first administrator.
    case vaultCreate = "vault_create"
    /// A token was presented (entries are written for refusals only).
    case authenticate
    /// A session acted after its user was revoked or its role left the policy.
    case authorize

    // Customer data.
    case read, find, write, `import`, erase, export
    case privacyCheck = "privacy_check"
    case reidentify, handoff
    case score, icp, calibrate

    // Accounts and policy.
    case userAdd = "user_add", userList = "user_list", userSetRole = "user_set_role", userRevoke = "user_revoke"
    case userReinstate = "user_reinstate", userResetToken = "user_reset_token"
    case policyApply = "policy_apply", policyExplain = "policy_explain"

    // Keys.
    case keyStatus = "key_status", keyRotate = "key_rotate", keyRewrap = "key_rewrap", keyRetire = "key_retire"

    // The audit log and reviews of it.
    case auditRead = "audit_read", auditVerify = "audit_verify", auditCheckpoint = "audit_checkpoint"
    case auditPublicKey = "audit_public_key"
    case reviewExport = "review_export", reviewSubject = "review_subject"
    case reviewProcessingRecord = "review_processing_record"

    // Maintenance.
    /// Phone numbers rewritten to E.164 and their blind index recomputed.
    case reindex

    public var description: String { rawValue }

    /// Whether an allowed entry of this action that names customers read their data. Writes,
    /// imports, erasures and re-wraps touch customers without reading them; queries of the audit
    /// log and reviews read entries, not customer data.
    public var readsCustomerData: Bool {
        switch self {
        case .read, .find, .export, .privacyCheck, .reidentify, .handoff, .score, .icp, .calibrate, .policyExplain:
            true
        case .vaultCreate, .authenticate, .authorize, .write, .import, .erase, .userAdd, .userList, .userSetRole, .userRevoke,
             .userReinstate, .userResetToken,
             .policyApply, .keyStatus, .keyRotate, .keyRewrap, .keyRetire, .auditRead, .auditVerify, .auditCheckpoint,
             .auditPublicKey, .reviewExport, .reviewSubject, .reviewProcessingRecord, .reindex:
            false
        }
    }

    /// The notable kind of event a reviewer wants listed one by one, if the action is one.
    public var reviewCategory: ReviewCategory? {
        switch self {
        case .export: .export
        case .erase: .erasure
        case .userAdd, .userSetRole, .userRevoke, .userReinstate, .userResetToken: .roleChange
        case .policyApply, .vaultCreate: .policyChange
        case .keyRotate, .keyRetire, .keyRewrap: .keyEvent
        case .handoff: .handoff
        case .reidentify: .reidentification
        default: nil
        }
    }

    /// The kinds of notable events a review package lists one by one.
    public enum ReviewCategory: String, Sendable, Codable, CaseIterable {
        case export, reidentification, handoff, erasure, roleChange, policyChange, keyEvent
    }
}

/// Who an audit entry names.
public enum AuditActor: Sendable {
    /// An authenticated user, under the role of their session.
    case user(Session)
    /// A named user under a role other than their session's (the role in force when a session
    /// outlived a role change, or a user whose token was refused).
    case named(String, role: String)
    /// Someone who presented no usable token.
    case unauthenticated

    var name: String {
        switch self {
        case let .user(session): session.name
        case let .named(name, _): name
        case .unauthenticated: "-"
        }
    }

    var role: String {
        switch self {
        case let .user(session): session.role
        case let .named(_, role): role
        case .unauthenticated: "-"
        }
    }
}
