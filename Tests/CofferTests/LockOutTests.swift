import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// Nobody can lock the vault's administrators out: an admin cannot revoke itself, and the last
/// active user who may manage users can be neither revoked nor demoted. Each refusal is one
/// `wouldLockOut` error (409, exit 1) and changes nothing.
@Suite struct LockOutTests {
    let fixture: TestVault
    let service: VaultService
    let admin: Caller

    init() async throws {
        fixture = try TestVault()
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: nil)
    }

    func users() async throws -> [UserInfo] { try await service.perform(ListUsers(), as: admin) }

    @Test func anAdminCannotRevokeItself() async throws {
        let name = admin.session.name
        _ = try await service.perform(AddUser(name: "second", role: "admin"), as: admin)
        await #expect(throws: VaultError.wouldLockOut(.revokingSelf)) { _ = try await service.perform(RevokeUser(name: name), as: admin) }
        #expect(try await users().first { $0.name == name }?.revoked == false)
        #expect(VaultError.wouldLockOut(.revokingSelf).httpStatus == 409)
        #expect(VaultError.wouldLockOut(.revokingSelf).code == "would_lock_out")
        #expect(VaultError.wouldLockOut(.revokingSelf).exitCode == 1)
    }

    @Test func theLastManagerCanBeNeitherRevokedNorDemoted() async throws {
        let name = admin.session.name
        // Alone, the first admin cannot demote itself.
        await #expect(throws: VaultError.wouldLockOut(.lastManager(name))) {
            _ = try await service.perform(SetUserRole(name: name, role: "analyst"), as: admin)
        }
        let second = try await service.perform(AddUser(name: "second", role: "admin"), as: admin)
        let other = Caller(session: try await service.authenticate(token: second.token), purpose: nil)
        // With a second admin, demoting the first is allowed.
        _ = try await service.perform(SetUserRole(name: name, role: "sales"), as: other)
        // Now "second" is the last manager: it cannot demote itself, nor revoke itself.
        await #expect(throws: VaultError.wouldLockOut(.lastManager("second"))) {
            _ = try await service.perform(SetUserRole(name: "second", role: "analyst"), as: other)
        }
        await #expect(throws: VaultError.wouldLockOut(.revokingSelf)) { _ = try await service.perform(RevokeUser(name: "second"), as: other) }
        let listed = try await service.perform(ListUsers(), as: other)
        #expect(listed.first { $0.name == "second" }?.role == "admin" && listed.first { $0.name == "second" }?.revoked == false)
        // A third manager, and the last one of the other two may be revoked by it, then not the remaining one.
        let third = try await service.perform(AddUser(name: "third", role: "admin"), as: other)
        let thirdCaller = Caller(session: try await service.authenticate(token: third.token), purpose: nil)
        _ = try await service.perform(RevokeUser(name: "second"), as: thirdCaller)
        // Re-promoting the first admin and having it try to revoke the only other manager: refused.
        await #expect(throws: VaultError.wouldLockOut(.lastManager("third"))) {
            _ = try await service.perform(SetUserRole(name: "third", role: "support"), as: thirdCaller)
        }
        let refusal = VaultError.wouldLockOut(.lastManager("third"))
        #expect(refusal.description.contains("add (or reinstate) another user with manage_users first"))
    }

    @Test func aRevokedManagerDoesNotCount() async throws {
        _ = try await service.perform(AddUser(name: "gone", role: "admin"), as: admin)
        _ = try await service.perform(RevokeUser(name: "gone"), as: admin)
        let helper = try await service.perform(AddUser(name: "helper", role: "admin"), as: admin)
        let helperCaller = Caller(session: try await service.authenticate(token: helper.token), purpose: nil)
        _ = try await service.perform(SetUserRole(name: admin.session.name, role: "support"), as: helperCaller)
        // "helper" is now the only active manager ("gone" is revoked).
        await #expect(throws: VaultError.wouldLockOut(.lastManager("helper"))) {
            _ = try await service.perform(SetUserRole(name: "helper", role: "support"), as: helperCaller)
        }
        let entries = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .userSetRole }
        #expect(entries.count == 1, "a refused change writes no change entry")
    }
}
