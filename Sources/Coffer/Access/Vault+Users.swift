import CofferCrypto
import Foundation

extension Vault {
    /// Prefix of every user token, so leaked tokens are recognizable by scanners.
    static let tokenPrefix = "coffer_"

    /// A new token for user `id`: `coffer_<id>_<secret>`, the secret 32 random bytes in hex (as
    /// strong as the prefix-less tokens before it). The user's internal id, never its name (names
    /// may be people's names), lets a server throttle guesses per user before any lookup. Shown
    /// once, stored hashed.
    static func newToken(forUser id: Int64) throws(VaultError) -> String {
        do { return tokenPrefix + "\(id)_" + (try SecureRandom.bytes(32)).hexString } catch { throw .crypto(error) }
    }

    /// The user id a token names (`coffer_<id>_<secret>`), nil for tokens without one (issued
    /// before ids were in tokens, or not coffer tokens). Only a hint for throttling: a token is
    /// authenticated by its hash, and a token whose id is not its user's is refused.
    public static func userID(inToken token: some StringProtocol) -> Int64? {
        guard token.hasPrefix(tokenPrefix) else { return nil }
        let rest = token.dropFirst(tokenPrefix.count)
        guard let separator = rest.firstIndex(of: "_"), rest.distance(from: rest.startIndex, to: separator) <= 19 else { return nil }
        let digits = rest[..<separator]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(digits)
    }

    /// A placeholder hash for a row being inserted, replaced in the same transaction by the hash
    /// of the token that names the row's id (no token hashes to it).
    private static func placeholderHash() throws(VaultError) -> [UInt8] {
        do { return try SecureRandom.bytes(32) } catch { throw .crypto(error) }
    }

    /// Inserts user `name` and gives it its first token (which names the new row's id).
    private func insertUser(name: String, role: String, expiresAt: Int64? = nil, in tx: any StoreWriting) throws -> String {
        let id = try tx.insertUser(name: name, role: role, tokenHash: Self.placeholderHash(), createdAt: Int64(Date().timeIntervalSince1970),
                                   expiresAt: expiresAt)
        let token = try Self.newToken(forUser: id)
        _ = try tx.replaceUserToken(name: name, tokenHash: Self.tokenHash(token))
        return token
    }

    static func tokenHash(_ token: String) -> [UInt8] {
        (try? SHA256.hash(Array(token.utf8))) ?? []
    }

