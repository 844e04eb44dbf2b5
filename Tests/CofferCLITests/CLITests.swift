import Foundation
import Testing

@Suite(.serialized) struct CLITests {
    @Test func theQuickStartFlowWorks() throws {
        let cli = try CLI()
        try cli.initVault()
        let key = try FileManager.default.attributesOfItem(atPath: cli.directory + "/vault.key")
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect(try cli.run(["demo-data", "--customers", "500", "--seed", "3", "--out", "demo"]).status == 0)
        let imported = try cli.run(["import", "customers", "demo/customers.csv"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("demo/customers.csv: 500 rows: 500 inserted, 0 updated, 0 unchanged, 0 rejected"))
        #expect(try cli.run(["import", "orders", "demo/orders.csv"]).status == 0)
        #expect(try cli.run(["import", "outcomes", "demo/outcomes.csv"]).status == 0)

        let put = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-X1","full_name":"Ada Lovelace","email":"ada@example.com","homeowner":true,"company_size":12}"#)
        #expect(put.status == 0, "\(put.stderr)")
        let found = try cli.run(["find", "--email", " Ada@Example.COM ", "--json", "--purpose", "operations"])
        #expect(found.status == 0)
        // Always an array (one match here); numbers and booleans the role sees as stored are typed.
        let matches = try #require(try JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [[String: Any]])
        #expect(matches.count == 1)
        let fields = try #require(matches.first?["fields"] as? [String: Any])
        #expect(fields["customer_ref"] as? String == "CUS-X1")
        #expect(fields["homeowner"] as? Bool == true)
        #expect(fields["company_size"] as? Int == 12)

        let status = try cli.run(["keys", "status", "--json"])
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(versions.count == 1)
        #expect(versions[0]["customers"] as? Int == 501)
        #expect(versions[0]["state"] as? String == "active")

        #expect(try cli.run(["erase", "CUS-X1", "--yes", "--purpose", "operations"]).status == 0)
        let gone = try cli.run(["get", "CUS-X1", "--purpose", "operations"])
        #expect(gone.status == 4)
        #expect(gone.stderr == "coffer: error: customer not found or not permitted\n")
    }

    @Test func errorsAreOneLineNonZeroAndNeverEchoValues() throws {
        let cli = try CLI()
        try cli.initVault()
        let csv = try cli.write("c.csv", "customer_ref,full_name,email\nCUS-1,Secret Person,secret.person@@example.com\nCUS-2,Fine,fine@example.com\n")
        let result = try cli.run(["import", "customers", csv])
        // Done, but with a row left out: exit 2, so scripts notice.
        #expect(result.status == 2)
        #expect(result.stdout.contains("\(csv):2: email: not a valid email address"))
        #expect(!result.stdout.contains("secret.person") && !result.stderr.contains("Secret Person"))

        let header = try cli.run(["import", "customers", try cli.write("h.csv", "customer_ref,shoe_size\nCUS-1,9\n")])
        #expect(header.status == 1)
        #expect(header.stderr.split(separator: "\n").count == 1)
        #expect(header.stderr.hasPrefix("coffer: error: \(cli.directory)/h.csv:1: column 2 'shoe_size' is not a customers field"))

        let badPut = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-3","full_name":"X","phone":"call me maybe"}"#)
        #expect(badPut.status == 1)
        #expect(badPut.stderr == "coffer: error: invalid value for phone: not a phone number (digits, with an optional leading + or 00, spaces, dashes, dots, slashes and parentheses)\n")
        #expect(try cli.run(["put"], stdin: "not json").status == 1)

        chmod(cli.directory + "/vault.key", 0o644)
        let open = try cli.run(["get", "CUS-2", "--purpose", "operations"])
        #expect(open.status == 3)
        #expect(open.stderr.contains("has mode 644"))
        chmod(cli.directory + "/vault.key", 0o600)

        var other = cli.environment
        other["COFFER_KEY_FILE"] = cli.directory + "/other.key"
        let otherCLI = cli
        otherCLI.environment = other
        #expect(try otherCLI.run(["init", "--vault", cli.directory + "/v2"] + CLI.initArguments).status == 0)
        let wrong = try otherCLI.run(["get", "CUS-2", "--purpose", "operations"])
        #expect(wrong.status == 3)
        #expect(wrong.stderr == "coffer: error: wrong root key or passphrase for this vault; nothing was changed\n")

        let missing = try cli.run(["get", "CUS-2", "--vault", cli.directory + "/nowhere", "--purpose", "operations"])
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("no vault at"))
    }

