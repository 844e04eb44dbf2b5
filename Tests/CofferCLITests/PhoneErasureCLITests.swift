import Foundation
import Testing

@Suite(.serialized) struct PhoneErasureCLITests {
    /// The demo data imports without a phone rejection, and a number is found by its national and
    /// international forms; a miss names the E.164 form looked for.
    @Test func phoneLookupsMatchNationalAndInternationalForms() throws {
        let cli = try CLI()
        try cli.initVault()
        #expect(try cli.run(["demo-data", "--customers", "2000", "--seed", "42", "--out", "demo"]).status == 0)
        let imported = try cli.run(["import", "customers", "demo/customers.csv"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("demo/customers.csv: 2000 rows: 2000 inserted, 0 updated, 0 unchanged, 0 rejected"))
        _ = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-P1","full_name":"Ada","phone":"+1 (213) 555-0142","country":"US"}"#)
        _ = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-P2","full_name":"Bea","phone":"0121 496 0777","country":"GB"}"#)
        cli.environment["COFFER_PURPOSE"] = "operations"
        for args in [["213-555-0142"], ["2135550142"], ["+1 (213) 555-0142"]] {
            let found = try cli.run(["find", "--phone"] + args + ["--json"])
            #expect(found.status == 0, "\(found.stderr)")
            #expect(found.stdout.contains("CUS-P1"))
        }
        for args in [["+44 121 496 0777"], ["0121 496 0777", "--region", "GB"], ["0044 121 496 0777"]] {
            let found = try cli.run(["find", "--phone"] + args)
            #expect(found.status == 0, "\(found.stderr)")
            #expect(found.stdout.contains("CUS-P2"))
        }
        let miss = try cli.run(["find", "--phone", "(213) 555-0100"])
        #expect(miss.status == 4)
        #expect(miss.stderr == "coffer: error: no customer with phone +12135550100\n")
        let invalid = try cli.run(["find", "--phone", "0121 496 0777"])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("wrong length for US") && !invalid.stderr.contains("496"))
        // A bad number in an import is rejected with its reason, by line.
        let bad = try cli.write("bad.csv", "customer_ref,full_name,phone,country\nCUS-B1,X,+999 1234,US\n")
        let rejected = try cli.run(["import", "customers", bad])
        #expect(rejected.stdout.contains("bad.csv:2: phone: unknown country calling code"))
    }

    @Test func reindexIsForAdministratorsAndAudited() throws {
        let cli = try CLI()
        try cli.initVault()
        _ = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-P1","full_name":"Ada","phone":"0121 496 0777","country":"GB"}"#)
        let run = try cli.run(["reindex", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["customers"] as? Int == 1 && report["rewritten"] as? Int == 0 && (report["not_normalized"] as? [Any])?.isEmpty == true)
        let log = try cli.run(["audit", "log", "--action", "reindex", "--purpose", "operations"])
        #expect(log.stdout.contains("reindex"))
        #expect(try cli.run(["reindex", "--region", "XX"]).status == 1)
    }

    @Test func eraseNeedsPurposeAndConfirmationAndLeavesAnAnswerableRecord() throws {
        let cli = try CLI()
        try cli.initVault()
        _ = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-E1","full_name":"Erin Example","email":"erin@example.com","country":"GB"}"#)
        #expect(try cli.run(["get", "CUS-E1", "--purpose", "support_case"]).status == 0)

        // Not a terminal and no --yes: refused before anything happens.
        let unconfirmed = try cli.run(["erase", "CUS-E1", "--purpose", "data_subject_request"])
        #expect(unconfirmed.status == 1)
        #expect(unconfirmed.stderr.contains("pass --yes"))
        // No purpose: refused.
        let noPurpose = try cli.run(["erase", "CUS-E1", "--yes"])
        #expect(noPurpose.status == 5)
        #expect(noPurpose.stderr.contains("--purpose"))
        #expect(try cli.run(["get", "CUS-E1", "--purpose", "operations"]).status == 0)
        // A report path inside the vault is refused before anything is read or erased.
        let inside = try cli.run(["erase", "CUS-E1", "--yes", "--purpose", "data_subject_request", "--report", "vault/report.json"])
        #expect(inside.status == 1)
        #expect(try cli.run(["get", "CUS-E1", "--purpose", "operations"]).status == 0)

        // With --report, the access report is written (0600) before the erasure.
        let erased = try cli.run(["erase", "CUS-E1", "--yes", "--purpose", "data_subject_request", "--report", "subject.json", "--json"])
        #expect(erased.status == 0, "\(erased.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(erased.stdout.utf8)) as? [String: Any])
        let erasure = try #require(result["erasure"] as? [String: Any])
        #expect(erasure["actor"] as? String == "admin" && erasure["purpose"] as? String == "data_subject_request")
        #expect((erasure["erased_at"] as? String)?.hasSuffix("Z") == true)
        #expect(result["report"] as? String == "subject.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.directory + "/subject.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.directory + "/subject.json"))) as? [String: Any])
        let accesses = try #require(report["accesses"] as? [[String: Any]])
        #expect(accesses.contains { $0["action"] as? String == "read" })
        #expect(!accesses.contains { $0["action"] as? String == "erase" }, "written before the erasure")

        // Afterwards the audit trail and the subject report still answer, from the erasure record.
        #expect(try cli.run(["get", "CUS-E1", "--purpose", "operations"]).status == 4)
        let log = try cli.run(["audit", "log", "--customer", "CUS-E1", "--purpose", "data_subject_request"])
        #expect(log.status == 0, "\(log.stderr)")
        #expect(log.stdout.contains(" read ") && log.stdout.contains(" erase "))
        #expect(log.stdout.contains("was erased on ") && log.stdout.contains("by admin (admin) for data_subject_request"))
        let json = try cli.run(["audit", "log", "--customer", "CUS-E1", "--json", "--purpose", "data_subject_request"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.contains { $0["action"] as? String == "erase" })
        let subject = try cli.run(["review", "subject", "CUS-E1", "--purpose", "data_subject_request"])
        #expect(subject.status == 0, "\(subject.stderr)")
        #expect(subject.stdout.contains("was erased on ") && subject.stdout.contains("for data_subject_request"))
        let subjectJSON = try cli.run(["review", "subject", "CUS-E1", "--json", "--purpose", "data_subject_request"])
        let subjectReport = try #require(try JSONSerialization.jsonObject(with: Data(subjectJSON.stdout.utf8)) as? [String: Any])
        #expect((subjectReport["erasure"] as? [String: Any])?["actor"] as? String == "admin")

        // Erasing again says so, and a reference never seen is not found.
        let again = try cli.run(["erase", "CUS-E1", "--yes", "--purpose", "data_subject_request"])
        #expect(again.status == 4)
        #expect(again.stderr.contains("was erased on ") && !again.stderr.contains("Erin"))
        let never = try cli.run(["erase", "CUS-NONE", "--yes", "--purpose", "data_subject_request"])
        #expect(never.status == 4)
        #expect(never.stderr == "coffer: error: customer not found or not permitted\n")

        // Nothing in the database or its logs holds the reference or the name.
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] { bytes += FileManager.default.contents(atPath: cli.directory + "/vault/vault.sqlite" + suffix) ?? Data() }
        #expect(!bytes.isEmpty)
        for secret in ["CUS-E1", "Erin Example", "erin@example.com"] { #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret)") }
    }
}
