import Foundation
import Testing

/// Scoring, hand-off, ICP discovery and calibration through the real binary, as a new user
/// runs them on demo data.
@Suite(.serialized) struct QualificationCLITests {
    static let b2b = CLI.repositoryRoot + "/policies/scoring/b2b.yaml"
    static let qclHeader = "pseudonym,score,score_min,score_max,tier,tier_bound,completeness,confidence,reasons,next_action,recontact_month,rfm_segment,clv_predicted,model,model_version,scored_at"

    /// A vault with 300 demo customers and their outcomes; COFFER_TOKEN is the analyst's.
    struct Setup {
        let cli: CLI
        let admin: String
        let analyst: String

        init() throws {
            cli = try CLI()
            try cli.initVault()
            admin = try #require(cli.environment["COFFER_TOKEN"])
            #expect(try cli.run(["demo-data", "--customers", "300", "--seed", "7", "--out", "demo"]).status == 0)
            #expect(try cli.run(["import", "customers", "demo/customers.csv"]).status == 0)
            #expect(try cli.run(["import", "outcomes", "demo/outcomes.csv"]).status == 0)
            let added = try cli.run(["users", "add", "ana", "--role", "analyst", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
            analyst = try #require(json["token"] as? String)
            cli.environment["COFFER_TOKEN"] = analyst
        }

        func read(_ name: String) throws -> String {
            try String(contentsOfFile: cli.directory + "/" + name, encoding: .utf8)
        }

        func mode(_ name: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: cli.directory + "/" + name)[.posixPermissions] as? Int
        }

        /// Names and emails of the demo customers (what must never reach an analyst's files).
        func identifiers() throws -> [String] {
            let lines = try read("demo/customers.csv").split(separator: "\n").map(String.init)
            let header = lines[0].split(separator: ",").map(String.init)
            let name = try #require(header.firstIndex(of: "full_name")), email = try #require(header.firstIndex(of: "email"))
            var out: [String] = []
            for line in lines.dropFirst() {
                // Demo names and emails hold no commas or quotes; other columns may.
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard fields.count > email else { continue }
                out += [fields[name], fields[email]].filter { $0.count >= 6 && !$0.contains("\"") }
            }
            return out
        }

        /// A refusal: exit `status`, one line on stderr starting with `prefix`, `file` not written.
        func expectRefusal(_ result: CLI.Result, status: Int32, _ prefix: String, notWritten file: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(result.status == status, sourceLocation: sourceLocation)
            #expect(result.stderr.hasPrefix("coffer: error: " + prefix), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.split(separator: "\n").count == 1, sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: cli.directory + "/" + file), sourceLocation: sourceLocation)
        }

        /// `coffer score` as the analyst.
        func score(_ extra: [String] = [], model: String = QualificationCLITests.b2b) throws -> CLI.Result {
            try cli.run(["score", "--model", model, "--purpose", "qualification"] + extra)
        }
    }

