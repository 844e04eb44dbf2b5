import Foundation
import Testing

/// Users, policies, views and the audit log through the real binary.
@Suite(.serialized) struct AccessCLITests {
    @Test func aMissingOrWrongTokenIsOneLineAndExit3() throws {
        let cli = try CLI()
        try cli.initVault()
        let admin = cli.environment["COFFER_TOKEN"]
        cli.environment.removeValue(forKey: "COFFER_TOKEN")
        let missing = try cli.run(["keys", "status"])
        #expect(missing.status == 3)
        #expect(missing.stderr == "coffer: error: not authenticated: set COFFER_TOKEN (or pass --token) to a valid, unrevoked user token\n")
        let wrong = try cli.run(["keys", "status", "--token", "coffer_" + String(repeating: "a", count: 64)])
        #expect(wrong.status == 3 && wrong.stderr == missing.stderr)
        cli.environment["COFFER_TOKEN"] = admin
        // Both attempts are in the audit log, without the token.
        let log = try cli.run(["audit", "log", "--action", "authenticate"])
        #expect(log.stdout.split(separator: "\n").count == 2)
        #expect(!log.stdout.contains(String(repeating: "a", count: 64)))
    }

    @Test func thePurposeComesFromTheFlagOrCOFFERPURPOSEAndAWrongOneIsNamedAsSuch() throws {
        let cli = try CLI()
        try cli.initVault()
        #expect(try cli.run(["put"], stdin: #"{"customer_ref": "CUS-1", "full_name": "Ada Lovelace", "email": "ada@example.com"}"#).status == 0)
        cli.environment["COFFER_TOKEN"] = try token(cli.run(["users", "add", "sam", "--role", "support", "--json"]))
        let missing = try cli.run(["get", "CUS-1"])
        #expect(missing.status == 5)
        #expect(missing.stderr == "coffer: error: this role must state a purpose: pass --purpose (or set COFFER_PURPOSE) with one of support_case\n")
        let wrong = try cli.run(["get", "CUS-1", "--purpose", "curiosity"])
        #expect(wrong.status == 5)
        #expect(wrong.stderr == "coffer: error: the purpose given (--purpose or COFFER_PURPOSE) is not one this role may use; use one of support_case\n")
        cli.environment["COFFER_PURPOSE"] = "support_case"
        let fromEnvironment = try cli.run(["get", "CUS-1"])
        #expect(fromEnvironment.status == 0 && fromEnvironment.stdout.contains("customer_ref"))
        // The flag wins over the variable.
        #expect(try cli.run(["get", "CUS-1", "--purpose", "curiosity"]).status == 5)
        cli.environment["COFFER_TOKEN"] = nil
        cli.environment.removeValue(forKey: "COFFER_PURPOSE")
    }

    @Test func aRevokedUserIsReinstatedAndALostTokenReset() throws {
        let cli = try CLI()
        try cli.initVault()
        let first = try token(cli.run(["users", "add", "sam", "--role", "support", "--json"]))
        #expect(try cli.run(["users", "revoke", "sam"]).status == 0)
        let setRole = try cli.run(["users", "set-role", "sam", "--role", "sales"])
        #expect(setRole.status == 1 && setRole.stderr == "coffer: error: no active user named sam\n")
        let reinstated = try cli.run(["users", "reinstate", "sam"])
        #expect(reinstated.status == 0 && reinstated.stdout.hasPrefix("user sam (support) token, shown only this once:\n"))
        let newToken = try #require(reinstated.stdout.split(separator: "\n").last.map(String.init))
        #expect(newToken != first && newToken.hasPrefix("coffer_"))
        let again = try cli.run(["users", "reinstate", "sam"])
        #expect(again.status == 1 && again.stderr.hasPrefix("coffer: error: user sam is not revoked"))
        let reset = try token(cli.run(["users", "reset-token", "sam", "--json"]))
        #expect(reset != newToken)
        let admin = cli.environment["COFFER_TOKEN"]
        cli.environment["COFFER_TOKEN"] = newToken
        #expect(try cli.run(["keys", "status"]).status == 3)
        cli.environment["COFFER_TOKEN"] = admin
        let log = try cli.run(["audit", "log", "--actor", "admin"])
        #expect(log.stdout.contains("user_reinstate  ok") && log.stdout.contains("user_reset_token  ok"))
    }

