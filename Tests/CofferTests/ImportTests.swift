import CofferDemoData
import CofferSupport
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

@Suite struct ImportTests {
    static let header = "customer_ref,full_name,email,phone,country,birth_date,annual_income,homeowner,need,notes\n"

    @Test func validRowsAreImportedAndInvalidOnesReportedByLine() throws {
        let fixture = try TestVault()
        let csv = Self.header + """
            CUS-1,Ada Lovelace, Ada@Example.COM ,+44 20 7946 0958,GB,1985-12-10,98000.00,true,high,"Likes commas, ""quotes""
            and newlines"
            CUS-2,张伟,zhang.wei@example.cn,+86 10 1234 5678,CN,1979-03-01,,false,medium,
            CUS-3,Олена Коваленко,not-an-email,+380 44 123 4567,UA,1990-05-05,,,low,
            CUS-4,Bad Date,b@example.com,,DE,1990-13-01,,,,
            CUS-5,Too Few,c@example.com
            ,No Reference,d@example.com,,FR,,,,,
            CUS-6,Ана Петренко,ana@example.ua,,UA,,,yes,HIGH,Примітка

            """
        let path = try fixture.file("customers.csv", csv)
        let report = try fixture.vault.importCSV(.customers, path: path, session: fixture.admin)
        #expect(report.rows == 7)
        #expect(report.inserted == 3)
        #expect(report.updated == 0)
        #expect(report.rejected == 4)
        #expect(report.rejections == [
            .init(line: 5, reason: "email: not a valid email address"),
            .init(line: 6, reason: "birth_date: not a valid date (use YYYY-MM-DD)"),
            .init(line: 7, reason: "has 3 fields, the header has 10"),
            .init(line: 8, reason: "customer_ref: required"),
        ])
        // No rejected value is echoed.
        for rejection in report.rejections {
            for secret in ["not-an-email", "1990-13-01", "Олена", "No Reference"] { #expect(!rejection.reason.contains(secret)) }
        }
        let ada = try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")
        #expect(ada["email"] == "ada@example.com")
        #expect(ada["notes"] == "Likes commas, \"quotes\"\nand newlines")
        #expect(try fixture.vault.customer(reference: "CUS-2", session: fixture.admin, purpose: "operations")["full_name"] == "张伟")
        let ana = try fixture.vault.customer(reference: "CUS-6", session: fixture.admin, purpose: "operations")
        #expect(ana["full_name"] == "Ана Петренко")
        #expect(ana["need"] == "high")
        #expect(ana["homeowner"] == "true")
        #expect(throws: VaultError.customerNotFound) { _ = try fixture.vault.customer(reference: "CUS-3", session: fixture.admin, purpose: "operations") }
        // Email and phone lookups are normalized.
        #expect(try fixture.vault.find(.email(" Ada@Example.COM "), session: fixture.admin, purpose: "operations").map(\.id) == [ada.id])
        #expect(try fixture.vault.find(.phone("00442079460958"), session: fixture.admin, purpose: "operations").map(\.id) == [ada.id])
        #expect(try fixture.vault.find(.phone("+44 (20) 7946-0958"), session: fixture.admin, purpose: "operations").map(\.id) == [ada.id])
        #expect(throws: VaultError.noMatch(field: "email", lookedFor: "nobody@example.com")) {
            _ = try fixture.vault.find(.email("nobody@example.com"), session: fixture.admin, purpose: "operations")
        }
    }

    @Test func reimportUpsertsByReferenceAndConverges() throws {
        let fixture = try TestVault()
        let first = try fixture.file("a.csv", Self.header + "CUS-1,Ada,ada@example.com,,GB,,,,,\nCUS-2,Grace,grace@example.com,,US,,,,,\n")
        _ = try fixture.vault.importCSV(.customers, path: first, session: fixture.admin)
        let again = try fixture.vault.importCSV(.customers, path: first, session: fixture.admin)
        // The same rows again: nothing to write, and said so.
        #expect(again.inserted == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == 2)
        #expect(try fixture.vault.customerCount() == 2)
        // A partial file updates only the columns it names and re-indexes changed emails.
        let partial = try fixture.file("b.csv", "customer_ref,email\nCUS-1,ada@lovelace.org\n")
        let report = try fixture.vault.importCSV(.customers, path: partial, session: fixture.admin)
        #expect(report.updated == 1)
        let ada = try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")
        #expect(ada["full_name"] == "Ada")
        #expect(ada["email"] == "ada@lovelace.org")
        #expect(throws: VaultError.noMatch(field: "email", lookedFor: "ada@example.com")) {
            _ = try fixture.vault.find(.email("ada@example.com"), session: fixture.admin, purpose: "operations")
        }
        #expect(try fixture.vault.find(.email("ada@lovelace.org"), session: fixture.admin, purpose: "operations").map(\.id) == [ada.id])
        // An empty cell clears the field and its index entry.
        let clear = try fixture.file("c.csv", "customer_ref,email\nCUS-1,\n")
        _ = try fixture.vault.importCSV(.customers, path: clear, session: fixture.admin)
        #expect(try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")["email"] == nil)
        #expect(throws: VaultError.noMatch(field: "email", lookedFor: "ada@lovelace.org")) {
            _ = try fixture.vault.find(.email("ada@lovelace.org"), session: fixture.admin, purpose: "operations")
        }
        // A new customer without its required name is rejected; the file's other rows still land.
        let missing = try fixture.file("d.csv", "customer_ref,email\nCUS-9,x@example.com\nCUS-2,g@example.com\n")
        let r = try fixture.vault.importCSV(.customers, path: missing, session: fixture.admin)
        #expect(r.rejections == [.init(line: 2, reason: "full_name: required")])
        #expect(r.updated == 1)
        #expect(try fixture.vault.customerCount() == 2)
    }

    @Test func duplicateReferencesInOneFileKeepTheLastRow() throws {
        let fixture = try TestVault()
        let path = try fixture.file("dup.csv", "customer_ref,full_name\nCUS-1,First\nCUS-1,Second\n")
        let report = try fixture.vault.importCSV(.customers, path: path, session: fixture.admin)
        #expect(report.rejected == 0)
        #expect(report.inserted == 1)
        #expect(report.updated == 1)
        #expect(try fixture.vault.customerCount() == 1)
        #expect(try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")["full_name"] == "Second")
    }

    @Test func aBadHeaderRefusesTheWholeFileAndWritesNothing() throws {
        let fixture = try TestVault()
        let before = try fixture.vault.customerCount()
        let cases: [(String, String)] = [
            ("customer_ref,full_name,favourite_colour\nCUS-1,Ada,red\n", "bad.csv:1: column 3 'favourite_colour' is not a customers field"),
            ("Ada Lovelace,ada@example.com\n", "bad.csv:1: column 1 is not a customers field (is the header row missing, or is this a CRM export that needs --map?)"),
            ("full_name,email\nAda,a@example.com\n", "bad.csv:1: missing column 'customer_ref'; add it to the header"),
            ("customer_ref,full_name,full_name\nCUS-1,Ada,Ada\n", "bad.csv:1: column 'full_name' appears twice"),
            ("", "bad.csv:1: the file is empty; expected a header row"),
        ]
        for (text, message) in cases {
            let path = try fixture.file("bad.csv", text)
            let error = #expect(throws: VaultError.self) { _ = try fixture.vault.importCSV(.customers, path: path, session: fixture.admin) }
            let description = error?.description ?? ""
            #expect(description.hasPrefix(fixture.directory + "/" + message), "\(description)")
        }
        #expect(try fixture.vault.customerCount() == before)
        #expect(throws: VaultError.self) { _ = try fixture.vault.importCSV(.customers, path: fixture.directory + "/absent.csv", session: fixture.admin) }
    }

    @Test func anUnterminatedQuoteRejectsTheRestButKeepsTheRowsBefore() throws {
        let fixture = try TestVault()
        var text = "customer_ref,full_name\n"
        for i in 1...4_500 { text += "CUS-\(i),Person \(i)\n" }
        text += "CUS-X,\"never closed\nCUS-Y,Lost\n"
        let report = try fixture.vault.importCSV(.customers, path: fixture.file("q.csv", text), session: fixture.admin)
        #expect(report.inserted == 4_500)
        #expect(report.rejections == [.init(line: 4_502, reason: "unterminated quoted field; the file from this line on was not imported")])
        #expect(try fixture.vault.customerCount() == 4_500)
    }

    @Test func aFileOfInvalidRowsIsReportedWithBoundedListing() throws {
        let fixture = try TestVault()
        var text = "customer_ref,full_name,email\n"
        for i in 1...5_000 { text += "CUS-\(i),P,not-an-email-\(i)\n" }
        let report = try fixture.vault.importCSV(.customers, path: fixture.file("bad.csv", text), session: fixture.admin)
        #expect(report.rows == 5_000)
        #expect(report.rejected == 5_000)
        #expect(report.rejections.count == ImportReport.maximumListedRejections)
        #expect(report.rejections.first == .init(line: 2, reason: "email: not a valid email address"))
        #expect(try fixture.vault.customerCount() == 0)
    }

    @Test func ordersAndOutcomesAttachToCustomersAndReimportsConverge() throws {
        let fixture = try TestVault()
        _ = try fixture.vault.importCSV(.customers, path: fixture.file("c.csv", "customer_ref,full_name\nCUS-1,Ada\nCUS-2,Grace\n"), session: fixture.admin)
        let orders = try fixture.file("o.csv", """
            customer_ref,order_date,amount,product_category
            CUS-1,2025-01-10,19.90,books
            CUS-1,2025-01-10,19.90,books
            CUS-1,2025-03-02,250.00,hardware
            CUS-2,2025-02-01,5,books
            CUS-9,2025-02-01,5,books
            CUS-2,2025-02-30,5,books
            CUS-2,2025-02-01,-5,books

            """)
        let first = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin)
        #expect(first.inserted == 4) // the same-day identical purchase counts twice
        #expect(first.rejections.map(\.line) == [6, 7, 8])
        #expect(first.rejections[0].reason == "customer_ref: no customer with this reference (import customers first)")
        #expect(first.rejections[2].reason == "amount: below the minimum 0")
        let second = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin)
        #expect(second.inserted == 0)
        #expect(second.unchanged == 4)
        let ada = try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")
        #expect(ada.orders.map(\.amount) == ["19.90", "19.90", "250.00"])

        let outcomes = try fixture.file("w.csv", "customer_ref,outcome,closed_at\nCUS-1,won,2025-04-01\nCUS-2,maybe,2025-04-01\n")
        let r = try fixture.vault.importCSV(.outcomes, path: outcomes, session: fixture.admin)
        #expect(r.inserted == 1)
        #expect(r.rejections == [.init(line: 3, reason: "outcome: not one of the allowed values (won, lost)")])
        let update = try fixture.file("w2.csv", "customer_ref,outcome,closed_at\nCUS-1,lost,2025-05-01\n")
        #expect(try fixture.vault.importCSV(.outcomes, path: update, session: fixture.admin).updated == 1)
        #expect(try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations").outcome == OutcomeView(outcome: "lost", closedAt: "2025-05-01"))
        #expect(throws: VaultError.self) {
            _ = try fixture.vault.importCSV(.orders, path: try fixture.file("x.csv", "customer_ref,order_date\nCUS-1,2025-01-01\n"), session: fixture.admin)
        }
    }

    @Test func nothingPIIBearingIsStoredInPlaintext() throws {
        let fixture = try TestVault()
        let directory = fixture.directory + "/demo"
        _ = try DemoData.write(customers: 300, seed: 7, to: directory)
        for kind in ImportKind.allCases {
            let report = try fixture.vault.importCSV(kind, path: "\(directory)/\(kind.rawValue).csv", session: fixture.admin)
            #expect(report.rejected == 0, "\(kind): \(report.rejections.prefix(3))")
        }
        // Collect every distinct value of length >= 5 from the source files (names, emails,
        // phones, addresses, notes, refs, dates, amounts...) and grep the stored bytes for each.
        let stored = try fixture.storedBytes()
        var needles = Set<String>()
        for kind in ImportKind.allCases {
            let reader = try CSVReader(path: "\(directory)/\(kind.rawValue).csv")
            _ = try reader.next()
            while let record = try reader.next() {
                for value in record.fields {
                    let trimmed = value.trimmingCharacters(in: .whitespaces)
                    if trimmed.utf8.count >= 6, !["false", "medium", "referral", "outbound"].contains(trimmed) { needles.insert(trimmed) }
                }
            }
        }
        #expect(needles.count > 1000)
        let haystack = Data(stored)
        var leaked: [String] = []
        for needle in needles where haystack.range(of: Data(needle.utf8)) != nil || haystack.range(of: Data(needle.lowercased().utf8)) != nil {
            leaked.append(needle)
        }
        // Words of the stored schema and table definitions are metadata, not PII
        // (an occupation "Retired" matches the key state 'retired').
        let metadata = try TestVault.schema().source.lowercased()
        let ddl = try fixture.vault.database.read { db in try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL") }
            .joined().lowercased()
        leaked.removeAll { metadata.contains($0.lowercased()) || ddl.contains($0.lowercased()) }
        #expect(leaked.isEmpty, "\(leaked.count) plaintext values found in the database (values withheld)")
    }
}

