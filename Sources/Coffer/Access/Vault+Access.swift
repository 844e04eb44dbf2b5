import CofferCrypto
import Foundation

extension Vault {
    /// The policy in force: the role policy stored in the vault (set at `init`, changed only
    /// through `applyPolicy`, each change audited with its digest).
    public var policy: Policy {
        policyLock.lock()
        defer { policyLock.unlock() }
        return currentPolicy
    }

    /// Actions that read customer data; roles with `purposes` must state one for these.
    static let purposeBoundActions: Set<Action> = [.read, .export, .score, .reidentify]

    /// The role policy of `session`, re-read from the users table: a session whose user was
    /// revoked, or whose role changed, since it was opened acts with what is true now.
    func rolePolicy(_ session: Session) throws(VaultError) -> RolePolicy {
        let current = try store.read { tx in try tx.user(id: session.userID) }
        guard let current, current.revokedAt == nil, !current.isExpired, try userRowIsIntact(current) else {
            try audit(.user(session), .authorize, outcome: .denied, detail: current?.isExpired == true ? "expired user" : "revoked user")
            throw .notAuthenticated
        }
        let roleName = current.role
        guard let role = policy[roleName] else {
            try audit(.named(session.name, role: roleName), .authorize, outcome: .denied, detail: "role not in the policy")
            throw .notPermitted("role \(roleName) is not in the policy in force")
        }
        return role
    }

    /// Checks that `session` may perform `action` for `purpose`; denials are audited and thrown.
    @discardableResult
    package func authorize(_ session: Session, _ action: Action, action name: AuditAction, purpose: String? = nil,
                   detail: String = "") throws(VaultError) -> RolePolicy {
        let role = try rolePolicy(session)
        guard role.allows(action) else {
            try audit(.named(session.name, role: role.name), name, purpose: purpose, outcome: .denied,
                      detail: ["action \(action.rawValue) not allowed", detail].filter { !$0.isEmpty }.joined(separator: "; "))
            throw .notPermitted("role \(role.name) may not \(action.rawValue.replacingOccurrences(of: "_", with: " "))")
        }
        if Self.purposeBoundActions.contains(action), let purposes = role.purposes, !role.accepts(purpose: purpose) {
            try audit(.named(session.name, role: role.name), name, purpose: purpose, outcome: .denied,
                      detail: "purpose missing or not allowed")
            throw purpose == nil ? .purposeRequired(purposes) : .purposeNotAllowed(allowed: purposes)
        }
        return role
    }

    func requireRole(_ role: String) throws(VaultError) {
        guard policy[role] != nil else {
            throw .unknownRole(role, known: policy.roleNames)
        }
    }

    /// Validates `yaml` against the vault's schema and makes it the policy in force.
    /// The change is audited with the old and new digests.
    package func applyPolicy(yaml: String, file: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: .policyApply)
        let new: Policy
        do { new = try Policy.load(yaml: yaml, file: file, schema: schema) } catch { throw .schema(error) }
        guard new.roles.values.contains(where: { $0.allows(.manageUsers) }) else {
            throw .invalidInput("\(file): no role may manage users; the vault would have no administrator")
        }
        let old = policy.digest
        let oldText = policy.source
        try store.write { tx in
            // Keep the texts so a review can show what the change changed.
            try self.recordInitialPolicyIfMissing(oldText, in: tx)
            try self.recordPolicyVersion(yaml, appliedAt: Vault.nowMilliseconds, in: tx)
            try tx.replaceSetting(MetaKey.policy.rawValue, value: Array(yaml.utf8))
            try tx.replaceSetting(MetaKey.policyMAC.rawValue, value: StateMAC(keyRing: self.keyRing).policy(yaml))
            try self.audit(.user(session), .policyApply, detail: "policy \(old) -> \(new.digest)", in: tx)
        }
        policyLock.lock()
        currentPolicy = new
        policyLock.unlock()
    }
}

extension CivilDate {
    /// Today in UTC.
    public static var today: CivilDate {
        CivilDate(daysSinceEpoch: Int((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }
}