    @Test func aUserRotatesItsOwnTokenAndTheOldOneStopsAtOnce() throws {
        let cli = try CLI()
        try cli.initVault()
        let admin = cli.environment["COFFER_TOKEN"]
        let first = try token(cli.run(["users", "add", "sam", "--role", "support", "--json"]))
        cli.environment["COFFER_TOKEN"] = first
        let text = try cli.run(["users", "rotate-token"])
        #expect(text.status == 0 && text.stdout.hasPrefix("user sam (support) token, shown only this once:\n"), "\(text.stderr)")
        let second = try #require(text.stdout.split(separator: "\n").last.map(String.init))
        // The new token names sam's id, like the first one, with a new 256-bit secret.
        let id = try #require(first.split(separator: "_").dropFirst().first.map(String.init))
        #expect(second != first && second.hasPrefix("coffer_\(id)_") && second.split(separator: "_").last?.count == 64)
        #expect(try cli.run(["whoami"]).status == 3)
        cli.environment["COFFER_TOKEN"] = second
        let third = try token(cli.run(["users", "rotate-token", "--json"]))
        #expect(third != second && third.hasPrefix("coffer_\(id)_"))
        #expect(try cli.run(["whoami"]).status == 3)
        cli.environment["COFFER_TOKEN"] = third
        #expect(try cli.run(["whoami"]).stdout.hasPrefix("user sam\n"))
        // Both rotations are in the audit log, by sam, without a token.
        cli.environment["COFFER_TOKEN"] = admin
        let log = try cli.run(["audit", "log", "--actor", "sam", "--action", "user_reset_token", "--json"])
        let entries = try #require(try json(log) as? [[String: Any]])
        #expect(entries.count == 2 && entries.allSatisfy { $0["detail"] as? String == "user sam role support (own token)" }, "\(entries)")
        #expect(![first, second, third].contains { log.stdout.contains($0.split(separator: "_").last.map(String.init) ?? "-") })
        // A revoked user cannot rotate.
        #expect(try cli.run(["users", "revoke", "sam"]).status == 0)
        cli.environment["COFFER_TOKEN"] = third
        let revoked = try cli.run(["users", "rotate-token"])
        #expect(revoked.status == 3 && revoked.stdout.isEmpty)
        cli.environment["COFFER_TOKEN"] = admin
    }

    @Test func serveRefusesAnAuthenticationFailureLimitBelowOne() throws {
        let cli = try CLI()
        for bad in ["0", "-1"] {
            let refused = try cli.run(["serve", "--listen", "127.0.0.1:0", "--auth-failures=\(bad)"])
            #expect(refused.status == 64 && refused.stderr.contains("--auth-failures must be at least 1"), "\(bad): \(refused.stderr)")
        }
    }