    /// The report opens without network: the SVG namespace name is its only URL.
    static func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let rest = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(html.contains("<svg"), sourceLocation: sourceLocation)
        #expect(!rest.contains("http://") && !rest.contains("https://") && !rest.contains("src=") && !rest.contains("<script"),
                sourceLocation: sourceLocation)
    }

    @Test func anAnalystScoresTheDemoDataIntoAQCLAndAReport() throws {
        let setup = try Setup()
        let result = try setup.score(["--out", "qcl.csv", "--report", "report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("scored 300 customers with b2b-leads v1"))
        #expect(result.stdout.contains("  tier ") && result.stdout.contains("in the QCL") && result.stdout.contains("k=5 guard: "))
        #expect(result.stdout.contains("report: report.html"))

        let qcl = try setup.read("qcl.csv")
        let lines = qcl.split(separator: "\n")
        #expect(lines.first.map(String.init) == Self.qclHeader)
        #expect(lines.count > 100 && lines.dropFirst().allSatisfy { $0.hasPrefix("ps_") })
        #expect(try setup.mode("qcl.csv") == 0o600 && setup.mode("report.html") == 0o600)

        let report = try setup.read("report.html")
        Self.expectSelfContained(report)
        #expect(report.contains("b2b-leads") && report.contains("Conversion by tier"))

        let identifiers = try setup.identifiers()
        #expect(identifiers.count > 400)
        for text in [qcl, report, result.stdout] {
            let leaked = identifiers.filter { text.contains($0) }
            #expect(leaked.isEmpty, "leaked: \(leaked.prefix(3))")
            #expect(!text.contains("CUS-"))
        }
    }

    @Test func scoreJSONAndAJSONQCLParse() throws {
        let setup = try Setup()
        let result = try setup.score(["--out", "qcl.json", "--json", "--quality", "quality.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(summary["customers"] as? Int == 300 && summary["model"] as? String == "b2b-leads" && summary["k"] as? Int == 5)
        let tiers = try #require(summary["tiers"] as? [[String: Any]])
        #expect(tiers.compactMap { $0["tier"] as? String } == ["A", "B", "C", "D", "disqualified"])
        #expect(tiers.compactMap { $0["customers"] as? Int }.reduce(0, +) == summary["rows"] as? Int)

        let data = try #require(FileManager.default.contents(atPath: setup.cli.directory + "/qcl.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["pseudonym_domain"] as? String == "analytics" && document["k"] as? Int == 5)
        let rows = try #require(document["rows"] as? [[String: Any]])
        #expect(rows.count == summary["rows"] as? Int && rows.allSatisfy { ($0["pseudonym"] as? String)?.hasPrefix("ps_") == true })
        // Numbers as numbers, reasons an array of strings (the CSV keeps one joined cell).
        #expect(rows.allSatisfy { $0["score"] as? Double != nil && !($0["score"] is String) && $0["reasons"] is [String] })
        #expect(summary["out"] as? String == "qcl.json" && summary["quality"] as? String == "quality.json")
        let quality = try #require(try JSONSerialization.jsonObject(with: Data(try setup.read("quality.json").utf8)) as? [String: Any])
        #expect((quality["criteria"] as? [Any])?.count == 21 && quality["customers"] as? Int == 300)
    }

    @Test func anOutputWithAnotherExtensionIsOneErrorLine() throws {
        let setup = try Setup()
        setup.expectRefusal(try setup.score(["--out", "qcl.txt"]), status: 1, "--out qcl.txt: name a .csv or .json file\n", notWritten: "qcl.txt")
        // An output the tool cannot create is refused before any customer is read.
        setup.expectRefusal(try setup.score(["--out", "qcl.csv", "--report", "no/such/dir/report.html"]), status: 1,
                            "--report no/such/dir/report.html: the directory no/such/dir does not exist or is not writable\n", notWritten: "qcl.csv")
        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        let log = try setup.cli.run(["audit", "log", "--action", "score", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [Any])?.count == 0, "\(log.stdout)")
        #expect(try setup.cli.run(["qcl", "handoff", "qcl.csv", "--tier", "A", "--out", "no/h.csv"]).stderr.contains("the directory no does not exist"))
    }

    @Test func aFailedReportLeavesNoQCLBehind() throws {
        let setup = try Setup()
        // The report path is a directory: the QCL, written first, must not stay behind alone.
        try FileManager.default.createDirectory(atPath: setup.cli.directory + "/report.html", withIntermediateDirectories: true)
        let result = try setup.score(["--out", "qcl.csv", "--report", "report.html"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot write report.html"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.cli.directory + "/qcl.csv"))
    }

    @Test func aMalformedQCLIsOneLineWithItsLine() throws {
        let setup = try Setup()
        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        _ = try setup.cli.write("bad.csv", Self.qclHeader + "\nps_abc,1,,,A,exact,100,100,\"never closed,,,,,,,\n")
        setup.expectRefusal(try setup.cli.run(["qcl", "handoff", "bad.csv", "--tier", "A", "--out", "h.csv", "--purpose", "operations"]),
                            status: 1, "bad.csv:2: quoted field never closed", notWritten: "h.csv")
    }

    @Test func anInvalidModelIsRefusedWithFileAndLine() throws {
        let setup = try Setup()
        let model = try setup.cli.write("bad.yaml", """
            name: bad
            version: 1
            purpose: qualification
            groups:
              fit:
                rules:
                  - { field: email, missing: false, points: 10 }
            tiers: [{ name: A }]

            """)
        setup.expectRefusal(try setup.score(["--out", "qcl.csv"], model: model), status: 1, "\(model):7: field email is redacted for the analyst role",
                            notWritten: "qcl.csv")
    }

    @Test func handoffOfTierANeedsReidentify() throws {
        let setup = try Setup()
        #expect(try setup.score(["--out", "qcl.csv", "--k", "2"]).status == 0)
        let tierA = try setup.read("qcl.csv").split(separator: "\n").dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false)[4] == "A" }
        #expect(!tierA.isEmpty)

        setup.expectRefusal(try setup.cli.run(["qcl", "handoff", "qcl.csv", "--tier", "A", "--out", "h.csv", "--purpose", "qualification"]),
                            status: 5, "not permitted: role analyst may not reidentify\n", notWritten: "h.csv")

        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        // A --tier that is no tier of the QCL (here: a name) is ignored and never logged.
        let handed = try setup.cli.run(["qcl", "handoff", "qcl.csv", "--tier", "A", "Ada Lovelace", "--out", "h.csv", "--purpose", "operations"])
        #expect(handed.status == 0, "\(handed.stderr)")
        #expect(handed.stdout.hasPrefix("handed \(tierA.count) customers (tier A \(tierA.count), tier Ada Lovelace 0) to role sales in h.csv (legend: h.legend.csv)"))
        let rows = try setup.read("h.csv").split(separator: "\n")
        #expect(rows.first?.hasPrefix("customer_ref,full_name,email,phone,") == true)
        #expect(rows.first?.hasSuffix(",tier,score,score_min,score_max,reasons,next_action,recontact_month,model,model_version,scored_at") == true)
        #expect(rows.count == tierA.count + 1 && rows.dropFirst().allSatisfy { $0.hasPrefix("CUS-") })
        #expect(try setup.mode("h.csv") == 0o600)

        let log = try setup.cli.run(["audit", "log", "--action", "handoff", "--oldest-first", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries.compactMap { $0["outcome"] as? String } == ["denied", "ok"])
        #expect(entries.last?["detail"] as? String == "\(tierA.count) of \(tierA.count) pseudonyms (domain analytics) handed to role sales; tiers A")
        #expect(!log.stdout.contains("Lovelace"))
    }

    @Test func icpAndCalibratePrintTheirTablesAndJSON() throws {
        let setup = try Setup()
        let icp = try setup.cli.run(["icp", "--segment", "won", "--purpose", "qualification", "--rules", "rules.yaml"])
        #expect(icp.status == 0, "\(icp.stderr)")
        #expect(icp.stdout.hasPrefix("segment won: "))
        #expect(icp.stdout.contains("attribute") && icp.stdout.contains("lift"))
        #expect(try setup.read("rules.yaml").hasPrefix("# Fit rules proposed by coffer icp for segment won"))
        let icpJSON = try setup.cli.run(["icp", "--segment", "won", "--purpose", "qualification", "--json"])
        let discovery = try #require(try JSONSerialization.jsonObject(with: Data(icpJSON.stdout.utf8)) as? [String: Any])
        #expect(discovery["customers"] as? Int == 300 && discovery["k"] as? Int == 5)
        let cells = try #require(discovery["cells"] as? [[String: Any]])
        #expect(!cells.isEmpty && cells.allSatisfy { ($0["support"] as? Int ?? 0) >= 5 })

        let calibrate = try setup.cli.run(["calibrate", "--model", Self.b2b, "--purpose", "qualification"])
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        #expect(calibrate.stdout.hasPrefix("b2b-leads v1: ") && calibrate.stdout.contains("ROC AUC"))
        #expect(calibrate.stdout.contains("tier") && calibrate.stdout.contains("conversion"))
        let calibrateJSON = try setup.cli.run(["calibrate", "--model", Self.b2b, "--compare", Self.b2b, "--purpose", "qualification", "--json"])
        let models = try #require(try JSONSerialization.jsonObject(with: Data(calibrateJSON.stdout.utf8)) as? [[String: Any]])
        #expect(models.count == 2 && models[0]["auc"] as? Double == models[1]["auc"] as? Double)
        #expect((models[0]["tiers"] as? [Any])?.count == 5)

        // Each run is one audited scan.
        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        for action in ["icp", "calibrate"] {
            let log = try setup.cli.run(["audit", "log", "--action", action, "--json"])
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
            #expect(entries.count == 2, "\(action)")
        }
    }

    @Test func rolesWithoutScoreAreRefused() throws {
        let setup = try Setup()
        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        let added = try setup.cli.run(["users", "add", "aud", "--role", "auditor", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
        setup.cli.environment["COFFER_TOKEN"] = try #require(json["token"] as? String)
        // The auditor sees no field: the model is refused before any scan.
        let result = try setup.score(["--out", "qcl.csv"])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        setup.cli.environment["COFFER_TOKEN"] = setup.analyst
        let noPurpose = try setup.cli.run(["score", "--model", Self.b2b, "--out", "qcl.csv"])
        #expect(noPurpose.status == 5 && noPurpose.stderr.contains("purpose"))
    }
}
