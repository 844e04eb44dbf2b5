import CofferDemoData
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// The service facade as its adapters use it: open, authenticate, perform typed requests (also
/// concurrently), stream bulk work, and get the vault's errors back unchanged.
@Suite struct VaultServiceTests {
    let fixture: TestVault
    let service: VaultService
    let admin: Caller

    init() async throws {
        fixture = try TestVault()
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        admin = Caller(session: try await service.authenticate(token: fixture.adminToken), purpose: "operations")
    }

    @Test func anAdminPutsThenGetsACustomerThroughTheService() async throws {
        let put = try PutCustomer(json: Data(#"{"customer_ref": "CUS-1", "full_name": "Ada Lovelace", "email": "Ada@Example.com", "consent_marketing": true}"#.utf8))
        let written = try await service.perform(put, as: admin)
        #expect(written.created)
        let again = try await service.perform(put, as: admin)
        #expect(again == PutCustomer.Response(id: written.id, created: false))

        let view = try await service.perform(GetCustomer(reference: "CUS-1"), as: admin)
        #expect(view.id == written.id)
        #expect(view.fields.first { $0.name == "full_name" }?.value == "Ada Lovelace")
        #expect(view.fields.first { $0.name == "email" }?.value == "ada@example.com")
        #expect(view.fields.first { $0.name == "consent_marketing" }?.value == "true")
        let found = try await service.perform(FindCustomers(.email(" ADA@example.COM ")), as: admin)
        #expect(found.map(\.id) == [written.id])
        await #expect(throws: VaultError.noMatch(field: "email", lookedFor: "nobody@example.com")) {
            _ = try await service.perform(FindCustomers(.email("nobody@example.com")), as: admin)
        }

        // One audited write per put and one read per get or find, all by the admin.
        let entries = try await service.perform(ReadAuditLog(AuditQuery(actor: "admin")), as: admin)
        #expect(entries.map(\.action).filter { [.write, .read, .find].contains($0) } == [.write, .write, .read, .find, .find])
    }

    @Test func aMissingWrongOrRevokedTokenIsNotAuthenticated() async throws {
        for token in [nil, "", "not-a-token", fixture.adminToken + "x"] {
            await #expect(throws: VaultError.notAuthenticated) { try await service.authenticate(token: token) }
        }
        let user = try await service.perform(AddUser(name: "sam", role: "support"), as: admin)
        #expect(try await service.authenticate(token: user.token).name == "sam")
        try await service.perform(RevokeUser(name: "sam"), as: admin)
        await #expect(throws: VaultError.notAuthenticated) { try await service.authenticate(token: user.token) }
    }

    @Test func aRoleWithoutTheRightIsDeniedAndTheDenialAudited() async throws {
        let token = try await service.perform(AddUser(name: "ana", role: "analyst"), as: admin).token
        let analyst = Caller(session: try await service.authenticate(token: token), purpose: "analytics")
        await #expect(throws: VaultError.self) { try await service.perform(ListUsers(), as: analyst) }
        await #expect(throws: VaultError.self) { try await service.perform(RotateKEK(), as: analyst) }
        let other = fixture.directory + "/admin-view.csv"
        await #expect(throws: VaultError.self) { try await service.perform(ExportView(role: "admin", to: other), as: analyst) }
        #expect(!FileManager.default.fileExists(atPath: other))
        let denied = try await service.perform(ReadAuditLog(AuditQuery(actor: "ana")), as: admin).filter { $0.outcome == .denied }
        #expect(denied.map(\.action) == [.userList, .keyRotate, .export])
        #expect(try await service.perform(KeyStatus(), as: admin).map(\.version) == [1])
    }

    @Test func aStreamYieldsProgressThenItsResponse() async throws {
        let demo = fixture.directory + "/demo"
        _ = try DemoData.write(customers: 3_000, seed: 5, to: demo)
        var progress: [WorkProgress] = []
        var report: ImportReport?
        for try await event in service.stream(ImportFile(.customers, path: demo + "/customers.csv"), as: admin) {
            switch event {
            case let .progress(step):
                #expect(report == nil, "progress after the response")
                progress.append(step)
            case let .finished(response): report = response
            }
        }
        let imported = try #require(report)
        #expect(imported.rows == 3_000 && imported.inserted + imported.rejected == 3_000)
        #expect(!progress.isEmpty)
        #expect(progress.map(\.completed) == progress.map(\.completed).sorted())
        #expect(progress.allSatisfy { $0.unit == progress[0].unit })
    }

    @Test func aStreamEndsWithTheRequestsError() async throws {
        let missing = fixture.directory + "/no-such.csv"
        var events = 0
        do {
            for try await _ in service.stream(ImportFile(.orders, path: missing), as: admin) { events += 1 }
            Issue.record("the import of a missing file succeeded")
        } catch let error as VaultError {
            guard case .importFile = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(events == 0)
    }

    @Test func badRequestsAreRefusedBeforeAnythingIsWritten() async throws {
        for json in ["[1, 2]", #"{"customer_ref": {"nested": 1}}"#, "not json", ""] {
            #expect(throws: VaultError.self) { try PutCustomer(json: Data(json.utf8)) }
        }
        await #expect(throws: VaultError.missingValue(field: "customer_ref")) {
            try await service.perform(PutCustomer(values: ["full_name": "No Reference"]), as: admin)
        }
        await #expect(throws: VaultError.self) { try await service.perform(RewrapDataKeys(batchSize: 0), as: admin) }
        #expect(try fixture.vault.allCustomerIDs().count == 0)
    }

    @Test func concurrentRequestsAllCompleteAndAreEachAudited() async throws {
        for n in 1...8 {
            _ = try await service.perform(PutCustomer(values: ["customer_ref": "CUS-\(n)", "full_name": "Customer \(n)"]), as: admin)
        }
        let before = try await service.perform(ReadAuditLog(AuditQuery(actor: "admin", action: .read)), as: admin).count
        let service = self.service, admin = self.admin
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for round in 0..<4 {
                for n in 1...8 {
                    group.addTask {
                        let view = try await service.perform(GetCustomer(reference: "CUS-\(n)"), as: admin)
                        return "\(round):" + (view.fields.first { $0.name == "full_name" }?.value ?? "")
                    }
                }
            }
            var names: [String] = []
            for try await name in group { names.append(name) }
            return names
        }
        #expect(names.count == 32 && Set(names.map { $0.split(separator: ":")[1] }).count == 8)
        let reads = try await service.perform(ReadAuditLog(AuditQuery(actor: "admin", action: .read)), as: admin)
        #expect(reads.count == before + 32)
        #expect(try await service.perform(VerifyAudit(), as: admin).isIntact)
    }