    static func validateUserName(_ name: String) throws(VaultError) {
        let ok = !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy {
            (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
        }
        guard ok else { throw .invalidUserName }
    }

    /// Checks a token; a missing, unknown or revoked token is `notAuthenticated`, and the
    /// failed attempt is audited (without the token).
    package func authenticate(token: String?) throws(VaultError) -> Session {
        guard let token, token.hasPrefix(Self.tokenPrefix) else {
            try audit(.unauthenticated, .authenticate, outcome: .denied, detail: token == nil ? "no token" : "malformed token")
            throw .notAuthenticated
        }
        let hash = Self.tokenHash(token)
        let user = try store.read { tx in try tx.user(tokenHash: hash) }
        guard let user, constantTimeEquals(user.tokenHash, hash), Self.userID(inToken: token).map({ $0 == user.id }) ?? true else {
            try audit(.unauthenticated, .authenticate, outcome: .denied, detail: "unknown token")
            throw .notAuthenticated
        }
        let name = user.name, role = user.role
        guard try userRowIsIntact(user) else {
            try audit(.named(name, role: role), .authenticate, outcome: .denied, detail: "user record altered outside coffer")
            throw .notAuthenticated
        }
        guard user.revokedAt == nil else {
            try audit(.named(name, role: role), .authenticate, outcome: .denied, detail: "revoked user")
            throw .notAuthenticated
        }
        guard !user.isExpired else {
            try audit(.named(name, role: role), .authenticate, outcome: .denied, detail: "expired user")
            throw .notAuthenticated
        }
        return Session(userID: user.id, name: name, role: role)
    }

    /// Adds a user with `role` and returns its one-time token. With `expiresInDays`, the user's
    /// tokens (this one and any later reset or rotation) are refused from then on, like a revoked
    /// user's; the expiry is covered by the row's MAC.
    package func addUser(name: String, role: String, expiresInDays: Int? = nil, by session: Session) throws(VaultError) -> String {
        try Self.validateUserName(name)
        if let days = expiresInDays, !(1...3650).contains(days) { throw .invalidInput("expiry must be 1 to 3650 days") }
        let expiresAt = expiresInDays.map { Int64(Date().timeIntervalSince1970) + Int64($0) * 86_400 }
        try authorize(session, .manageUsers, action: .userAdd, detail: "user \(name)")
        try requireRole(role)
        return try store.write { tx in
            if try tx.user(name: name) != nil { throw VaultError.userExists(name) }
            let token = try self.insertUser(name: name, role: role, expiresAt: expiresAt, in: tx)
            try self.sealUserRow(named: name, in: tx)
            try self.audit(.user(session), .userAdd, detail: "user \(name) role \(role)" + (expiresInDays.map { " expires in \($0) days" } ?? ""), in: tx)
            return token
        }
    }

    package func users(by session: Session) throws(VaultError) -> [UserInfo] {
        try authorize(session, .manageUsers, action: .userList)
        return try store.read { tx in
            try tx.users().map { UserInfo(name: $0.name, role: $0.role, createdAt: $0.createdAt, revoked: $0.revokedAt != nil) }
        }
    }

    package func setRole(of name: String, to role: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: .userSetRole, detail: "user \(name)")
        try requireRole(role)
        try store.write { tx in
            // A revoked account keeps its role until it is reinstated: changing it would be a silent no-op.
            guard let user = try tx.user(name: name) else { throw VaultError.userNotFound(name) }
            guard user.revokedAt == nil else { throw VaultError.userNotActive(name) }
            if self.policy[role]?.allows(.manageUsers) != true { try self.refuseRemovingLastManager(user, in: tx) }
            guard try tx.setUserRole(name: name, role: role) else { throw VaultError.userNotFound(name) }
            try self.sealUserRow(named: name, in: tx)
            try self.audit(.user(session), .userSetRole, detail: "user \(name) role \(role)", in: tx)
        }
    }

