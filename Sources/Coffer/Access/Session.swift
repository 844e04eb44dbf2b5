import CofferSupport
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
    /// Seconds since 1970-01-01 UTC.
    public var createdAt: Int64
    public var revoked: Bool

    init(name: String, role: String, createdAt: Int64, revoked: Bool) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revoked = revoked
    }

    private enum JSONKeys: String, CodingKey { case name, role, createdAt, revoked }

    /// From the output contract: `created_at` back to whole seconds.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKeys.self)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(String.self, forKey: .role)
        let text = try c.decode(String.self, forKey: .createdAt)
        guard let milliseconds = OutputContract.milliseconds(text) else {
            throw DecodingError.dataCorruptedError(forKey: .createdAt, in: c, debugDescription: "not an output-contract time")
        }
        createdAt = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        revoked = try c.decode(Bool.self, forKey: .revoked)
    }

    /// In JSON (the output contract), `created_at` is an ISO 8601 UTC time.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(OutputContract.timestamp(milliseconds: createdAt * 1000), forKey: .createdAt)
        try c.encode(revoked, forKey: .revoked)
    }
}