    /// Whether the request ran on the service's own threads.
    struct WhereAmI: VaultRequest {
        func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) -> Bool {
            VaultService.isOnServiceThread
        }
    }

    @Test func workRunsOnTheServiceThreadsOrOnTheCallingThreadAsAsked() async throws {
        #expect(service.execution == .dedicatedThreads)
        #expect(await service.perform(WhereAmI(), as: admin))
        let oneShot = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath), execution: .callingThread)
        #expect(oneShot.execution == .callingThread)
        let caller = Caller(session: try await oneShot.authenticate(token: fixture.adminToken), purpose: "operations")
        #expect(await !oneShot.perform(WhereAmI(), as: caller))
        #expect(try await oneShot.perform(KeyStatus(), as: caller).map(\.version) == [1])
        // A stream runs on the service's threads either way, so its progress arrives as it works.
        for try await event in oneShot.stream(WhereAmI(), as: caller) {
            if case let .finished(onServiceThread) = event { #expect(onServiceThread) }
        }
    }

    @Test func accountsAreRecoveredWithANewTokenAndEveryChangeIsAudited() async throws {
        let first = try await service.perform(AddUser(name: "sam", role: "support"), as: admin)
        try await service.perform(RevokeUser(name: "sam"), as: admin)
        // A revoked account keeps its role until it is reinstated.
        await #expect(throws: VaultError.userNotActive("sam")) { try await service.perform(SetUserRole(name: "sam", role: "sales"), as: admin) }
        await #expect(throws: VaultError.userNotActive("sam")) { try await service.perform(ResetUserToken(name: "sam"), as: admin) }

        let reinstated = try await service.perform(ReinstateUser(name: "sam"), as: admin)
        #expect(reinstated.name == "sam" && reinstated.role == "support" && reinstated.token != first.token)
        #expect(try await service.authenticate(token: reinstated.token).name == "sam")
        await #expect(throws: VaultError.notAuthenticated) { try await service.authenticate(token: first.token) }
        await #expect(throws: VaultError.userNotRevoked("sam")) { try await service.perform(ReinstateUser(name: "sam"), as: admin) }

        let reset = try await service.perform(ResetUserToken(name: "sam"), as: admin)
        #expect(reset.role == "support" && reset.token != reinstated.token)
        #expect(try await service.authenticate(token: reset.token).name == "sam")
        await #expect(throws: VaultError.notAuthenticated) { try await service.authenticate(token: reinstated.token) }
        await #expect(throws: VaultError.userNotFound("nobody")) { try await service.perform(ResetUserToken(name: "nobody"), as: admin) }

        // Only user managers may do either; sam (support) is refused and the refusal audited.
        let sam = Caller(session: try await service.authenticate(token: reset.token), purpose: "support_case")
        await #expect(throws: VaultError.self) { try await service.perform(ResetUserToken(name: "admin"), as: sam) }
        let entries = try await service.perform(ReadAuditLog(AuditQuery()), as: admin)
        let changes = entries.filter { [.userReinstate, .userResetToken].contains($0.action) }
        #expect(changes.map(\.outcome) == [.ok, .ok, .denied])
        #expect(changes.allSatisfy { !$0.detail.contains("coffer_") })
        // The reinstated row carries a valid MAC: the user authenticates after a reopen too.
        let reopened = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        #expect(try await reopened.authenticate(token: reset.token).role == "support")
    }

    @Test func everyoneCanSeeTheirOwnAccessAndNothingMore() async throws {
        let token = try await service.perform(AddUser(name: "sam", role: "support"), as: admin).token
        let sam = Caller(session: try await service.authenticate(token: token))
        let identity = try await service.perform(WhoAmI(), as: sam)
        #expect(identity.user == "sam" && identity.access.role == "support")
        #expect(identity.access.actions == ["read"] && identity.access.purposes == ["support_case"])
        let views = Dictionary(uniqueKeysWithValues: identity.access.fields.map { ($0.name, $0.view) })
        #expect(views["customer_ref"] == "plain" && views["email"] == "masked" && views["street_address"] == "redacted")
        #expect(identity.access.fields.map(\.name) == fixture.vault.schema.fieldNames && identity.access.fields.allSatisfy { $0.value == nil })
        // History and derived values, as the role gets them: support sees references in clear,
        // so orders and the outcome come with each customer; derived values are for scoring.
        let history = Dictionary(uniqueKeysWithValues: identity.access.history.map { ($0.name, $0.access) })
        #expect(history["orders"]?.hasPrefix("plain") == true && history["outcome"]?.hasPrefix("plain") == true)
        #expect(history["derived values"] == "not available")
        let anaToken = try await service.perform(AddUser(name: "ana", role: "analyst"), as: admin).token
        let ana = try await service.perform(WhoAmI(), as: Caller(session: try await service.authenticate(token: anaToken)))
        let analystHistory = Dictionary(uniqueKeysWithValues: ana.access.history.map { ($0.name, $0.access) })
        #expect(analystHistory["orders"] == "inside scoring only: summarized into the derived values, never listed")
        #expect(analystHistory["outcome"] == "in aggregate only: conversion by tier in calibrate")
        #expect(analystHistory["derived values"]?.hasPrefix("as scoring-rule inputs") == true)
        // Explaining a role, even one's own, stays an administrator's tool.
        await #expect(throws: VaultError.self) { try await service.perform(ExplainRole(role: "support"), as: sam) }
        // A revoked user learns nothing.
        try await service.perform(RevokeUser(name: "sam"), as: admin)
        await #expect(throws: VaultError.notAuthenticated) { try await service.perform(WhoAmI(), as: sam) }
    }
}