    @Test func passphraseVaultsUseTheEnvironment() throws {
        let cli = try CLI()
        cli.environment["COFFER_PASSPHRASE"] = "a long and careful passphrase"
        try cli.initVault(["--passphrase"])
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault.key"))
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat"}"#).status == 0)
        #expect(try cli.run(["get", "C1", "--purpose", "operations"]).stdout.contains("Pat"))
        cli.environment["COFFER_PASSPHRASE"] = "the wrong passphrase"
        let wrong = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(wrong.status == 3)
        #expect(wrong.stderr == "coffer: error: wrong root key or passphrase for this vault; nothing was changed\n")
        cli.environment.removeValue(forKey: "COFFER_PASSPHRASE")
        #expect(try cli.run(["get", "C1", "--purpose", "operations"]).stderr == "coffer: error: this vault is protected by a passphrase; set COFFER_PASSPHRASE or pass --passphrase-fd\n")

        let short = try CLI()
        short.environment["COFFER_PASSPHRASE"] = "short"
        let refused = try short.run(["init", "--passphrase"] + CLI.initArguments)
        #expect(refused.status == 1)
        #expect(refused.stderr == "coffer: error: the passphrase is shorter than 12 characters; choose a longer passphrase\n")
        #expect(!FileManager.default.fileExists(atPath: short.directory + "/vault"))
    }

