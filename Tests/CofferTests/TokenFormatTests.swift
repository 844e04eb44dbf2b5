import CofferCrypto
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// Tokens name their user's id (`coffer_<id>_<secret>`), tokens issued before that keep working
/// until rotated, and a user replaces its own token.
@Suite struct TokenFormatTests {
    let fixture: TestVault
    let service: VaultService

    init() async throws {
        fixture = try TestVault()
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
    }

    @Test func newTokensNameTheUserIdAndCarryA256BitSecret() async throws {
        let admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: nil)
        let added = try await service.perform(AddUser(name: "sam", role: "sales"), as: admin)
        let session = try await service.authenticate(token: added.token)
        #expect(added.token.hasPrefix("coffer_\(session.userID)_"))
        #expect(Vault.userID(inToken: added.token) == session.userID)
        let secret = added.token.split(separator: "_").last.map(String.init) ?? ""
        #expect(secret.count == 64 && secret.allSatisfy(\.isHexDigit))
        #expect(fixture.adminToken.hasPrefix("coffer_\(fixture.admin.userID)_"))
        for token in ["coffer_" + String(repeating: "ab", count: 32), "coffer__x", "coffer_12", "other_1_x", "coffer_99999999999999999999_x"] {
            #expect(Vault.userID(inToken: token) == nil, "\(token)")
        }
        // The secret of one user with the id of another is refused.
        let forged = "coffer_\(fixture.admin.userID)_" + secret
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.authenticate(token: forged) }
    }

    @Test func aTokenIssuedBeforeIdsWereInTokensWorksUntilRotated() async throws {
        let old = "coffer_" + (try SecureRandom.bytes(32)).hexString
        try fixture.vault.store.write { tx in
            _ = try tx.insertUser(name: "legacy", role: "sales", tokenHash: Vault.tokenHash(old), createdAt: 0, expiresAt: nil)
            try fixture.vault.sealUserRow(named: "legacy", in: tx)
        }
        let session = try await service.authenticate(token: old)
        #expect(session.name == "legacy")
        let rotated = try await service.perform(RotateOwnToken(), as: Caller(session: session, purpose: nil))
        #expect(rotated.name == "legacy" && rotated.role == "sales" && rotated.token.hasPrefix("coffer_\(session.userID)_"))
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.authenticate(token: old) }
        #expect(try await service.authenticate(token: rotated.token).name == "legacy")
        let entry = try #require(try fixture.vault.auditEntries(AuditQuery()).last { $0.action == .userResetToken })
        #expect(entry.actor == "legacy" && entry.detail == "user legacy role sales (own token)")
        #expect(!entry.detail.contains(rotated.token))
    }

    @Test func aRevokedUserCannotRotate() async throws {
        let admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: nil)
        let added = try await service.perform(AddUser(name: "sam", role: "sales"), as: admin)
        let sam = Caller(session: try await service.authenticate(token: added.token), purpose: nil)
        _ = try await service.perform(RevokeUser(name: "sam"), as: admin)
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.perform(RotateOwnToken(), as: sam) }
    }

    @Test func aTokenWhoseIdWasAlteredToAnotherUsersIsRefusedAndAudited() async throws {
        let admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: nil)
        let sam = try await service.perform(AddUser(name: "sam", role: "sales"), as: admin)
        let secret = try #require(sam.token.split(separator: "_").last.map(String.init))
        let before = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .authenticate }.count
        // Sam's own secret under the admin's id, and under an id no user has.
        for forged in ["coffer_\(fixture.admin.userID)_" + secret, "coffer_999999_" + secret] {
            await #expect(throws: VaultError.notAuthenticated) { _ = try await service.authenticate(token: forged) }
        }
        let entries = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .authenticate }.dropFirst(before)
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.action == .authenticate && $0.outcome == .denied && $0.detail == "unknown token" })
        #expect(!entries.contains { $0.detail.contains(secret) || $0.actor.contains(secret) })
        // Sam's real token is unaffected.
        #expect(try await service.authenticate(token: sam.token).name == "sam")
    }

    @Test func anExpiredUserIsRefusedLikeARevokedOneAndAudited() async throws {
        let admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: nil)
        let sam = try await service.perform(AddUser(name: "sam", role: "sales", expiresInDays: 90), as: admin)
        let session = try await service.authenticate(token: sam.token)
        await #expect(throws: VaultError.invalidInput("expiry must be 1 to 3650 days")) {
            _ = try await service.perform(AddUser(name: "eve", role: "sales", expiresInDays: 0), as: admin)
        }
        // The expiry is covered by the row's MAC: moved by SQL, the row is refused.
        try await fixture.vault.database.write { db in try db.execute(sql: "UPDATE users SET expires_at = expires_at + 86400 WHERE name = 'sam'") }
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.authenticate(token: sam.token) }
        // Time passes: the expiry is in the past (resealed as coffer would have written it).
        try await fixture.vault.database.write { db in try db.execute(sql: "UPDATE users SET expires_at = 1000 WHERE name = 'sam'") }
        try fixture.vault.store.write { tx in try fixture.vault.sealUserRow(named: "sam", in: tx) }
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.authenticate(token: sam.token) }
        await #expect(throws: VaultError.notAuthenticated) { _ = try await service.perform(WhoAmI(), as: Caller(session: session, purpose: nil)) }
        let denied = try fixture.vault.auditEntries(AuditQuery()).filter { $0.outcome == .denied && $0.actor == "sam" }
        #expect(denied.contains { $0.action == .authenticate && $0.detail == "expired user" })
        #expect(denied.contains { $0.action == .authorize && $0.detail == "expired user" })
    }
}
