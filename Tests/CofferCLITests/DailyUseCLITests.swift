import Foundation
import Testing

/// Issue 19, items 7 and 8, as an analyst and an admin run them on 300 demo customers.
@Suite(.serialized) struct DailyUseCLITests {
    typealias Setup = QualificationCLITests.Setup
    static let b2b = QualificationCLITests.b2b

    /// A key of a `--json` object, whichever style the output contract gives it.
    static func value(_ object: [String: Any], _ snake: String) -> Any? {
        if let v = object[snake] { return v }
        let parts = snake.split(separator: "_")
        return object[String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()]
    }

    @Test func scoreAndItsReportAgreeOnTiersAndHandoffExplainsAnEmptyTier() throws {
        let setup = try Setup()
        let text = try setup.score(["--out", "qcl.json", "--report", "report.html"])
        #expect(text.status == 0, "\(text.stderr)")
        // On this demo the guard suppresses the two customers of tier A: both outputs say so.
        #expect(text.stdout.contains("  A                  2          0           2           0"), "\(text.stdout)")
        #expect(text.stdout.contains("k=5 guard: ") && text.stdout.contains("fewer than 5 customers share"))
        let report = try setup.read("report.html")
        #expect(report.contains("<td>A</td><td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">0</td>")
                || report.contains(">A<") && report.contains("suppressed"), "tier table")
        // Criteria: one line per group, each criterion only with --verbose.
        #expect(!text.stdout.contains("not scored:") && text.stdout.contains("  fit: ") && text.stdout.contains("(each criterion: --verbose"))
        let verbose = try setup.score(["--out", "qcl2.csv", "--verbose"])
        #expect(verbose.stdout.contains("  not scored: fit: "))

        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        let empty = try setup.cli.run(["qcl", "handoff", "qcl.json", "--tier", "A", "--out", "h.csv", "--purpose", "operations"])
        setup.expectRefusal(empty, status: 1, "qcl.json: no rows in tier A; tiers with rows in qcl.json: B ", notWritten: "h.csv")
        #expect(empty.stderr.contains("the k=5 anonymity guard suppressed all 2 customers scored A"))

        let handed = try setup.cli.run(["qcl", "handoff", "qcl.json", "--tier", "A", "B", "--out", "h.json", "--purpose", "operations", "--json"])
        #expect(handed.status == 0, "\(handed.stderr)")
        let summary = try #require(try json(handed) as? [String: Any])
        #expect(summary["handed"] as? Int == 23 && summary["format"] as? String == "json" && summary["model"] as? String == "b2b-leads")
        #expect((Self.value(summary, "empty_tiers") as? String)?.contains("suppressed all 2 customers scored A") == true)
        let tiers = try #require(summary["tiers"] as? [[String: Any]])
        #expect(tiers.map { $0["tier"] as? String } == ["A", "B"] && tiers.map { $0["handed"] as? Int } == [0, 23])
        let file = try #require(try JSONSerialization.jsonObject(with: Data(try setup.read("h.json").utf8)) as? [String: Any])
        #expect(file["legend"] is [String: String] && file["model_version"] as? String == "1" && file["scored_at"] is String)
        #expect((file["rows"] as? [Any])?.count == 23)
        #expect(try setup.mode("h.json") == 0o600)
    }

    @Test func aCSVHandOffHasALegendFile() throws {
        let setup = try Setup()
        #expect(try setup.score(["--out", "qcl.csv"]).status == 0)
        setup.cli.environment["COFFER_TOKEN"] = setup.admin
        let handed = try setup.cli.run(["qcl", "handoff", "qcl.csv", "--tier", "B", "--out", "for-sales.csv", "--purpose", "operations"])
        #expect(handed.status == 0, "\(handed.stderr)")
        #expect(handed.stdout.hasPrefix("handed 23 customers (tier B 23) to role sales in for-sales.csv (legend: for-sales.legend.csv)"))
        #expect(handed.stdout.contains("scored by b2b-leads v1 at "))
        let header = try setup.read("for-sales.csv").split(separator: "\n")[0]
        let legend = try setup.read("for-sales.legend.csv").split(separator: "\n")
        #expect(legend[0] == "column,meaning" && legend.count == header.split(separator: ",").count + 1)
        #expect(legend.contains { $0.hasPrefix("scored_at,") })
        #expect(try setup.mode("for-sales.legend.csv") == 0o600)
    }

    @Test func calibrateWarnsOnRulesLearnedFromItsOutcomesAndReportsTheHoldout() throws {
        let setup = try Setup()
        #expect(try setup.cli.run(["icp", "--segment", "won", "--purpose", "qualification", "--rules", "all.yaml", "--min-lift", "1.2"]).status == 0)
        #expect(try setup.cli.run(["icp", "--segment", "won", "--purpose", "qualification", "--rules", "held.yaml", "--min-lift", "1.2",
                                   "--holdout", "0.3", "--seed", "demo"]).status == 0)
        let shipped = try String(contentsOfFile: Self.b2b, encoding: .utf8)
        func model(from rules: String, name: String) throws -> String {
            let text = try setup.read(rules)
            let provenance = try #require(text.split(separator: "\n").first { $0.hasPrefix("  - { source: coffer icp") })
            #expect(provenance.contains("outcomes: true"))
            return try setup.cli.write(name, shipped.replacingOccurrences(of: "\ngroups:\n", with: "\nprovenance:\n\(provenance)\ngroups:\n"))
        }
        let learned = try model(from: "all.yaml", name: "learned.yaml"), held = try model(from: "held.yaml", name: "held-model.yaml")

        let warned = try setup.cli.run(["calibrate", "--model", Self.b2b, "--compare", learned, "--purpose", "qualification"])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stdout.contains("warning: b2b-leads v1: rules proposed by coffer icp, segment won") && warned.stdout.contains("without a holdout"))
        #expect(warned.stdout.contains("(but see the warning: not a fair comparison)"))
        // Small tiers: a flag, no percentage.
        #expect(warned.stdout.contains("small") && !warned.stdout.contains("100.0%"))

        let judged = try setup.cli.run(["calibrate", "--model", held, "--purpose", "qualification", "--json"])
        let models = try #require(try json(judged) as? [[String: Any]])
        let splits = try #require(models.first?["splits"] as? [[String: Any]])
        #expect(splits.map { $0["split"] as? String } == ["train", "holdout"])
        #expect((models.first?["notes"] as? [String])?.first?.contains("30% held out (seed demo)") == true)
        #expect((models.first?["warnings"] as? [String]) == [])
        let tiers = try #require(models.first?["tiers"] as? [[String: Any]])
        #expect(tiers.filter { $0["small"] as? Bool == true }.allSatisfy { Self.value($0, "conversion_rate") == nil || Self.value($0, "conversion_rate") is NSNull })
        #expect(try setup.cli.run(["calibrate", "--model", held, "--purpose", "qualification", "--holdout", "1.5"]).status == 1)
    }
}