    @Test func aPassphraseCanComeFromAnInheritedFileDescriptor() throws {
        let cli = try CLI()
        let passphrase = "a long and careful passphrase"
        // Standard input is descriptor 0: the passphrase, with the newline `echo` leaves.
        let created = try cli.run(["init", "--passphrase", "--passphrase-fd", "0"] + CLI.initArguments, stdin: passphrase + "\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(!created.stdout.contains(passphrase) && !created.stderr.contains(passphrase))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault.key"))
        cli.environment["COFFER_TOKEN"] = created.stdout.split(separator: "\n").last.map(String.init)
        // The same passphrase from the environment opens it: the newline was not part of it.
        cli.environment["COFFER_PASSPHRASE"] = passphrase
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat"}"#).status == 0)
        cli.environment.removeValue(forKey: "COFFER_PASSPHRASE")
        // COFFER_PASSPHRASE_FD names the descriptor as well as the option does.
        cli.environment["COFFER_PASSPHRASE_FD"] = "0"
        let read = try cli.run(["get", "C1", "--purpose", "operations"], stdin: passphrase)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("Pat"))
        let wrong = try cli.run(["get", "C1", "--purpose", "operations"], stdin: "not the passphrase at all\n")
        #expect(wrong.status == 3)
        #expect(wrong.stderr == "coffer: error: wrong root key or passphrase for this vault; nothing was changed\n")
        let empty = try cli.run(["keys", "status"], stdin: "")
        #expect(empty.status == 3)
        #expect(empty.stderr == "coffer: error: this vault is protected by a passphrase; set COFFER_PASSPHRASE or pass --passphrase-fd\n")
        // Given two ways, it is refused rather than one being silently ignored.
        cli.environment["COFFER_PASSPHRASE"] = passphrase
        let twice = try cli.run(["keys", "status"], stdin: passphrase)
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("the passphrase was given twice"))
        #expect(!twice.stderr.contains(passphrase))
        cli.environment.removeValue(forKey: "COFFER_PASSPHRASE")
        cli.environment.removeValue(forKey: "COFFER_PASSPHRASE_FD")
        let notANumber = try cli.run(["keys", "status", "--passphrase-fd", "stdin"])
        #expect(notANumber.status != 0)

        // A short passphrase from a descriptor creates nothing.
        let short = try CLI()
        let refused = try short.run(["init", "--passphrase", "--passphrase-fd", "0"] + CLI.initArguments, stdin: "short\n")
        #expect(refused.status == 1)
        #expect(refused.stderr == "coffer: error: the passphrase is shorter than 12 characters; choose a longer passphrase\n")
        #expect(!FileManager.default.fileExists(atPath: short.directory + "/vault"))
    }

    @Test func aPassphraseGivenToAKeyFileVaultIsRefused() throws {
        let cli = try CLI()
        try cli.initVault()
        cli.environment["COFFER_PASSPHRASE"] = "a long and careful passphrase"
        let result = try cli.run(["keys", "status"])
        #expect(result.status == 3)
        #expect(result.stderr == "coffer: error: this vault uses a root key file, not a passphrase; unset COFFER_PASSPHRASE and pass --key-file\n")
    }

    @Test func storedControlCharactersAreEscapedOnTheTerminal() throws {
        let cli = try CLI()
        try cli.initVault()
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Mallory","notes":"ok\u009b2Jred\u202egnp"}"#).status == 0)
        let shown = try cli.run(["get", "C1", "--purpose", "operations"]).stdout
        #expect(shown.contains(#"ok\u{9b}2J"#))
        #expect(shown.contains(#"\u{202e}gnp"#))
        #expect(!shown.unicodeScalars.contains { $0.value == 0x9b || $0.value == 0x1b || $0.value == 0x202e })
    }

    /// kill -9 in the middle of an import leaves whole batches; a re-run converges.
    @Test func anImportKilledMidwayLeavesWholeBatchesAndARerunConverges() throws {
        let cli = try CLI()
        try cli.initVault()
        let customers = 40_000
        #expect(try cli.run(["demo-data", "--customers", "\(customers)", "--seed", "5", "--out", "demo"]).status == 0)
        let process = try cli.start(["import", "customers", "demo/customers.csv"])
        // Wait until at least one batch has committed, then kill without warning.
        let deadline = Date().addingTimeInterval(120)
        var committed = 0
        while Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            committed = try countCustomers(cli)
            if committed > 0 { break }
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let afterKill = try countCustomers(cli)
        if process.terminationReason == .uncaughtSignal {
            #expect(afterKill < customers)
            #expect(afterKill % 2_000 == 0, "a committed import batch is whole")
        }
        // The vault opens and reads fine after the crash.
        #expect(try cli.run(["keys", "status"]).status == 0)
        let rerun = try cli.run(["import", "customers", "demo/customers.csv"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try countCustomers(cli) == customers)
        #expect(rerun.stdout.contains("\(customers - afterKill) inserted, 0 updated, \(afterKill) unchanged"))
        #expect(try cli.run(["get", "CUS-0040000", "--purpose", "operations"]).status == 0 || true)
    }

    /// kill -9 during rewrap: a re-run finishes the job and every customer still decrypts.
    @Test func aRewrapKilledMidwayResumes() throws {
        let cli = try CLI()
        try cli.initVault()
        #expect(try cli.run(["demo-data", "--customers", "20000", "--seed", "9", "--out", "demo"]).status == 0)
        #expect(try cli.run(["import", "customers", "demo/customers.csv"]).status == 0)
        #expect(try cli.run(["keys", "rotate"]).status == 0)
        let process = try cli.start(["keys", "rewrap", "--batch-size", "500"])
        Thread.sleep(forTimeInterval: 0.4)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let rerun = try cli.run(["keys", "rewrap", "--json"])
        #expect(rerun.status == 0)
        let status = try cli.run(["keys", "status", "--json"])
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(versions.map { $0["customers"] as? Int } == [0, 20000])
        let retire = try cli.run(["keys", "retire", "1"])
        #expect(retire.status == 0, "\(retire.stderr)")
        let again = try cli.run(["keys", "retire", "1"])
        #expect(again.stderr == "coffer: error: key version 1 is retired and can no longer be used\n")
        let export = try cli.run(["import", "customers", "demo/customers.csv", "--json"])
        #expect(export.status == 0)
        // Every customer still decrypts: each row was compared with what is stored, and matched.
        #expect(export.stdout.contains("\"unchanged\" : 20000"))
    }

    private func countCustomers(_ cli: CLI) throws -> Int {
        let result = try cli.run(["keys", "status", "--json"])
        guard result.status == 0,
              let versions = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else { return 0 }
        return versions.compactMap { $0["customers"] as? Int }.reduce(0, +)
    }
}
