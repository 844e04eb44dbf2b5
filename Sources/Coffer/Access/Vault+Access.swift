import CofferCrypto
import Foundation
import GRDB

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

    /// A purpose as the audit log records it: only the policy's own purpose names, so free text
    /// typed into `--purpose` (which could be anything, even PII) never reaches the log.
    package func auditPurpose(_ purpose: String?, _ role: RolePolicy?) -> String {
        guard let purpose, !purpose.isEmpty else { return "" }
        let known = Set(policy.roles.values.flatMap { $0.purposes ?? [] })
        return known.contains(purpose) ? purpose : "<other>"
    }

    /// The role policy of `session`, re-read from the users table: a session whose user was
    /// revoked, or whose role changed, since it was opened acts with what is true now.
    func rolePolicy(_ session: Session) throws(VaultError) -> RolePolicy {
        let current = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, role, token_hash, revoked_at, mac FROM users WHERE id = ?", arguments: [session.userID])
        }
        guard let current, (current["revoked_at"] as Int64?) == nil, try userRowIsIntact(current) else {
            try audit(actor: session.name, role: session.role, action: "authorize", outcome: .denied, detail: "revoked user")
            throw .notAuthenticated
        }
        let roleName: String = current["role"]
        guard let role = policy[roleName] else {
            try audit(actor: session.name, role: roleName, action: "authorize", outcome: .denied, detail: "role not in the policy")
            throw .notPermitted("role \(roleName) is not in the policy in force")
        }
        return role
    }

    /// Checks that `session` may perform `action` for `purpose`; denials are audited and thrown.
    @discardableResult
    package func authorize(_ session: Session, _ action: Action, action name: String, purpose: String? = nil,
                   detail: String = "") throws(VaultError) -> RolePolicy {
        let role = try rolePolicy(session)
        guard role.allows(action) else {
            try audit(actor: session.name, role: role.name, action: name, purpose: auditPurpose(purpose, role), outcome: .denied,
                      detail: ["action \(action.rawValue) not allowed", detail].filter { !$0.isEmpty }.joined(separator: "; "))
            throw .notPermitted("role \(role.name) may not \(action.rawValue.replacingOccurrences(of: "_", with: " "))")
        }
        if Self.purposeBoundActions.contains(action), let purposes = role.purposes, !role.accepts(purpose: purpose) {
            try audit(actor: session.name, role: role.name, action: name, purpose: auditPurpose(purpose, role), outcome: .denied,
                      detail: "purpose missing or not allowed")
            throw .purposeRequired(purposes)
        }
        return role
    }

    func requireRole(_ role: String) throws(VaultError) {
        guard policy[role] != nil else {
            throw .invalidInput("no role \(role) in the policy; roles: \(policy.roleNames.joined(separator: ", "))")
        }
    }

    /// Validates `yaml` against the vault's schema and makes it the policy in force.
    /// The change is audited with the old and new digests.
    public func applyPolicy(yaml: String, file: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: "policy_apply")
        let new: Policy
        do { new = try Policy.load(yaml: yaml, file: file, schema: schema) } catch { throw .schema(error) }
        guard new.roles.values.contains(where: { $0.allows(.manageUsers) }) else {
            throw .invalidInput("\(file): no role may manage users; the vault would have no administrator")
        }
        let old = policy.digest
        let oldText = policy.source
        try database.write { db in
            // Keep the texts so a review can show what the change changed.
            try self.recordInitialPolicyIfMissing(oldText, db: db)
            try self.recordPolicyVersion(yaml, appliedAt: Vault.nowMilliseconds, db: db)
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [MetaKey.policy.rawValue, Data(yaml.utf8)])
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           arguments: [MetaKey.policyMAC.rawValue, Data(try StateMAC(keyRing: self.keyRing).policy(yaml))])
            try self.appendAudit(self.draft(session, action: "policy_apply", detail: "policy \(old) -> \(new.digest)"), db: db)
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
