import Foundation

/// The role policy in force, as `policy show` gives it: self-service for every user.
///
/// A user who may manage users (who may change the policy) gets the whole text and every
/// role; anyone else gets only its own role: that role's section of the text and its field
/// views. Either way the digest, the revision (its row in the policy history) and when it was
/// applied. Like `whoami` and `policy explain` without a customer, reading it is not audited:
/// it holds no customer data, and the audit log records every change of the policy.
public struct PolicyInForce: Sendable, Equatable, Codable {
    /// How much of the policy the caller was shown.
    public enum Scope: String, Sendable, Equatable, Codable {
        /// The whole policy (callers with `manage_users`).
        case whole
        /// The caller's own role only.
        case ownRole = "own_role"
    }

    public var scope: Scope
    /// SHA-256 of the whole text (hex), as the audit log records it on every change.
    public var digest: String
    /// Its row in the policy history (1 = the policy the vault was created with, each
    /// `policy apply` adds one); nil if the history does not hold this text (a vault older than
    /// the history that was never changed since). Not the `version:` of the file format.
    public var revision: Int64?
    /// When it was applied; nil when not known (see `revision`).
    public var appliedAt: Date?
    /// The whole text, or the caller's role's section of it (nil if that section cannot be
    /// cut out of the text as written, e.g. a flow-style mapping; `roles` still says it all).
    public var yaml: String?
    /// Each role shown: its actions, purposes and field views.
    public var roles: [PolicyExplanation]

    enum CodingKeys: String, CodingKey {
        case scope, digest, revision, yaml, roles, appliedAt
    }

    /// The lines of `text` holding the mapping entry `role:` under the top-level `roles:`, with
    /// the comments and blank lines inside it; nil when it is not written in block style.
    static func section(of role: String, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        func isBlankOrComment(_ line: String) -> Bool {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#")
        }
        guard let rolesLine = lines.firstIndex(where: { $0.hasPrefix("roles:") }) else { return nil }
        let keys = ["\(role):", "\"\(role)\":", "'\(role)':"]
        var start: Int?
        for i in (rolesLine + 1)..<lines.count {
            let line = lines[i]
            if isBlankOrComment(line) { continue }
            if indent(line) == 0 { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if keys.contains(where: { trimmed == $0 || trimmed.hasPrefix($0 + " ") }) {
                start = i
                break
            }
        }
        guard let start else { return nil }
        let level = indent(lines[start])
        var end = start + 1
        while end < lines.count, isBlankOrComment(lines[end]) || indent(lines[end]) > level { end += 1 }
        var section = Array(lines[start..<end])
        while let last = section.last, last.trimmingCharacters(in: .whitespaces).isEmpty { section.removeLast() }
        guard section.count > 1 else { return nil }
        return section.map { String($0.dropFirst(min(level, indent($0)))) }.joined(separator: "\n") + "\n"
    }
}

extension Vault {
    /// The policy in force as `session` may see it (see `PolicyInForce`). A revoked user is
    /// refused like any request.
    package func policyInForce(session: Session) throws(VaultError) -> PolicyInForce {
        let own = try rolePolicy(session)
        let policy = self.policy
        let version = try policyHistory().last { $0.intact && $0.digest == policy.digest }
        let whole = own.allows(.manageUsers)
        let roles = whole ? policy.roleNames.compactMap { policy[$0] } : [own]
        return PolicyInForce(
            scope: whole ? .whole : .ownRole, digest: policy.digest, revision: version?.id,
            appliedAt: version.flatMap { $0.appliedAtMilliseconds > 0 ? Date(timeIntervalSince1970: Double($0.appliedAtMilliseconds) / 1000) : nil },
            yaml: whole ? policy.source : PolicyInForce.section(of: own.name, in: policy.source),
            roles: roles.map { PolicyExplanation($0, schema: schema) })
    }
}
