import Foundation
import Testing

/// A new user with only the binary: no source tree, no policy files, an empty directory.
@Suite struct FirstRunCLITests {
    static let copies = ["schema.yaml", "roles.yaml", "scoring/b2b.yaml", "scoring/b2c.yaml",
                         "mappings/hubspot.yaml", "mappings/odoo.yaml", "mappings/salesforce.yaml"]

    /// A CLI whose working directory holds nothing and whose vault is the default ./coffer-vault.
    func emptyDirectoryCLI() throws -> CLI {
        let cli = try CLI()
        cli.environment.removeValue(forKey: "COFFER_VAULT")
        cli.environment.removeValue(forKey: "COFFER_KEY_FILE")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory).isEmpty)
        return cli
    }

    @Test func initWithNoFilesUsesTheBuiltInDefaultsAndWritesEditableCopies() throws {
        let cli = try emptyDirectoryCLI()
        let created = try cli.run(["init"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("created vault coffer-vault (30 fields)"))
        #expect(created.stdout.contains("copied to coffer-vault.policies/ to edit"))
        for name in Self.copies {
            let path = cli.directory + "/coffer-vault.policies/" + name
            #expect(try String(contentsOfFile: path, encoding: .utf8) == String(contentsOfFile: CLI.repositoryRoot + "/policies/" + name, encoding: .utf8))
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        }
        let token = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        cli.environment["COFFER_TOKEN"] = token

        // Import, look up, and score with a copied model, all from this directory.
        #expect(try cli.run(["demo-data", "--customers", "50", "--out", "demo"]).status == 0)
        let imported = try cli.run(["import", "customers", "demo/customers.csv", "--json"])
        #expect(imported.status == 0 && imported.stdout.contains("\"inserted\" : 50"))
        let customers = try String(contentsOfFile: cli.directory + "/demo/customers.csv", encoding: .utf8)
        let reference = try #require(customers.split(separator: "\n").dropFirst().first?.split(separator: ",").first.map(String.init))
        let got = try cli.run(["get", reference, "--purpose", "operations"])
        #expect(got.status == 0 && got.stdout.contains(reference), "\(got.stderr)")
        #expect(try cli.run(["users", "add", "ana", "--role", "analyst", "--json"]).status == 0)

        // The copy of the policy is checked against this vault's schema.
        let check = try cli.run(["policy", "check", "coffer-vault.policies/roles.yaml"])
        #expect(check.status == 0 && check.stdout.hasSuffix("checked against the schema of vault coffer-vault\n"))
    }

    /// The "done when": a HubSpot export saved by Excel in Germany (semicolons,
    /// windows-1252, German dates) imports with the shipped mapping and no hand editing, by a
    /// user with only the binary, in an empty directory.
    @Test func aHubSpotExportSavedByExcelInGermanyImportsWithTheShippedMapping() throws {
        let cli = try emptyDirectoryCLI()
        let created = try cli.run(["init"])
        cli.environment["COFFER_TOKEN"] = created.stdout.split(separator: "\n").last.map(String.init)
        let header = "Record ID;First Name;Last Name;Email;Phone Number;Company Name;City;Country/Region;Last Activity Date;Original Source\r\n"
        let rows = "101;René;Müller;Rene.Mueller@Example.de;+49 30 1234567;Müller & Söhne GmbH;Köln;Deutschland;05.03.2024 14:22;Offline Sources\r\n"
            + "102;Zoë;Brandt;zoe@example.de;;;Berlin;Deutschland;31.02.2024 10:00;Organic Search\r\n"
        let export = cli.directory + "/hubspot-export.csv"
        let latin: [UInt8] = Array((header + rows).unicodeScalars).map { UInt8($0.value) }   // these characters are all < U+0100
        try Data(latin).write(to: URL(fileURLWithPath: export))

        // A dry run through the copy written beside the vault: counts, reasons, nothing written.
        let dry = try cli.run(["import", "customers", "hubspot-export.csv", "--map", "coffer-vault.policies/mappings/hubspot.yaml", "--dry-run"])
        #expect(dry.status == 2, "one row is rejected: \(dry.stderr)")
        #expect(dry.stderr.contains("note: hubspot-export.csv: detected encoding windows-1252, semicolon as the delimiter"))
        #expect(dry.stdout.contains("dry run, nothing written: 2 rows: 1 would be inserted, 0 updated, 0 unchanged, 1 rejected"))
        #expect(dry.stdout.contains("1 rejected: last_activity: not a date in the layout"))
        #expect(try cli.run(["get", "HS-101", "--purpose", "operations"]).status == 4)

        // The real import, with the built-in preset named, and the rejected row written back out
        // in the export's own dialect.
        let real = try cli.run(["import", "customers", "hubspot-export.csv", "--map", "hubspot", "--rejects", "fix-me.csv"])
        #expect(real.status == 2)
        #expect(real.stdout.contains("2 rows: 1 inserted, 0 updated, 0 unchanged, 1 rejected"))
        let rejects = try [UInt8](Data(contentsOf: URL(fileURLWithPath: cli.directory + "/fix-me.csv")))
        #expect(rejects.contains(0xEB) && rejects.contains(0x3B), "windows-1252 ë and semicolons")
        let got = try cli.run(["get", "HS-101", "--purpose", "operations", "--json"])
        #expect(got.status == 0)
        #expect(got.stdout.contains("René Müller") && got.stdout.contains("Köln") && got.stdout.contains("2024-03-05"))
        let found = try cli.run(["find", "--email", "rene.mueller@example.de", "--purpose", "operations"])
        #expect(found.status == 0 && found.stdout.contains("HS-101"))
    }

    @Test func dialectAndMappingArgumentsAreChecked() throws {
        let cli = try emptyDirectoryCLI()
        let created = try cli.run(["init"])
        cli.environment["COFFER_TOKEN"] = created.stdout.split(separator: "\n").last.map(String.init)
        let csv = try cli.write("c.csv", "customer_ref,full_name\nCUS-1,Ada\n")
        let badDelimiter = try cli.run(["import", "customers", csv, "--delimiter", ":"])
        #expect(badDelimiter.status == 64 && badDelimiter.stderr.contains("--delimiter must be one of , ; \\t |, not ':'"))
        let badEncoding = try cli.run(["import", "customers", csv, "--encoding", "ebcdic"])
        #expect(badEncoding.status == 64 && badEncoding.stderr.contains("--encoding must be one of utf-8"))
        let noMap = try cli.run(["import", "customers", csv, "--map", "pipedrive"])
        #expect(noMap.status == 1 && noMap.stderr == "coffer: error: cannot read mapping file pipedrive; check the --map path, or name a built-in mapping (hubspot, odoo, salesforce)\n")
        let both = try cli.run(["import", "customers", csv, "--dry-run", "--rejects", "r.csv"])
        #expect(both.status == 64)
        // Given explicitly, the dialect is not detected and no note is printed.
        let given = try cli.run(["import", "customers", csv, "--delimiter", ",", "--encoding", "utf-8"])
        #expect(given.status == 0 && given.stderr.isEmpty)
    }

    @Test func aSecondInitOrACopiesDirectoryInTheWayChangesNothing() throws {
        let cli = try emptyDirectoryCLI()
        #expect(try cli.run(["init"]).status == 0)
        let before = try String(contentsOfFile: cli.directory + "/coffer-vault.policies/roles.yaml", encoding: .utf8)
        let again = try cli.run(["init"])
        #expect(again.status == 1 && again.stderr == "coffer: error: a vault already exists at coffer-vault; choose another --vault directory\n")
        #expect(try String(contentsOfFile: cli.directory + "/coffer-vault.policies/roles.yaml", encoding: .utf8) == before)

        // Another vault whose copies directory is taken: refused before anything is created.
        try FileManager.default.createDirectory(atPath: cli.directory + "/other.policies", withIntermediateDirectories: false)
        let blocked = try cli.run(["init", "--vault", "other"])
        #expect(blocked.status == 1 && blocked.stderr.hasPrefix("coffer: error: other.policies already exists; move it away"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/other"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/other.key"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.directory + "/other.policies").isEmpty)

        // With both files given, nothing is copied.
        let explicit = try cli.run(["init", "--vault", "third"] + CLI.initArguments)
        #expect(explicit.status == 0 && !explicit.stdout.contains("copied"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/third.policies"))
    }

    @Test func policyCheckUsesTheBuiltInSchemaWithoutAVaultAndRefusesANamedMissingOne() throws {
        let cli = try emptyDirectoryCLI()
        let policy = CLI.repositoryRoot + "/policies/roles.yaml"
        let builtIn = try cli.run(["policy", "check", policy])
        #expect(builtIn.status == 0 && builtIn.stdout.hasSuffix("checked against the built-in schema\n"))
        cli.environment["COFFER_VAULT"] = cli.directory + "/missing"
        let missing = try cli.run(["policy", "check", policy])
        #expect(missing.status == 4 && missing.stderr.hasPrefix("coffer: error: no vault at \(cli.directory)/missing"))
        let broken = try cli.write("broken.yaml", "roles:\n  admin:\n    actions: [read]\n    fields: {no_such_field: plain}\n")
        let refused = try cli.run(["policy", "check", broken, "--schema", CLI.repositoryRoot + "/policies/schema.yaml"])
        #expect(refused.status == 1 && refused.stderr.contains("broken.yaml"))
    }

    @Test func helpWorksForTheToolEachCommandAndHelpSubcommand() throws {
        let cli = try emptyDirectoryCLI()
        for arguments in [["--help"], ["demo-data", "--help"], ["help", "import"], ["import", "customers", "--help"], ["users", "add", "-h"]] {
            let help = try cli.run(arguments)
            #expect(help.status == 0 && help.stdout.hasPrefix("OVERVIEW: ") && help.stderr.isEmpty, "\(arguments): \(help.stderr)")
        }
        #expect(try cli.run(["import", "customers", "--help"]).stdout.contains("--rejects <file.csv>"))
        let unknown = try cli.run(["--no-such-option"])
        #expect(unknown.status == 64 && unknown.stderr.hasPrefix("Error: Unknown option '--no-such-option'"))
    }
}
