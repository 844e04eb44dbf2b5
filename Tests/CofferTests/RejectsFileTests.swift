import CofferSupport
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// `--rejects`: the rejected rows written back out, to fix and import again.
@Suite struct RejectsFileTests {
    let fixture: TestVault
    init() throws { fixture = try TestVault() }

    func records(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var out: [[String]] = []
        while let record = try reader.next() { out.append(record.fields) }
        return out
    }

    @Test func rejectedCustomersRoundTripThroughTheRejectsFile() throws {
        let source = try fixture.file("customers.csv", """
            customer_ref,full_name,email,birth_date
            CUS-1,Ada Lovelace,ada@example.com,1985-12-10
            CUS-2,"Bob, the Builder",not-an-email,1979-03-01
            CUS-3,Олена Коваленко,olena@example.ua,1990-13-01
            CUS-4,Too Few
            ,No Reference,d@example.com,

            """)
        let rejects = fixture.directory + "/rejects.csv"
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(rejectsPath: rejects))
        #expect(report.inserted == 1 && report.rejected == 4 && report.rejectsFile == rejects)
        #expect(try FileManager.default.attributesOfItem(atPath: rejects)[.posixPermissions] as? Int == 0o600)
        #expect(try records(rejects) == [
            ["customer_ref", "full_name", "email", "birth_date", "coffer_reject_reason"],
            ["CUS-2", "Bob, the Builder", "not-an-email", "1979-03-01", "email: not a valid email address"],
            ["CUS-3", "Олена Коваленко", "olena@example.ua", "1990-13-01", "birth_date: not a valid date (use YYYY-MM-DD)"],
            ["CUS-4", "Too Few", "", "", "has 2 fields, the header has 4"],
            ["", "No Reference", "d@example.com", "", "customer_ref: required"],
        ])

        // Fix each row where it stands (the reason column stays) and import the file again.
        var fixed = try String(contentsOfFile: rejects, encoding: .utf8)
        fixed = fixed.replacingOccurrences(of: "not-an-email", with: "bob@example.com")
            .replacingOccurrences(of: "1990-13-01", with: "1990-12-01")
            .replacingOccurrences(of: "CUS-4,Too Few,,,", with: "CUS-4,Too Few,few@example.com,,")
            .replacingOccurrences(of: ",No Reference,", with: "CUS-5,No Reference,")
        try fixed.write(toFile: rejects, atomically: true, encoding: .utf8)
        let again = fixture.directory + "/rejects-again.csv"
        let second = try fixture.vault.importCSV(.customers, path: rejects, session: fixture.admin, options: ImportOptions(rejectsPath: again))
        #expect(second.rows == 4 && second.inserted == 4 && second.rejected == 0)
        #expect(second.rejectsFile == nil && !FileManager.default.fileExists(atPath: again))
        let view = try fixture.vault.customer(reference: "CUS-3", session: fixture.admin, purpose: "operations")
        #expect(view.fields.first { $0.name == "birth_date" }?.value == "1990-12-01")
    }

    @Test func ordersRejectedByTheLookupAreWrittenInFileOrderAcrossBatches() throws {
        _ = try fixture.vault.put(["customer_ref": "CUS-1", "full_name": "Ada"], session: fixture.admin)
        var lines = ["customer_ref,order_date,amount,product_category"]
        var expected: [[String]] = [["customer_ref", "order_date", "amount", "product_category", "coffer_reject_reason"]]
        for n in 0..<4_500 {
            switch n % 3 {
            case 0: lines.append("CUS-1,2026-01-\(String(format: "%02d", n % 28 + 1)),\(n).50,books")
            case 1:
                lines.append("CUS-9,2026-02-01,\(n),books")
                expected.append(["CUS-9", "2026-02-01", "\(n)", "books", "customer_ref: no customer with this reference (import customers first)"])
            default:
                lines.append("CUS-1,2026-02-30,\(n),books")
                expected.append(["CUS-1", "2026-02-30", "\(n)", "books", "order_date: not a valid date (use YYYY-MM-DD)"])
            }
        }
        let source = try fixture.file("orders.csv", lines.joined(separator: "\n") + "\n")
        let rejects = fixture.directory + "/orders-rejects.csv"
        let report = try fixture.vault.importCSV(.orders, path: source, session: fixture.admin, options: ImportOptions(rejectsPath: rejects))
        #expect(report.inserted == 1_500 && report.rejected == 3_000)
        #expect(try records(rejects) == expected)
    }

    @Test func aRefusedFileLeavesNoRejectsFile() throws {
        let source = try fixture.file("bad.csv", "customer_ref,shoe_size\nCUS-1,9\n")
        let rejects = fixture.directory + "/rejects.csv"
        #expect(throws: VaultError.self) { try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(rejectsPath: rejects)) }
        #expect(!FileManager.default.fileExists(atPath: rejects))
        let unwritable = fixture.directory + "/no/such/dir/rejects.csv"
        let good = try fixture.file("good.csv", "customer_ref,full_name\nCUS-1,Ada\n")
        #expect(throws: VaultError.self) { try fixture.vault.importCSV(.customers, path: good, session: fixture.admin, options: ImportOptions(rejectsPath: unwritable)) }
        // Refused before anything was imported.
        #expect(try fixture.vault.allCustomerIDs().count == 0)
    }

    @Test func anOutputThatWouldOverwriteTheInputOrTheVaultIsRefusedBeforeAnythingIsWritten() throws {
        let text = "customer_ref,full_name,email\nCUS-1,Ada,not-an-email\n"
        let source = try fixture.file("c.csv", text)
        let link = fixture.directory + "/link.csv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: source)
        let database = fixture.vaultPath + "/vault.sqlite"
        for (rejects, what) in [(source, "the file being read"), (link, "the file being read"),
                                (fixture.directory + "/../" + (fixture.directory as NSString).lastPathComponent + "/c.csv", "the file being read"),
                                (database, "the vault's own files"), (fixture.vaultPath + "/new.csv", "the vault's own files"),
                                (fixture.keyPath, "the vault's root key file")] {
            #expect(throws: VaultError.outputOverwrites(path: rejects, what: what)) {
                try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(rejectsPath: rejects))
            }
        }
        #expect(try String(contentsOfFile: source, encoding: .utf8) == text)
        #expect(!FileManager.default.fileExists(atPath: fixture.vaultPath + "/new.csv"))
        #expect(try fixture.vault.allCustomerIDs().count == 0)
        // The vault and its key are intact: it opens and verifies.
        let reopened = try fixture.reopen()
        #expect(try reopened.verifyAudit(session: fixture.admin).isIntact)
        // The same check guards the analyst export.
        #expect(throws: VaultError.outputOverwrites(path: database, what: "the vault's own files")) {
            try fixture.vault.exportView(to: database, session: fixture.admin, purpose: "operations")
        }
        #expect(throws: VaultError.outputOverwrites(path: fixture.keyPath, what: "the vault's root key file")) {
            try fixture.vault.exportView(to: fixture.keyPath, session: fixture.admin, purpose: "operations")
        }
        #expect(try fixture.reopen().allCustomerIDs().count == 0)
    }
}
