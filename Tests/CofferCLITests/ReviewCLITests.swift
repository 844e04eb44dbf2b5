import Foundation
import Testing

/// `coffer review` through the real binary: export, offline verification, permissions, bad input.
@Suite(.serialized) struct ReviewCLITests {
    static var today: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    /// A vault with demo customers, some reads, an auditor and an analyst.
    private func vault() throws -> (cli: CLI, admin: String, auditor: String, analyst: String, sales: String) {
        let cli = try CLI()
        try cli.initVault()
        let admin = try #require(cli.environment["COFFER_TOKEN"])
        #expect(try cli.run(["demo-data", "--customers", "150", "--seed", "8", "--out", "demo"]).status == 0)
        #expect(try cli.run(["import", "customers", "demo/customers.csv"]).status == 0)
        #expect(try cli.run(["get", "CUS-0000001", "--purpose", "operations"]).status == 0)
        let auditor = try token(try cli.run(["users", "add", "rita", "--role", "auditor", "--json"]))
        let analyst = try token(try cli.run(["users", "add", "ana", "--role", "analyst", "--json"]))
        let sales = try token(try cli.run(["users", "add", "sam", "--role", "sales", "--json"]))
        return (cli, admin, auditor, analyst, sales)
    }

    @Test func anAuditorExportsAPackageThatVerifiesOfflineAndDetectsTampering() throws {
        let (cli, _, auditor, _, _) = try vault()
        cli.environment["COFFER_TOKEN"] = auditor
        let pem = try cli.run(["audit", "public-key"])
        #expect(pem.status == 0 && pem.stdout.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let keyFile = try cli.write("review.pem", pem.stdout)
        let export = try cli.run(["review", "export", "--from", Self.today, "--to", Self.today, "--out", "package", "--json"])
        #expect(export.status == 0, "\(export.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
        // init, import, get, three users added, this export.
        #expect(summary["chain_intact"] as? Bool == true && summary["entries"] as? Int == 7 && summary["head"] as? Int == 7, "\(summary)")
        #expect((summary["files"] as? [Any])?.count == 5)

        // The reviewer needs nothing but the directory and the key: no vault, no token.
        cli.environment.removeValue(forKey: "COFFER_TOKEN")
        cli.environment["COFFER_VAULT"] = cli.directory + "/nowhere"
        let verified = try cli.run(["review", "verify", "package", "--public-key", keyFile])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("review package verified: 5 files and MANIFEST.json as signed; period \(Self.today) to \(Self.today)"))

