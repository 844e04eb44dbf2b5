import CofferDemoData
import CofferSupport
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

@Suite struct BulkViewTests {
    let fixture: TestVault
    let analyst: Session
    let demo: String

    init() throws {
        fixture = try TestVault()
        demo = fixture.directory + "/demo"
        _ = try DemoData.write(customers: 300, seed: 11, to: demo)
        _ = try fixture.vault.importCSV(.customers, path: demo + "/customers.csv", session: fixture.admin)
        analyst = try fixture.vault.authenticate(token: fixture.vault.addUser(name: "ana", role: "analyst", by: fixture.admin))
    }

    private func rows(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var out: [[String]] = []
        while let record = try reader.next() { out.append(record.fields) }
        return out
    }

    @Test func theAnalystViewExportHoldsNoIdentifiers() throws {
        let out = fixture.directory + "/view.csv"
        let count = try fixture.vault.exportView(to: out, session: analyst, purpose: "analytics")
        #expect(count == 300)
        let exported = try rows(out)
        #expect(exported.count == 301)
        #expect(exported[0] == fixture.vault.policy["analyst"]!.visibleFields)
        #expect(exported.dropFirst().allSatisfy { $0[0].hasPrefix("ps_") })
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // No name, email, phone, street or full reference from the source appears.
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let source = try rows(demo + "/customers.csv")
        let header = source[0]
        for column in ["customer_ref", "full_name", "email", "phone", "street_address", "notes", "birth_date"] {
            let c = header.firstIndex(of: column)!
            for row in source.dropFirst() where row[c].trimmingCharacters(in: .whitespaces).count >= 6 {
                #expect(!text.contains(row[c].trimmingCharacters(in: .whitespaces)), "\(column) leaked")
            }
        }
        // One bulk entry, committed, naming every customer and the fields.
        let entry = try #require(try fixture.vault.auditEntries(AuditQuery(action: .export)).last)
        #expect(entry.customerCount == 300 && entry.actor == "ana" && entry.purpose == "analytics")
        #expect(entry.fields == exported[0])
    }

    @Test func onlyAdministratorsExportAnotherRolesView() throws {
        #expect(throws: VaultError.notPermitted("only administrators may produce another role's view")) {
            try fixture.vault.exportView(role: "admin", to: fixture.directory + "/x.csv", session: analyst, purpose: "analytics")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/x.csv"))
        let out = fixture.directory + "/support.csv"
        try fixture.vault.exportView(role: "support", to: out, session: fixture.admin, purpose: "operations")
        #expect(try rows(out)[0] == fixture.vault.policy["support"]!.visibleFields)
    }

    @Test func pseudonymsReidentifyOnlyWithThePermissionAndAreAudited() throws {
        let out = fixture.directory + "/view.csv"
        try fixture.vault.exportView(to: out, session: analyst, purpose: "analytics")
        let tokens = try rows(out).dropFirst().prefix(5).map { $0[0] }
        #expect(throws: VaultError.self) { _ = try fixture.vault.reidentify(tokens, domain: "analytics", session: analyst, purpose: "analytics") }
        let mapping = try fixture.vault.reidentify(tokens + ["ps_unknown"], domain: "analytics", session: fixture.admin, purpose: "operations")
        #expect(mapping.count == 5)
        #expect(mapping["ps_unknown"] == nil)
        for token in tokens {
            let explained = try fixture.vault.explain(role: "analyst", customer: mapping[token], candidate: nil,
                                                      by: fixture.admin, purpose: "operations")
            #expect(explained.fields.first { $0.name == "customer_ref" }?.value == token)
        }
        #expect(throws: VaultError.self) { _ = try fixture.vault.reidentify(tokens, domain: "nonsense", session: fixture.admin, purpose: "operations") }
        let entry = try #require(try fixture.vault.auditEntries(AuditQuery(action: .reidentify)).first { $0.outcome == .ok })
        #expect(entry.detail == "domain analytics: 5 of 6 pseudonyms re-identified")
        #expect(entry.customerCount == 5)
    }

    @Test func kAnonymityMatchesAnIndependentCount() throws {
        let report = try fixture.vault.privacyCheck(k: 5, session: analyst, purpose: "analytics")
        #expect(report.quasiIdentifiers == ["postal_code", "country", "birth_date", "homeowner"])
        #expect(report.customers == 300)
        // Recount from the exported view.
        let out = fixture.directory + "/view.csv"
        try fixture.vault.exportView(to: out, session: analyst, purpose: "analytics")
        let exported = try rows(out)
        let columns = report.quasiIdentifiers.map { exported[0].firstIndex(of: $0)! }
        var classes: [[String]: Int] = [:]
        for row in exported.dropFirst() { classes[columns.map { row[$0] }, default: 0] += 1 }
        #expect(report.equivalenceClasses == classes.count)
        #expect(report.smallestClass == classes.values.min())
        #expect(report.customersInSmallClasses == classes.values.filter { $0 < 5 }.reduce(0, +))
        #expect(throws: VaultError.anonymityTooWeak(k: 1)) { _ = try fixture.vault.privacyCheck(k: 1, session: analyst, purpose: "analytics") }
    }

    @Test func aValueScanUnwrapsEachDataKeyAndReadsEachOrderOnce() throws {
        _ = try fixture.vault.importCSV(.orders, path: demo + "/orders.csv", session: fixture.admin)
        let request = ScoringScanRequest(fields: ["country"], purchases: true, detail: "test")
        let scan = try fixture.vault.beginScoringScan(request, session: analyst, purpose: "analytics")
        var first: [PurchaseSummary?] = []
        try scan.purchaseSummaries { first += $0 }
        #expect(first.count == 300 && first.contains { $0 != nil })
        // Every wrapped data key and every order is destroyed after the first pass: a rows pass
        // that unwrapped a key or read an order again would fail or lose the statistics.
        try fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE customers SET wrapped_dek = zeroblob(length(wrapped_dek))")
            try db.execute(sql: "DELETE FROM orders")
        }
        var rows: [ScoringRow] = []
        try scan.rows(transform: { $0 }) { rows += $0 }
        #expect(rows.count == 300)
        #expect(rows.map(\.purchases) == first)
        #expect(rows.allSatisfy { $0.reference?.hasPrefix("ps_") == true } && rows.filter { $0.values[0] != nil }.count > 250)
        // A scan without a first pass unwraps each key as it goes: the destroyed keys are found.
        let direct = try fixture.vault.beginScoringScan(ScoringScanRequest(fields: ["country"], detail: "test"), session: analyst, purpose: "analytics")
        #expect(throws: VaultError.self) { try direct.rows(transform: { $0 }) { _ in } }
    }
}
