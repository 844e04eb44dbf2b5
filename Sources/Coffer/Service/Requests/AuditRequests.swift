import Foundation

/// Verifies the whole audit chain (requires `audit_read`); with a signed checkpoint, also that
/// the log was neither truncated nor rewritten since. Progress is in entries.
public struct VerifyAudit: VaultRequest {
    /// A checkpoint written by `WriteAuditCheckpoint`, as JSON.
    public var checkpointJSON: Data?

    public init(checkpointJSON: Data? = nil) { self.checkpointJSON = checkpointJSON }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> AuditVerification {
        try vault.verifyAudit(session: caller.session, checkpointJSON: checkpointJSON, progress: progress)
    }
}

/// Audit entries matching a query (requires `audit_read`; the read is itself audited). With a
/// customer reference, the entries that touched that customer: a data-subject access request.
public struct ReadAuditLog: VaultRequest {
    public var query: AuditQuery
    public var customerReference: String?

    public init(_ query: AuditQuery, customerReference: String? = nil) {
        self.query = query
        self.customerReference = customerReference
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [AuditEntry] {
        try vault.auditLog(query, customerReference: customerReference, session: caller.session, purpose: caller.purpose)
    }
}

/// The audit entries about one customer, live or erased, with its erasure record when it was
/// erased (requires `audit_read`; audited): a data-subject access request answered from the
/// erasure record after the customer's data is gone.
public struct ReadCustomerAuditTrail: VaultRequest {
    public var query: AuditQuery
    public var reference: String

    public init(_ query: AuditQuery = AuditQuery(), reference: String) {
        self.query = query
        self.reference = reference
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> CustomerAuditTrail {
        try vault.customerAuditTrail(query, reference: reference, session: caller.session, purpose: caller.purpose)
    }
}

/// Signs the head of the audit chain with the vault's Ed25519 key (requires `audit_read`).
public struct WriteAuditCheckpoint: VaultRequest {
    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> AuditCheckpoint {
        try vault.auditCheckpoint(session: caller.session)
    }
}

/// The PEM public key that verifies checkpoints and review packages offline (requires `audit_read`).
public struct SigningPublicKey: VaultRequest {
    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> String {
        try vault.signingPublicKeyPEM(session: caller.session)
    }
}