        // One changed byte in the CSV: exit 6, one line naming the file.
        let csv = cli.directory + "/package/events.csv"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: csv)))
        bytes[bytes.count - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: csv))
        try Data("x".utf8).write(to: URL(fileURLWithPath: cli.directory + "/package/extra.txt"))
        let tampered = try cli.run(["review", "verify", "package", "--public-key", keyFile])
        #expect(tampered.status == 6)
        #expect(tampered.stderr == """
            coffer: error: review package: extra.txt is not in the manifest (added after the package was signed)
            coffer: error: review package: events.csv was changed (its SHA-256 differs from the manifest's)

            """)
        #expect(tampered.stdout.isEmpty)

        // Another vault's key does not verify it.
        let other = try CLI()
        try other.initVault()
        let otherKey = try cli.write("other.pem", try other.run(["audit", "public-key"]).stdout)
        let wrong = try cli.run(["review", "verify", "package", "--public-key", otherKey])
        #expect(wrong.status == 6 && wrong.stderr.contains("MANIFEST.json was signed with another key"))
        let json = try cli.run(["review", "verify", "package", "--public-key", otherKey, "--json"])
        #expect(json.status == 6 && json.stdout.contains("\"valid\" : false"))
        // The same exit code in JSON mode, and one error body on stderr naming the problem.
        #expect(json.stderr.hasPrefix(#"{"error":{"code":"review_package_tampered""#) && json.stderr.contains("another key"), "\(json.stderr)")
    }

    @Test func usersWithoutAuditReadCannotExportAndTheDenialIsAudited() throws {
        let (cli, admin, _, analyst, sales) = try vault()
        for (token, role) in [(analyst, "analyst"), (sales, "sales")] {
            cli.environment["COFFER_TOKEN"] = token
            let denied = try cli.run(["review", "export", "--from", Self.today, "--to", Self.today, "--out", "pkg-\(role)"])
            #expect(denied.status == 5)
            #expect(denied.stderr == "coffer: error: not permitted: role \(role) may not audit read\n")
            #expect(!FileManager.default.fileExists(atPath: cli.directory + "/pkg-\(role)"))
        }
        cli.environment["COFFER_TOKEN"] = admin
        let log = try cli.run(["audit", "log", "--action", "review_export", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["actor"] as? String } == ["sam", "ana"])  // newest first
        #expect(entries.allSatisfy { $0["outcome"] as? String == "denied" })
    }

    @Test func badInputIsOneLineAndLeavesNothing() throws {
        let (cli, _, auditor, _, _) = try vault()
        cli.environment["COFFER_TOKEN"] = auditor
        let cases: [([String], String)] = [
            (["--from", "2026-13-01", "--to", Self.today, "--out", "p1"],
             "coffer: error: --from '2026-13-01' is not a day; use today, yesterday, YYYY-MM-DD or YYYY-MM (UTC), e.g. 2026-01-31\n"),
            (["--from", "2026-03-02", "--to", "2026-03-01", "--out", "p1"],
             "coffer: error: --from 2026-03-02 is after --to 2026-03-01; give the first day of the period, then the last\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "p1", "--work-hours", "9-5"],
             "coffer: error: --work-hours must be HH-HH with 0 <= start < end <= 24 (UTC), e.g. 07-19\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "demo"],
             "coffer: error: --out demo exists and is not empty; give a new directory (a package is never written over files)\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "missing/p1"],
             "coffer: error: the directory missing (where --out missing/p1 would go) does not exist; create it first\n"),
            (["--from", Self.today, "--to", "03/01/2026", "--out", "p1"],
             "coffer: error: --to '03/01/2026' is not a day; use today, yesterday, YYYY-MM-DD or YYYY-MM (UTC), e.g. 2026-01-31\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "p1", "--work-hours", "7h-19h"],
             "coffer: error: --work-hours '7h-19h' is not HH-HH; give UTC hours like 07-19\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "p1", "--denials", "1"],
             "coffer: error: --denials must be at least 2\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "p1", "--denial-window", "0"],
             "coffer: error: --denial-window must be from 1 to 1440 minutes\n"),
            (["--from", Self.today, "--to", Self.today, "--out", "demo/customers.csv"],
             "coffer: error: --out demo/customers.csv exists and is not a directory; give a new directory for the package\n"),
        ]
        let before = try FileManager.default.contentsOfDirectory(atPath: cli.directory).sorted()
        for (arguments, message) in cases {
            let result = try cli.run(["review", "export"] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == message)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory).sorted() == before)
        #expect(try cli.run(["review", "export", "--from", Self.today, "--out", "p1"]).status == 64)
        let noKey = try cli.run(["review", "verify", "demo", "--public-key", "absent.pem"])
        #expect(noKey.status == 1 && noKey.stderr == "coffer: error: cannot read the public key file absent.pem\n")
    }

    @Test func subjectReportsAndTheProcessingRecord() throws {
        let (cli, admin, auditor, _, sales) = try vault()
        cli.environment["COFFER_TOKEN"] = sales
        #expect(try cli.run(["get", "CUS-0000001", "--purpose", "prospecting"]).status == 0)
        #expect(try cli.run(["review", "subject", "CUS-0000001"]).status == 5)
        cli.environment["COFFER_TOKEN"] = admin
        let report = try cli.run(["review", "subject", "CUS-0000001", "--purpose", "data_subject_request"])
        #expect(report.status == 0, "\(report.stderr)")
        let lines = report.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("customer 1: 3 audit entries touched this customer") == true)
        #expect(lines.contains { $0.contains("sam (sales)  read  ok  purpose=prospecting  fields=") })
        #expect(lines.contains { $0.contains("admin (admin)  import  ok") && $0.contains("(one of 150 customers)") })
        let missing = try cli.run(["review", "subject", "CUS-9999999", "--purpose", "data_subject_request"])
        #expect(missing.status == 4 && missing.stderr == "coffer: error: customer not found or not permitted\n")
        let log = try cli.run(["audit", "log", "--action", "review_subject"])
        #expect(log.stdout.split(separator: "\n").count == 3)

        cli.environment["COFFER_TOKEN"] = auditor
        let record = try cli.run(["review", "processing-record", "--html", "ropa.html"])
        #expect(record.status == 0)
        #expect(record.stdout.hasPrefix("# Record of processing activities"))
        #expect(record.stdout.contains("**analyst**: actions export, read, score; purposes qualification, analytics"))
        let html = try String(contentsOfFile: cli.directory + "/ropa.html", encoding: .utf8)
        #expect(html.contains("<h1>Record of processing activities</h1>"))
        cli.environment["COFFER_TOKEN"] = sales
        #expect(try cli.run(["review", "processing-record"]).status == 5)
    }
}