    @Test func whoamiShowsTheCallersOwnAccess() throws {
        let cli = try CLI()
        try cli.initVault()
        cli.environment["COFFER_TOKEN"] = try token(cli.run(["users", "add", "sam", "--role", "support", "--json"]))
        let text = try cli.run(["whoami"])
        #expect(text.status == 0 && text.stdout.hasPrefix("user sam\nrole support: actions read; purposes support_case\n  customer_ref             plain\n"))
        let json = try cli.run(["whoami", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["user"] as? String == "sam")
        #expect((object["access"] as? [String: Any])?["purposes"] as? [String] == ["support_case"])
        cli.environment["COFFER_TOKEN"] = "coffer_" + String(repeating: "0", count: 64)
        #expect(try cli.run(["whoami"]).status == 3)
    }

    @Test func usersRolesViewsAndTheAuditTrail() throws {
        let cli = try CLI()
        try cli.initVault()
        let admin = try #require(cli.environment["COFFER_TOKEN"])
        #expect(try cli.run(["demo-data", "--customers", "300", "--seed", "4", "--out", "demo"]).status == 0)
        #expect(try cli.run(["import", "customers", "demo/customers.csv"]).status == 0)

        let analystToken = try token(try cli.run(["users", "add", "ana", "--role", "analyst", "--json"]))
        let supportToken = try token(try cli.run(["users", "add", "sam", "--role", "support", "--json"]))
        #expect(try cli.run(["users", "list"]).stdout.contains("ana"))

        // Support sees masked contact data.
        cli.environment["COFFER_TOKEN"] = supportToken
        let support = try cli.run(["get", "CUS-0000001", "--purpose", "support_case", "--json"])
        #expect(support.status == 0, "\(support.stderr)")
        let fields = try #require((try JSONSerialization.jsonObject(with: Data(support.stdout.utf8)) as? [String: Any])?["fields"] as? [String: Any])
        #expect((fields["email"] as? String)?.contains("***@") == true)
        #expect(fields["notes"] == nil)
        #expect(try cli.run(["keys", "status"]).status == 5)

        // The analyst exports a pseudonymized view and cannot look customers up by reference.
        cli.environment["COFFER_TOKEN"] = analystToken
        #expect(try cli.run(["get", "CUS-0000001", "--purpose", "analytics"]).status == 4)
        #expect(try cli.run(["export", "view", "--out", "view.csv", "--purpose", "analytics"]).status == 0)
        let view = try String(contentsOfFile: cli.directory + "/view.csv", encoding: .utf8)
        let firstRow = try #require(view.split(separator: "\n").dropFirst().first)
        #expect(firstRow.hasPrefix("ps_"))
        let privacy = try cli.run(["privacy", "check", "--k", "5", "--purpose", "analytics", "--json"])
        #expect(privacy.status == 0 && privacy.stdout.contains("\"smallest_class\""))

        // The admin re-identifies a pseudonym, reviews and revokes.
        cli.environment["COFFER_TOKEN"] = admin
        let pseudonym = String(firstRow.split(separator: ",")[0])
        try pseudonym.write(toFile: cli.directory + "/p.txt", atomically: true, encoding: .utf8)
        let re = try cli.run(["reidentify", "--domain", "analytics", "p.txt", "--purpose", "operations"])
        #expect(re.stdout.contains("\(pseudonym),CUS-"))
        #expect(try cli.run(["users", "revoke", "ana"]).status == 0)
        cli.environment["COFFER_TOKEN"] = analystToken
        #expect(try cli.run(["export", "view", "--out", "view2.csv", "--purpose", "analytics"]).status == 3)

        // The audit trail answers who accessed a customer, and verifies against a checkpoint.
        cli.environment["COFFER_TOKEN"] = admin
        let subject = try cli.run(["audit", "log", "--customer", "CUS-0000001", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(subject.stdout.utf8)) as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["actor"] as? String }) == ["admin", "sam", "ana"])
        #expect(try cli.run(["audit", "checkpoint", "--out", "cp.json"]).status == 0)
        let pem = try cli.run(["audit", "public-key"])
        #expect(pem.stdout.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        #expect(try cli.run(["audit", "verify", "--checkpoint", "cp.json"]).stdout.contains("checkpoint matches"))

        // Policy: check, explain, and a refused malformed file with its line.
        #expect(try cli.run(["policy", "check", CLI.repositoryRoot + "/policies/roles.yaml", "--schema", CLI.repositoryRoot + "/policies/schema.yaml"]).status == 0)
        let bad = try cli.write("bad.yaml", "roles:\n  admin:\n    actions: [read, fly]\n")
        let refused = try cli.run(["policy", "apply", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("coffer: error: \(bad):3: "))
        let explain = try cli.run(["policy", "explain", "--role", "support", "--customer", "CUS-0000001", "--purpose", "operations"])
        #expect(explain.stdout.contains("email") && explain.stdout.contains("masked"))

        // Nothing any of these commands printed holds a customer's name or email.
        let source = try String(contentsOfFile: cli.directory + "/demo/customers.csv", encoding: .utf8)
        let row = try #require(source.split(separator: "\n").dropFirst().first).split(separator: ",")
        let name = String(row[1]), email = String(row[2]).trimmingCharacters(in: .whitespaces).lowercased()
        for output in [subject.stdout, pem.stdout, explain.stderr, re.stdout, view, privacy.stdout] {
            #expect(!output.contains(name) && (email.isEmpty || !output.contains(email)))
        }
    }

    @Test func tamperingIsReportedWithExit6() throws {
        let cli = try CLI()
        try cli.initVault()
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat Example"}"#).status == 0)
        #expect(try cli.run(["get", "C1", "--purpose", "operations"]).status == 0)
        let db = cli.directory + "/vault/vault.sqlite"
        let sql = Process()
        sql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sql.arguments = ["sqlite3", db, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"]
        try sql.run()
        sql.waitUntilExit()
        guard sql.terminationStatus == 0 else { return } // no sqlite3 CLI here; the library tests cover this
        let result = try cli.run(["audit", "verify"])
        #expect(result.status == 6)
        #expect(result.stderr == "coffer: error: audit log tampered: entry 2 does not match its MAC (edited, forged, reordered, or the entry before it changed)\n")
    }
}
