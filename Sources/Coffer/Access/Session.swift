/// An authenticated user acting on the vault. Obtained only from `Vault.authenticate(token:)`
/// (or `Vault.create`, for the first admin), so every operation that takes a session is
/// performed by someone the vault has checked.
public struct Session: Sendable, Equatable {
    public let userID: Int64
    public let name: String
    public let role: String

    init(userID: Int64, name: String, role: String) {
        self.userID = userID
        self.name = name
        self.role = role
    }
}

/// What `users list` shows: never the token or its hash.
public struct UserInfo: Sendable, Equatable, Codable {
    public var name: String
    public var role: String
    public var createdAt: Int64
    public var revoked: Bool
}
