import CofferCrypto
import Foundation
import GRDB

extension Vault {
    /// Prefix of every user token, so leaked tokens are recognizable by scanners.
    static let tokenPrefix = "coffer_"

    /// A new random token: the prefix and 32 random bytes in hex. Shown once, stored hashed.
    static func newToken() throws(VaultError) -> String {
        do { return tokenPrefix + (try SecureRandom.bytes(32)).hexString } catch { throw .crypto(error) }
    }

    static func tokenHash(_ token: String) -> [UInt8] {
        (try? SHA256.hash(Array(token.utf8))) ?? []
    }

    static func validateUserName(_ name: String) throws(VaultError) {
        let ok = !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy {
            (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
        }
        guard ok else { throw .invalidInput("user names are 1 to 64 lowercase letters, digits, '.', '_' or '-'") }
    }

    /// Checks a token; a missing, unknown or revoked token is `notAuthenticated`, and the
    /// failed attempt is audited (without the token).
    public func authenticate(token: String?) throws(VaultError) -> Session {
        guard let token, token.hasPrefix(Self.tokenPrefix) else {
            try audit(actor: "-", role: "-", action: "authenticate", outcome: .denied, detail: token == nil ? "no token" : "malformed token")
            throw .notAuthenticated
        }
        let hash = Self.tokenHash(token)
        let row = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, role, token_hash, revoked_at, mac FROM users WHERE token_hash = ?", arguments: [Data(hash)])
        }
        guard let row, constantTimeEquals([UInt8](row["token_hash"] as Data), hash) else {
            try audit(actor: "-", role: "-", action: "authenticate", outcome: .denied, detail: "unknown token")
            throw .notAuthenticated
        }
        let name: String = row["name"], role: String = row["role"]
        guard try userRowIsIntact(row) else {
            try audit(actor: name, role: role, action: "authenticate", outcome: .denied, detail: "user record altered outside coffer")
            throw .notAuthenticated
        }
        guard (row["revoked_at"] as Int64?) == nil else {
            try audit(actor: name, role: role, action: "authenticate", outcome: .denied, detail: "revoked user")
            throw .notAuthenticated
        }
        return Session(userID: row["id"], name: name, role: role)
    }

    /// Adds a user with `role` and returns its one-time token.
    public func addUser(name: String, role: String, by session: Session) throws(VaultError) -> String {
        try Self.validateUserName(name)
        try authorize(session, .manageUsers, action: "user_add", detail: "user \(name)")
        try requireRole(role)
        let token = try Self.newToken()
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == true {
                throw VaultError.invalidInput("a user named \(name) already exists")
            }
            try db.execute(sql: "INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, role, Data(Self.tokenHash(token)), Int64(Date().timeIntervalSince1970)])
            try self.sealUserRow(named: name, db: db)
            try self.appendAudit(self.draft(session, action: "user_add", detail: "user \(name) role \(role)"), db: db)
        }
        return token
    }

    public func users(by session: Session) throws(VaultError) -> [UserInfo] {
        try authorize(session, .manageUsers, action: "user_list")
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT name, role, created_at, revoked_at FROM users ORDER BY name").map {
                UserInfo(name: $0["name"], role: $0["role"], createdAt: $0["created_at"], revoked: ($0["revoked_at"] as Int64?) != nil)
            }
        }
    }

    public func setRole(of name: String, to role: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: "user_set_role", detail: "user \(name)")
        try requireRole(role)
        try database.write { db in
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role, name])
            guard db.changesCount == 1 else { throw VaultError.invalidInput("no user named \(name)") }
            try self.sealUserRow(named: name, db: db)
            try self.appendAudit(self.draft(session, action: "user_set_role", detail: "user \(name) role \(role)"), db: db)
        }
    }

    /// Revokes a user; the token stops working on the next command.
    public func revokeUser(_ name: String, by session: Session) throws(VaultError) {
        try authorize(session, .manageUsers, action: "user_revoke", detail: "user \(name)")
        try database.write { db in
            try db.execute(sql: "UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                           arguments: [Int64(Date().timeIntervalSince1970), name])
            guard db.changesCount == 1 else { throw VaultError.invalidInput("no active user named \(name)") }
            try self.sealUserRow(named: name, db: db)
            try self.appendAudit(self.draft(session, action: "user_revoke", detail: "user \(name)"), db: db)
        }
    }

    /// Creates the first admin of a new vault (no session exists yet) and returns its token.
    func bootstrapAdmin(name: String, policyYAML: String, policyDigest: String) throws(VaultError) -> String {
        try Self.validateUserName(name)
        let token = try Self.newToken()
        try database.write { db in
            try db.execute(sql: "INSERT INTO users (name, role, token_hash, created_at) VALUES (?, 'admin', ?, ?)",
                           arguments: [name, Data(Self.tokenHash(token)), Int64(Date().timeIntervalSince1970)])
            try self.sealUserRow(named: name, db: db)
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           arguments: [MetaKey.policyMAC.rawValue, Data(try StateMAC(keyRing: self.keyRing).policy(policyYAML))])
            try self.recordPolicyVersion(policyYAML, appliedAt: Vault.nowMilliseconds, db: db)
            try self.appendAudit(self.draft(Session(userID: 0, name: name, role: "admin"), action: "vault_create",
                                            detail: "first admin \(name); policy \(policyDigest)"), db: db)
        }
        return token
    }

    /// Writes the MAC of a user row after any change to it.
    func sealUserRow(named name: String, db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, name, role, token_hash, revoked_at FROM users WHERE name = ?", arguments: [name]) else { return }
        let mac = try StateMAC(keyRing: keyRing).user(id: row["id"], name: row["name"], role: row["role"],
                                                      tokenHash: [UInt8](row["token_hash"] as Data), revokedAt: row["revoked_at"])
        try db.execute(sql: "UPDATE users SET mac = ? WHERE id = ?", arguments: [Data(mac), row["id"] as Int64])
    }

    /// Whether a users row (id, name, role, token_hash, revoked_at, mac) is as coffer wrote it.
    package func userRowIsIntact(_ row: Row) throws(VaultError) -> Bool {
        do {
            let expected = try StateMAC(keyRing: keyRing).user(id: row["id"], name: row["name"], role: row["role"],
                                                               tokenHash: [UInt8](row["token_hash"] as Data), revokedAt: row["revoked_at"])
            return constantTimeEquals(expected, [UInt8](row["mac"] as Data))
        } catch {
            throw .crypto(error)
        }
    }

    func draft(_ session: Session, action: String, purpose: String = "", outcome: AuditEntry.Outcome = .ok,
               fields: [String] = [], customers: CustomerIDSet = CustomerIDSet(), detail: String = "") -> AuditEntry {
        AuditEntry(seq: 0, timeMilliseconds: Vault.nowMilliseconds, actor: session.name, role: session.role,
                   action: action, purpose: purpose, outcome: outcome, fields: fields, customers: customers, detail: detail, mac: [])
    }
}