@Suite struct EraseTests {
    @Test func eraseDestroysEverythingAboutTheCustomer() throws {
        let fixture = try TestVault()
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        var other = sampleCustomer
        other["customer_ref"] = "CUS-0002"
        other["email"] = "grace@example.com"
        other["phone"] = "+1 415 555 0134"
        try fixture.vault.put(other, session: fixture.admin)
        _ = try fixture.vault.importCSV(.orders, path: fixture.file("o.csv", "customer_ref,order_date,amount,product_category\nCUS-0001,2025-01-01,10.00,books\n"), session: fixture.admin)
        _ = try fixture.vault.importCSV(.outcomes, path: fixture.file("w.csv", "customer_ref,outcome,closed_at\nCUS-0001,won,2025-01-02\n"), session: fixture.admin)
        let wrapped = try fixture.vault.database.read { db in
            [UInt8](try Data.fetchOne(db, sql: "SELECT wrapped_dek FROM customers WHERE id = 1")!)
        }
        let id = try fixture.vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: "data_subject_request").customerID
        #expect(id == 1)
        #expect(throws: VaultError.customerNotFound) { _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
        #expect(throws: VaultError.noMatch(field: "email", lookedFor: "ada@example.com")) {
            _ = try fixture.vault.find(.email("ada@example.com"), session: fixture.admin, purpose: "operations")
        }
        #expect(throws: VaultError.noMatch(field: "phone", lookedFor: "+442079460958")) {
            _ = try fixture.vault.find(.phone("+44 20 7946 0958"), session: fixture.admin, purpose: "operations")
        }
        let leftovers = try fixture.vault.database.read { db in
            try ["customers WHERE id = 1", "blind_index WHERE customer_id = 1", "orders WHERE customer_id = 1", "outcomes WHERE customer_id = 1"]
                .map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1 }
        }
        #expect(leftovers == [0, 0, 0, 0])
        // The wrapped data key is gone from the file and the WAL (secure_delete + checkpoint).
        #expect(!(try fixture.storedBytes()).contains(wrapped))
        // Erased again: the erasure record answers, without any of the customer's data.
        let record = try #require(try fixture.vault.erasureRecord(digest: fixture.vault.erasureDigest("CUS-0001", worker: CryptoWorker(keyRing: fixture.vault.keyRing))))
        #expect(throws: VaultError.customerErased(record)) {
            try fixture.vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        }
        #expect(throws: VaultError.customerNotFound) { try fixture.vault.erase(reference: "CUS-NEVER", session: fixture.admin, purpose: "operations") }
        #expect(try fixture.vault.customer(reference: "CUS-0002", session: fixture.admin, purpose: "operations")["email"] == "grace@example.com")
        // The reference can be used again for a new customer with a new id.
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        #expect(try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations").id == 3)
    }

    @Test func eraseRefusesToClaimSuccessWhileAReaderPinsTheWAL() throws {
        let fixture = try TestVault()
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        let reader = try DatabaseQueue(path: fixture.vault.databasePath)
        try reader.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM customers")
            #expect(throws: VaultError.checkpointBlocked) { try fixture.vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
        }
        // Once the reader is gone the checkpoint completes.
        try fixture.vault.checkpoint()
        #expect(throws: VaultError.customerNotFound) { _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
    }

    @Test func putValidatesEverythingBeforeWriting() throws {
        let fixture = try TestVault()
        var bad = sampleCustomer
        bad["email"] = "nope"
        #expect(throws: VaultError.invalidValue(ValueRejection(field: "email", reason: "not a valid email address"))) { try fixture.vault.put(bad, session: fixture.admin) }
        #expect(throws: VaultError.self) { try fixture.vault.put(["customer_ref": "X", "full_name": "Y", "shoe_size": "9"], session: fixture.admin) }
        #expect(throws: VaultError.missingValue(field: "customer_ref")) { try fixture.vault.put(["full_name": "Y"], session: fixture.admin) }
        #expect(throws: VaultError.invalidInput("full_name: required")) { try fixture.vault.put(["customer_ref": "X"], session: fixture.admin) }
        #expect(try fixture.vault.customerCount() == 0)
        let created = try fixture.vault.put(sampleCustomer, session: fixture.admin)
        #expect(created.created)
        let updated = try fixture.vault.put(["customer_ref": "CUS-0001", "notes": nil], session: fixture.admin)
        #expect(!updated.created)
        #expect(try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")["notes"] == nil)
        #expect(throws: VaultError.invalidInput("full_name: required")) { try fixture.vault.put(["customer_ref": "CUS-0001", "full_name": nil], session: fixture.admin) }
    }
}
