import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

/// What the vault told its observer: one size per committed group, one per failed group.
final class CommitLog: AuditCommitObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var committedSizes: [Int] = []
    private var failedSizes: [Int] = []

    var committed: [Int] { lock.withLock { committedSizes } }
    var failed: [Int] { lock.withLock { failedSizes } }

    func auditCommitted(entries: Int, duration: Duration) { lock.withLock { committedSizes.append(entries) } }
    func auditCommitFailed(entries: Int, duration: Duration) { lock.withLock { failedSizes.append(entries) } }
}

/// Group commit of audit entries written on their own: concurrent reads share a transaction,
/// each read still has exactly its own entry, the chain stays one chain, and a failed group
/// fails every read in it.
@Suite struct AuditGroupCommitTests {
    let fixture: TestVault
    let service: VaultService
    let sales: Caller
    let emails: [String]

    static let customers = 40

    init() async throws {
        fixture = try TestVault()
        var csv = "customer_ref,full_name,email\n"
        for i in 1...Self.customers { csv += "CUS-\(i),Customer \(i),c\(i)@example.com\n" }
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", csv), session: fixture.admin)
        let token = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath),
                                              execution: .dedicatedThreads)
        sales = Caller(session: try await service.authenticate(token: token), purpose: "prospecting")
        emails = (1...Self.customers).map { "c\($0)@example.com" }
    }

    func findEntries() throws -> [AuditEntry] {
        try fixture.vault.auditEntries(AuditQuery(actor: "sam", action: .find))
    }

    /// 64 tasks at once, `rounds` finds each; each result is the customer found or the error.
    func concurrentFinds(tasks: Int = 64, rounds: Int) async -> [Result<[CustomerView], VaultError>] {
        let service = service, sales = sales, emails = emails
        return await withTaskGroup(of: [Result<[CustomerView], VaultError>].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var results: [Result<[CustomerView], VaultError>] = []
                    for round in 0..<rounds {
                        let email = emails[(task * rounds + round) % emails.count]
                        do throws(VaultError) {
                            results.append(.success(try await service.perform(FindCustomers(.email(email)), as: sales)))
                        } catch {
                            results.append(.failure(error))
                        }
                    }
                    return results
                }
            }
            var all: [Result<[CustomerView], VaultError>] = []
            for await results in group { all += results }
            return all
        }
    }

    @Test func concurrentReadsShareCommitsAndEachHasItsOwnEntry() async throws {
        let log = CommitLog()
        service.observeAuditCommits(log)
        let rounds = 20
        let results = await concurrentFinds(rounds: rounds)
        let views = try results.map { try $0.get() }
        #expect(views.count == 64 * rounds)
        #expect(views.allSatisfy { $0.count == 1 })

        let entries = try findEntries()
        #expect(entries.count == 64 * rounds)
        #expect(entries.allSatisfy { $0.outcome == .ok && $0.customers.count == 1 })
        // Every customer read has its entry: per customer, as many entries as reads answered.
        var readsPerCustomer: [Int64: Int] = [:]
        for view in views { readsPerCustomer[view[0].internalID, default: 0] += 1 }
        var entriesPerCustomer: [Int64: Int] = [:]
        for entry in entries { entriesPerCustomer[entry.customers.ids[0], default: 0] += 1 }
        #expect(readsPerCustomer == entriesPerCustomer)
        // One chain: consecutive seqs, no gaps, no repeats, and it verifies.
        let all = try fixture.vault.auditEntries(AuditQuery())
        #expect(all.map(\.seq) == Array(1...Int64(all.count)))
        #expect(all.map(\.timeMilliseconds) == all.map(\.timeMilliseconds).sorted())
        let verification = try fixture.vault.verifyAudit()
        #expect(verification.isIntact)
        #expect(verification.entries == Int64(all.count))

        // Fewer commits than entries: groups of more than one.
        let committed = log.committed
        #expect(committed.reduce(0, +) == 64 * rounds)
        #expect(committed.count < 64 * rounds)
        #expect(committed.contains { $0 > 1 })
        #expect(log.failed.isEmpty)
    }

    @Test func aCallerAloneCommitsAtOnceInAGroupOfOne() async throws {
        let log = CommitLog()
        service.observeAuditCommits(log)
        for email in emails.prefix(5) {
            _ = try await service.perform(FindCustomers(.email(email)), as: sales)
        }
        #expect(log.committed == [1, 1, 1, 1, 1])
        #expect(try findEntries().count == 5)
    }

    @Test func aFailingStoreFailsEveryWaiterAndReleasesNothing() async throws {
        let log = CommitLog()
        service.observeAuditCommits(log)
        let writer = service.vault.store.queue
        // The service's own connection may not grow the database beyond its size now (SQLite's
        // page limit, as a full disk would): once the last page has no room, every write fails.
        try await writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        var filled = false
        for attempt in 0..<5_000 {
            do throws(VaultError) {
                _ = try await service.perform(FindCustomers(.email(emails[attempt % emails.count])), as: sales)
            } catch {
                #expect(error.code == "audit_unavailable")
                #expect(error.description.contains("full"))
                filled = true
                break
            }
        }
        try #require(filled)
        let entriesBefore = try fixture.vault.auditEntries(AuditQuery()).count
        let failedBefore = log.failed.reduce(0, +)

        let results = await concurrentFinds(rounds: 2)
        #expect(results.count == 128)
        for result in results {
            switch result {
            case .success: Issue.record("a read released data without its audit entry")
            case let .failure(error): #expect(error.code == "audit_unavailable" && error.httpStatus == 503)
            }
        }
        // Every refused read was in a failed group, and none of them left an entry.
        #expect(log.failed.reduce(0, +) - failedBefore == 128)
        #expect(try fixture.vault.auditEntries(AuditQuery()).count == entriesBefore)
        await #expect(throws: VaultError.self) { try await service.checkReadiness() }

        // Room again: reads and readiness recover, and the chain is whole.
        try await writer.writeWithoutTransaction { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
        try await service.checkReadiness()
        let found = try await service.perform(FindCustomers(.email(emails[0])), as: sales)
        #expect(found.count == 1)
        #expect(try fixture.vault.auditEntries(AuditQuery()).count == entriesBefore + 1)
        #expect(try fixture.vault.verifyAudit().isIntact)
    }
}