    /// Revokes a user; the token stops working on the next command.
    /// Refused (`wouldLockOut`) for the caller's own account and for the last active user who
    /// may manage users: nobody could then add, reinstate or reset anyone.
    package func revokeUser(_ name: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: .userRevoke, detail: "user \(name)")
        guard name != session.name else { throw .wouldLockOut(.revokingSelf) }
        try store.write { tx in
            if let user = try tx.user(name: name), user.revokedAt == nil { try self.refuseRemovingLastManager(user, in: tx) }
            guard try tx.revokeUser(name: name, at: Int64(Date().timeIntervalSince1970)) else { throw VaultError.userNotActive(name) }
            try self.sealUserRow(named: name, in: tx)
            try self.audit(.user(session), .userRevoke, detail: "user \(name)", in: tx)
        }
    }

    /// Makes a revoked user active again with a new one-time token (its old token stays dead).
    package func reinstateUser(_ name: String, by session: Session) throws(VaultError) -> UserToken {
        try replaceToken(of: name, action: .userReinstate, by: session) { user throws(VaultError) in
            guard user.revokedAt != nil else { throw .userNotRevoked(name) }
        }
    }

    /// Gives an active user a new one-time token; the old one stops working at once (a lost or
    /// leaked token).
    package func resetToken(of name: String, by session: Session) throws(VaultError) -> UserToken {
        try replaceToken(of: name, action: .userResetToken, by: session) { user throws(VaultError) in
            guard user.revokedAt == nil else { throw .userNotActive(name) }
        }
    }

    /// Replaces `name`'s token after `check` accepts its row; audited with the change.
    private func replaceToken(of name: String, action: AuditAction, by session: Session,
                              check: (UserRecord) throws(VaultError) -> Void) throws(VaultError) -> UserToken {
        try authorize(session, .manageUsers, action: action, detail: "user \(name)")
        return try writeNewToken(of: name, action: action, by: session, check: check)
    }

    /// The caller replaces its own token (any active user, no permission needed): the old one
    /// stops working at once. Audited as a token reset of its own account.
    package func rotateOwnToken(by session: Session) throws(VaultError) -> UserToken {
        _ = try rolePolicy(session)
        return try writeNewToken(of: session.name, action: .userResetToken, by: session) { user throws(VaultError) in
            guard user.id == session.userID, user.revokedAt == nil else { throw .notAuthenticated }
        }
    }

    /// Gives `name` a new token (after `check` accepts its row), sealed and audited in one transaction.
    private func writeNewToken(of name: String, action: AuditAction, by session: Session,
                              check: (UserRecord) throws(VaultError) -> Void) throws(VaultError) -> UserToken {
        let (role, token) = try store.write { tx -> (String, String) in
            guard let user = try tx.user(name: name) else { throw VaultError.userNotFound(name) }
            try check(user)
            let token = try Self.newToken(forUser: user.id)
            _ = try tx.replaceUserToken(name: name, tokenHash: Self.tokenHash(token))
            try self.sealUserRow(named: name, in: tx)
            try self.audit(.user(session), action, detail: "user \(name) role \(user.role)" + (user.id == session.userID ? " (own token)" : ""), in: tx)
            return (user.role, token)
        }
        return UserToken(name: name, role: role, token: token)
    }

    /// Creates the first admin of a new vault (no session exists yet) and returns its token.
    func bootstrapAdmin(name: String, policyYAML: String, policyDigest: String) throws(VaultError) -> String {
        try Self.validateUserName(name)
        return try store.write { tx in
            let token = try self.insertUser(name: name, role: "admin", in: tx)
            try self.sealUserRow(named: name, in: tx)
            try tx.replaceSetting(MetaKey.policyMAC.rawValue, value: StateMAC(keyRing: self.keyRing).policy(policyYAML))
            try self.recordPolicyVersion(policyYAML, appliedAt: Vault.nowMilliseconds, in: tx)
            try self.audit(.named(name, role: "admin"), .vaultCreate, detail: "first admin \(name); policy \(policyDigest)", in: tx)
            return token
        }
    }

    /// Throws `wouldLockOut` when `user` holds `manage_users` and no other active user with an
    /// intact row does: taking it away (revoking, demoting) would leave nobody to manage users.
    /// Checked inside the change's transaction, so two admins demoting each other cannot both win.
    func refuseRemovingLastManager(_ user: UserRecord, in tx: any StoreReading) throws {
        guard policy[user.role]?.allows(.manageUsers) == true else { return }
        let others = try tx.users().filter { other in
            other.id != user.id && other.revokedAt == nil && !other.isExpired && policy[other.role]?.allows(.manageUsers) == true
                && (try? userRowIsIntact(other)) == true
        }
        if others.isEmpty { throw VaultError.wouldLockOut(.lastManager(user.name)) }
    }

    /// Writes the MAC of a user row after any change to it.
    func sealUserRow(named name: String, in tx: any StoreWriting) throws {
        guard let user = try tx.user(name: name) else { return }
        try tx.setUserMAC(id: user.id, mac: StateMAC(keyRing: keyRing).user(id: user.id, name: user.name, role: user.role,
                                                                            tokenHash: user.tokenHash, revokedAt: user.revokedAt, expiresAt: user.expiresAt))
    }

    /// Whether a user row is as coffer wrote it (its MAC verifies).
    package func userRowIsIntact(_ user: UserRecord) throws(VaultError) -> Bool {
        do {
            let expected = try StateMAC(keyRing: keyRing).user(id: user.id, name: user.name, role: user.role,
                                                               tokenHash: user.tokenHash, revokedAt: user.revokedAt, expiresAt: user.expiresAt)
            return constantTimeEquals(expected, user.mac)
        } catch {
            throw .crypto(error)
        }
    }
}

extension UserRecord {
    /// Whether the user's expiry has passed (its tokens are refused like a revoked user's).
    package var isExpired: Bool {
        expiresAt.map { $0 <= Int64(Date().timeIntervalSince1970) } ?? false
    }
}
