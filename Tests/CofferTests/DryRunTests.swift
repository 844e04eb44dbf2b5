import CofferSupport
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

/// `--dry-run`: the whole file validated and counted exactly as the import would, nothing
/// written but the audit entry that says a dry run happened.
@Suite struct DryRunTests {
    let fixture: TestVault
    init() throws { fixture = try TestVault() }

    /// Every row of every table but the audit log, in a stable order.
    func contentsButAuditLog() throws -> [String: [[DatabaseValue]]] {
        try fixture.vault.database.read { db in
            var out: [String: [[DatabaseValue]]] = [:]
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for table in tables where table != "audit_log" {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"")
                out[table] = rows.map { row in Array(row.databaseValues) }.sorted { "\($0)" < "\($1)" }
            }
            return out
        }
    }

    func auditCount() throws -> Int {
        try fixture.vault.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log")! }
    }

    @Test func aDryRunCountsWhatTheImportWouldDoAndWritesOnlyItsAuditEntry() throws {
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("first.csv", "customer_ref,full_name,email\nCUS-1,Ada,ada@example.com\nCUS-2,Grace,grace@example.com\n"),
                                        session: fixture.admin)
        // More rows than a batch, a reference seen twice (an insert, then an update of it), an
        // unchanged row, an updated one and two kinds of rejection.
        var text = "customer_ref,full_name,email\nCUS-1,Ada,ada@example.com\nCUS-2,Grace Hopper,grace@example.com\nCUS-3,Bad,not-an-email\n,No Ref,x@example.com\n"
        for i in 0..<(Vault.importBatchSize + 10) { text += "NEW-\(i),New \(i),new\(i)@example.com\n" }
        text += "NEW-5,New Five Again,new5@example.com\n"
        let source = try fixture.file("second.csv", text)
        let before = try contentsButAuditLog()
        let auditBefore = try auditCount()

        let dry = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(dryRun: true))
        #expect(dry.dryRun)
        #expect(dry.rows == Vault.importBatchSize + 15)
        #expect(dry.inserted == Vault.importBatchSize + 10)
        #expect(dry.updated == 2)   // CUS-2, and NEW-5 the second time
        #expect(dry.unchanged == 1)  // CUS-1
        #expect(dry.rejected == 2)
        #expect(dry.rejectionReasons == [.init(reason: "email: not a valid email address", rows: 1), .init(reason: "customer_ref: required", rows: 1)]
                || dry.rejectionReasons == [.init(reason: "customer_ref: required", rows: 1), .init(reason: "email: not a valid email address", rows: 1)])
        #expect(try contentsButAuditLog() == before, "a dry run writes nothing")
        #expect(try auditCount() == auditBefore + 1)
        let entry = try #require(try fixture.vault.auditEntries(AuditQuery()).last)
        #expect(entry.action == .import && entry.outcome == .ok)
        #expect(entry.detail == "customers (dry run): \(dry.rows) rows, \(dry.inserted) would be inserted, 2 updated, 1 unchanged, 2 rejected; nothing written")
        #expect(entry.customers.count == 0)

        // The real import then reports exactly what the dry run said.
        let real = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin)
        #expect(real.inserted == dry.inserted && real.updated == dry.updated && real.unchanged == dry.unchanged && real.rejected == dry.rejected)
        #expect(try contentsButAuditLog() != before)
    }

    @Test func aDryRunOfOrdersSeesEarlierRowsOfTheSameFile() throws {
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", "customer_ref,full_name\nCUS-1,Ada\n"), session: fixture.admin)
        let orders = try fixture.file("o.csv", "customer_ref,order_date,amount,product_category\nCUS-1,2024-01-02,10.00,books\nCUS-1,2024-01-02,10.00,books\nCUS-9,2024-01-02,5.00,books\n")
        let before = try contentsButAuditLog()
        let dry = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin, options: ImportOptions(dryRun: true))
        #expect(dry.inserted == 2 && dry.rejected == 1)
        #expect(dry.rejections.map(\.reason) == ["customer_ref: no customer with this reference (import customers first)"])
        #expect(try contentsButAuditLog() == before)
        // Run twice for real: the second is all unchanged, and a dry run says so too.
        _ = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin)
        let again = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin, options: ImportOptions(dryRun: true))
        #expect(again.inserted == 0 && again.unchanged == 2)
    }

    @Test func aDryRunTakesNoRejectsFileAndAHeaderErrorIsStillRefused() throws {
        let source = try fixture.file("x.csv", "customer_ref,full_name\nCUS-1,Ada\n")
        let rejects = fixture.directory + "/rejects.csv"
        let error = #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(rejectsPath: rejects, dryRun: true))
        }
        #expect(error?.description.contains("a dry run writes nothing") == true)
        #expect(!FileManager.default.fileExists(atPath: rejects))
        let bad = try fixture.file("bad.csv", "shoe_size\n9\n")
        #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: bad, session: fixture.admin, options: ImportOptions(dryRun: true))
        }
        #expect(try fixture.vault.customerCount() == 0)
    }

    @Test func aDryRunIsRefusedToARoleThatMayNotImport() throws {
        let token = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        let sales = try fixture.vault.authenticate(token: token)
        let source = try fixture.file("x.csv", "customer_ref,full_name\nCUS-1,Ada\n")
        #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: source, session: sales, options: ImportOptions(dryRun: true))
        }
        let denied = try #require(try fixture.vault.auditEntries(AuditQuery()).last)
        #expect(denied.outcome == .denied && denied.detail.contains("dry run"))
    }
}
