import Foundation

/// The caller's own user, role, actions, purposes and field views (`whoami`): no permission
/// needed, and nothing about customers.
public struct WhoAmI: RemoteRequest {
    public static let route = "whoami"

    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Identity {
        try vault.identity(of: caller.session)
    }
}

/// The role policy in force (`policy show`): the whole policy for callers with
/// `manage_users`, the caller's own role for anyone else; its digest, revision and when it was
/// applied. No permission needed, nothing about customers.
public struct ShowPolicy: RemoteRequest {
    public static let route = "policy/show"

    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> PolicyInForce {
        try vault.policyInForce(session: caller.session)
    }
}

/// Adds a staff user (requires `manage_users`). The response holds the user's token: shown
/// this once and never stored in clear.
public struct AddUser: RemoteRequest {
    public static let route = "users/add"
    public static let fields: Set<String> = ["name", "role", "expires_in_days"]

    public var name: String
    public var role: String
    /// Days after which the user's tokens are refused (1 to 3650); nil: no expiry.
    public var expiresInDays: Int?

    public init(name: String, role: String, expiresInDays: Int? = nil) {
        self.name = name
        self.role = role
        self.expiresInDays = expiresInDays
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserToken {
        UserToken(name: name, role: role, token: try vault.addUser(name: name, role: role, expiresInDays: expiresInDays, by: caller.session))
    }
}

/// A user and its new one-time token: shown once, never stored in clear.
public struct UserToken: Sendable, Equatable, Codable {
    public var name: String
    public var role: String
    public var token: String
}

/// Makes a revoked user active again with a new token (requires `manage_users`; audited). The
/// old token stays dead; a user that is not revoked is refused (`ResetUserToken` is for those).
public struct ReinstateUser: RemoteRequest {
    public static let route = "users/reinstate"
    public static let fields: Set<String> = ["name"]

    public var name: String

    public init(name: String) { self.name = name }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserToken {
        try vault.reinstateUser(name, by: caller.session)
    }
}

/// Gives an active user a new token, for a lost or leaked one: the old token stops working at
/// once (requires `manage_users`; audited).
public struct ResetUserToken: RemoteRequest {
    public static let route = "users/reset-token"
    public static let fields: Set<String> = ["name"]

    public var name: String

    public init(name: String) { self.name = name }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserToken {
        try vault.resetToken(of: name, by: caller.session)
    }
}

/// Every user, its role and whether it is revoked (requires `manage_users`; never a token).
public struct ListUsers: RemoteRequest {
    public static let route = "users/list"

    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [UserInfo] {
        try vault.users(by: caller.session)
    }
}

/// What a change to a user did: its role now (when it changed) and whether it is revoked.
public struct UserChange: Sendable, Equatable, Codable {
    public var name: String
    public var role: String?
    public var revoked: Bool
}

/// Gives a user another role of the policy in force (requires `manage_users`).
public struct SetUserRole: RemoteRequest {
    public static let route = "users/set-role"
    public static let fields: Set<String> = ["name", "role"]

    public var name: String
    public var role: String

    public init(name: String, role: String) {
        self.name = name
        self.role = role
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserChange {
        try vault.setRole(of: name, to: role, by: caller.session)
        return UserChange(name: name, role: role, revoked: false)
    }
}

/// Revokes a user: its token stops working on the next request (requires `manage_users`).
public struct RevokeUser: RemoteRequest {
    public static let route = "users/revoke"
    public static let fields: Set<String> = ["name"]

    public var name: String

    public init(name: String) { self.name = name }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserChange {
        try vault.revokeUser(name, by: caller.session)
        return UserChange(name: name, role: nil, revoked: true)
    }
}

/// Makes a policy document the policy in force, after checking it against the vault's schema
/// (requires `manage_users`; audited with the old and new digests).
public struct ApplyPolicy: RemoteRequest, Codable {
    public static let route = "policy/apply"
    public static let fields: Set<String> = ["yaml", "file"]

    public var yaml: String
    /// Where the text came from, for error messages (line numbers refer to it).
    public var file: String

    public init(yaml: String, file: String) {
        self.yaml = yaml
        self.file = file
    }

    /// The digest of the policy now in force.
    public struct Response: Sendable, Equatable, Codable {
        public var digest: String
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        try vault.applyPolicy(yaml: yaml, file: file, by: caller.session)
        return Response(digest: vault.policy.digest)
    }
}

/// What a role sees, field by field (requires `manage_users`); with a customer, that
/// customer's values through the role's views (also a read: audited, and never more than the
/// caller's own views show). A candidate policy can be explained before it is applied.
public struct ExplainRole: VaultRequest {
    public var role: String
    public var customerReference: String?
    /// A policy document to simulate instead of the policy in force, and its file name.
    public var candidate: (yaml: String, file: String)?

    public init(role: String, customerReference: String? = nil, candidate: (yaml: String, file: String)? = nil) {
        self.role = role
        self.customerReference = customerReference
        self.candidate = candidate
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> PolicyExplanation {
        try vault.explain(role: role, customer: customerReference, candidate: candidate, by: caller.session, purpose: caller.purpose)
    }
}

/// The caller replaces its own token (any active user; audited): the answer holds the new
/// token, shown once, and the token the request was made with stops working at once.
public struct RotateOwnToken: RemoteRequest {
    public static let route = "users/rotate-token"

    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> UserToken {
        try vault.rotateOwnToken(by: caller.session)
    }
}
