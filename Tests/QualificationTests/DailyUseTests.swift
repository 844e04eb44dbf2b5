import CofferSupport
import Foundation
import Testing
@testable import Coffer
@testable import Qualification

/// Issue 19, items 7 and 8 through the library: the guard's figures per tier, QCL files that
/// record their scoring run, hand-offs from CSV and JSON, provenance and holdouts, small tiers,
/// case-insensitive labels, and one source of truth for value defaults.
@Suite struct DailyUseTests {
    // MARK: The guard per tier, and QCL files that name their run

    @Test func theGuardCountsPerTierWhatItScoredCoarsenedAndSuppressed() throws {
        let (engine, scores) = try EngineTests.guardScores()
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5)
        #expect(qcl.tierGuard == [QualifiedCustomerList.TierGuard(tier: "A", scored: 10, coarsened: 5, suppressed: 0),
                                  QualifiedCustomerList.TierGuard(tier: "B", scored: 2, coarsened: 0, suppressed: 2),
                                  QualifiedCustomerList.TierGuard(tier: "disqualified")])
        #expect(qcl.tierGuard.map(\.rows) == [10, 0, 0])
        // The counts the file holds per tier are the guard's rows.
        #expect(qcl.tierCounts == ["A": 10])
    }

    @Test func bothQCLFormatsReadBackWithTheirRun() throws {
        let (engine, scores) = try EngineTests.guardScores()
        let at = Date(timeIntervalSince1970: 1_750_000_000)
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5, scoredAt: at)
        #expect(qcl.scoredAtText == "2025-06-15T15:06:40.000Z")
        let scratch = try ScratchDirectory()
        try qcl.writeCSV(to: scratch.file("qcl.csv"))
        try qcl.writeJSON(to: scratch.file("qcl.json"), domain: "analytics")
        let csv = try QCLHandoff.read(scratch.file("qcl.csv"))
        let json = try QCLHandoff.read(scratch.file("qcl.json"))
        for file in [csv, json] {
            #expect(file.model == "test" && file.modelVersion == "1" && file.scoredAt == "2025-06-15T15:06:40.000Z")
            #expect(file.rows.count == 10 && file.rowsPerTier.map(\.tier) == ["A"])
            let first = try #require(file.rows.first { $0.pseudonym == "ps_0" })
            #expect(first.score == "15" && first.reasons == ["birth_date 40-49: +10", "industry Software: +5"])
        }
        #expect(csv.format == .csv && json.format == .json)
        #expect(json.modelDigest == engine.model.digest && json.k == 5 && json.tierGuard == qcl.tierGuard)
        #expect(csv.tierGuard == nil)
        // Without an extension the content decides.
        try FileManager.default.copyItem(atPath: scratch.file("qcl.json"), toPath: scratch.file("qcl-copy"))
        #expect(try QCLHandoff.read(scratch.file("qcl-copy")).format == .json)
        // A JSON QCL whose numbers are numbers and reasons a list (the output contract) reads the same.
        let modern = try scratch.write("modern.json", """
            {"model": "m", "model_version": 2, "scored_at": "2025-01-01T00:00:00Z", "rows": [
              {"pseudonym": "ps_a", "tier": "A", "score": 71.5, "score_min": 70, "score_max": 80, "reasons": ["x: +5", "y: +3"]}]}
            """)
        let read = try QCLHandoff.read(modern)
        #expect(read.modelVersion == "2" && read.rows == [QCLFileRow(pseudonym: "ps_a", tier: "A", score: "71.5", nextAction: "", recontactMonth: "",
                                                                        scoreMin: "70", scoreMax: "80", reasons: ["x: +5", "y: +3"])])
    }

    @Test func anEmptyTierIsExplainedWithWhatTheGuardDid() throws {
        let (engine, scores) = try EngineTests.guardScores()
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5)
        let scratch = try ScratchDirectory()
        try qcl.writeJSON(to: scratch.file("qcl.json"), domain: "analytics")
        try qcl.writeCSV(to: scratch.file("qcl.csv"))
        let json = try QCLHandoff.read(scratch.file("qcl.json")).explainEmpty(["B"])
        #expect(json.contains("tiers with rows in \(scratch.file("qcl.json")): A 10"))
        #expect(json.contains("the k=5 anonymity guard suppressed all 2 customers scored B"))
        #expect(json.contains("in all the guard coarsened 5 rows and suppressed 2"))
        let csv = try QCLHandoff.read(scratch.file("qcl.csv")).explainEmpty(["B"])
        #expect(csv.contains("A 10") && csv.contains("a CSV QCL does not record the rows the k-anonymity guard suppressed"))
    }

    @Test func aCSVQCLWithoutItsRunOrMixingRunsIsRefused() throws {
        let scratch = try ScratchDirectory()
        let old = try scratch.write("old.csv", "pseudonym,score,score_min,score_max,tier,tier_bound,completeness,confidence,reasons,next_action,recontact_month\nps_a,1,,,A,exact,1,1,,,\n")
        #expect(throws: VaultError.invalidInput("\(old):1: no 'model' column; " + QCLHandoff.olderQCL)) { try QCLHandoff.read(old) }
        let header = "pseudonym,score,score_min,score_max,tier,tier_bound,completeness,confidence,reasons,next_action,recontact_month,model,model_version,scored_at\n"
        let mixed = try scratch.write("mixed.csv", header + "ps_a,1,,,A,exact,1,1,,,,m,1,2025-01-01T00:00:00Z\nps_b,1,,,A,exact,1,1,,,,m,2,2025-01-02T00:00:00Z\n")
        #expect(throws: VaultError.self) { try QCLHandoff.read(mixed) }
    }

    @Test func aHandOffCarriesTheRunTheIntervalTheReasonsAndALegend() async throws {
        let fixture = try QualificationVault()
        let qualifier = Qualifier(vault: fixture.vault, session: fixture.analyst, purpose: "qualification")
        let run = try qualifier.score(try qualifier.loadModel(path: QualifierVaultTests.b2b), k: 2)
        try run.write(qcl: fixture.scratch.file("qcl.json"), format: .json)
        try run.write(qcl: fixture.scratch.file("qcl.csv"), format: .csv)
        let service = VaultService(vault: fixture.vault)
        let admin = Caller(session: fixture.admin, purpose: "operations")

        let csv = try await service.perform(HandOffQCL(qcl: try QCLHandoff.read(fixture.scratch.file("qcl.csv")), tiers: ["A"], role: "sales",
                                                       to: fixture.scratch.file("for-sales.csv")), as: admin)
        #expect(csv.handed == 3 && csv.format == .csv && csv.legend == fixture.scratch.file("for-sales.legend.csv"))
        #expect(csv.model == "b2b-leads" && csv.modelVersion == "1" && csv.scoredAt == run.qcl.scoredAtText && csv.emptyTiers == nil)
        let records = try csvRecords(fixture.scratch.file("for-sales.csv"))
        let header = records[0]
        #expect(Array(header.suffix(QCLHandoff.qclColumns.count)) == QCLHandoff.qclColumns)
        let column = { (name: String) in header.firstIndex(of: name)! }
        for row in records.dropFirst() {
            #expect(row[column("model")] == "b2b-leads" && row[column("model_version")] == "1" && row[column("scored_at")] == run.qcl.scoredAtText)
            #expect(row[column("score_min")] == "70" || row[column("score_min")] == "65")
            #expect(row[column("reasons")].contains("company_size") || row[column("reasons")].contains("budget"))
        }
        let legend = try csvRecords(fixture.scratch.file("for-sales.legend.csv"))
        #expect(legend[0] == ["column", "meaning"] && legend.dropFirst().map { $0[0] } == header)
        #expect(try fixture.scratch.mode("for-sales.csv") == 0o600 && fixture.scratch.mode("for-sales.legend.csv") == 0o600)

        let json = try await service.perform(HandOffQCL(qcl: try QCLHandoff.read(fixture.scratch.file("qcl.json")), tiers: ["A", "B"], role: "sales",
                                                        to: fixture.scratch.file("for-sales.json")), as: admin)
        #expect(json.format == .json && json.legend == nil && json.handed == 3)
        #expect(json.tiers == [.init(tier: "A", rows: 3, handed: 3), .init(tier: "B", rows: 0, handed: 0)])
        #expect(json.emptyTiers?.contains("the k=2 anonymity guard suppressed the one customer scored B") == true)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(try fixture.scratch.read("for-sales.json").utf8)) as? [String: Any])
        #expect(document["model"] as? String == "b2b-leads" && document["model_digest"] as? String == run.qcl.model.digest)
        #expect((document["legend"] as? [String: String])?["scored_at"]?.contains(run.qcl.scoredAtText) == true)
        let rows = try #require(document["rows"] as? [[String: Any]])
        #expect(rows.count == 3 && rows.allSatisfy { ($0["customer_ref"] as? String)?.hasPrefix("CUS-Q-") == true })
        #expect(rows.allSatisfy { $0["score"] is Double || $0["score"] is Int } && rows.allSatisfy { ($0["reasons"] as? [String])?.count == 3 })
        #expect(try fixture.scratch.mode("for-sales.json") == 0o600)

        // No row in the asked tiers: refused before the vault is read, naming what the guard did.
        let before = try fixture.entries(.handoff).count
        await #expect(throws: VaultError.self) {
            try await service.perform(HandOffQCL(qcl: try QCLHandoff.read(fixture.scratch.file("qcl.json")), tiers: ["D"], role: "sales",
                                                 to: fixture.scratch.file("d.csv")), as: admin)
        }
        #expect(try fixture.entries(.handoff).count == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.file("d.csv")))
    }

    // MARK: Criteria groups

    @Test func theQualityReportSumsEachCriteriaGroup() throws {
        let fixture = try QualificationVault()
        let qualifier = Qualifier(vault: fixture.vault, session: fixture.analyst, purpose: "qualification")
        let run = try qualifier.score(try qualifier.loadModel(path: QualifierVaultTests.b2b), k: 2)
        let groups = run.quality.groups
        #expect(groups.map(\.group) == ["fit", "intent", "engagement", "risk", "disqualifiers"])
        #expect(groups.map(\.criteria).reduce(0, +) == run.quality.criteria.count)
        for group in groups {
            let criteria = run.quality.criteria.filter { $0.group == group.group }
            #expect(group.missing == criteria.map(\.missing).reduce(0, +) && group.criteriaWithGaps == criteria.filter { $0.unscored > 0 }.count)
        }
    }

    // MARK: Labels

    @Test func labelsMatchWithoutRegardToCase() throws {
        // industry is free text: the view cannot list its labels, so matching ignores case.
        let engine = try Fixture.engine(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: industry, equals: software, points: 10 }
                  - { field: need, in: [HIGH, Medium], points: 5 }
            tiers: [{ name: A, min: 10 }, { name: B, max: 10 }]

            """))
        // need is an enum: its labels are known, so the literals are rewritten as the view shows them.
        let rules = engine.model.groups[0].rules
        #expect(rules[1].condition.op == .oneOf(["high", "medium"]))
        #expect(engine.score(["industry": View.label("Software"), "need": View.label("high")]).score == 15)
        #expect(engine.score(["industry": View.label("SOFTWARE")]).score == 10)
        #expect(engine.score(["industry": View.label("Softwares")]).score == 0)
        #expect(sameIgnoringCase("Ärzte", "ärzte") && !sameIgnoringCase("a", "b") && !sameIgnoringCase("a@", "a`"))
        // A literal that names no label is still refused with its line.
        let refusal = try Fixture.refusal(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: need, equals: urgent, points: 10 }
            tiers: [{ name: A }]

            """))
        #expect(refusal.line == 7 && refusal.message.contains("never sees 'urgent' for need"))
    }

    // MARK: Provenance, holdout, small tiers

    @Test func aHoldoutSplitIsDeterministicKeyedAndAboutTheFractionAsked() {
        let split = HoldoutSplit(fraction: 0.3)
        let references = (0..<2000).map { "ps_\($0)" }
        let held = references.filter(split.isHeldOut)
        #expect(held.count > 520 && held.count < 680)
        #expect(references.filter(split.isHeldOut) == held)
        #expect(references.filter(HoldoutSplit(fraction: 0.3, seed: "other").isHeldOut) != held)
        #expect(!split.isHeldOut(nil))
    }

    @Test func icpRulesCarryTheirProvenanceAndAModelReadsIt() async throws {
        let fixture = try QualificationVault()
        let service = VaultService(vault: fixture.vault)
        let result = try await service.perform(DiscoverICP(segment: .tiers(["A"]), model: try ModelDocument.read(path: QualifierVaultTests.b2b), k: 2,
                                                           minimumLift: 1.1, holdout: HoldoutSplit(fraction: 0.25, seed: "s1")),
                                               as: Caller(session: fixture.analyst, purpose: "qualification"))
        #expect(result.provenance.outcomes == false && result.provenance.holdout == HoldoutSplit(fraction: 0.25, seed: "s1"))
        #expect(result.rulesYAML.contains("provenance:\n  - { source: coffer icp, segment: \"tier=A\", date: "))
        // The provenance entry as written loads into a model.
        let entry = try #require(result.rulesYAML.split(separator: "\n").first { $0.hasPrefix("  - { source:") })
        let model = try Fixture.model(modelYAML("provenance:\n\(entry)\n" + """
            groups:
              fit:
                rules:
                  - { field: need, equals: high, points: 10 }
            tiers: [{ name: A }]

            """))
        #expect(model.provenance == [Provenance(source: "coffer icp", segment: "tier=A", date: result.provenance.date, outcomes: false,
                                                holdout: HoldoutSplit(fraction: 0.25, seed: "s1"), line: model.provenance.first?.line ?? 0)])
        let refusal = try Fixture.refusal(modelYAML("provenance:\n  - { source: me }\n" + """
            groups:
              fit:
                rules:
                  - { field: need, equals: high, points: 10 }
            tiers: [{ name: A }]

            """))
        #expect(refusal.message.contains("needs 'outcomes: true|false'"))
    }

    @Test func rulesLearnedFromOutcomesAreFlaggedUnlessJudgedOnTheirHoldout() throws {
        func model(_ provenance: String) throws -> ScoringModel {
            try Fixture.model(modelYAML("provenance:\n  - \(provenance)\n" + """
                groups:
                  fit:
                    rules:
                      - { field: need, equals: high, points: 10 }
                tiers: [{ name: A }]

                """))
        }
        let learned = try model("{ source: coffer icp, segment: won, date: 2025-01-31, outcomes: true }")
        let warned = Qualifier.provenanceWarnings(learned, split: nil)
        #expect(warned.count == 1 && !warned[0].fair && warned[0].text.contains("without a holdout") && warned[0].text.contains("--holdout 0.3"))
        let held = try model("{ source: coffer icp, segment: won, outcomes: true, holdout: { fraction: 0.3, seed: s } }")
        #expect(Qualifier.provenanceWarnings(held, split: HoldoutSplit(fraction: 0.3, seed: "s")).map(\.fair) == [true])
        #expect(Qualifier.provenanceWarnings(held, split: HoldoutSplit(fraction: 0.3, seed: "t")).map(\.fair) == [false])
        #expect(Qualifier.provenanceWarnings(try model("{ source: coffer icp, segment: tier=A, outcomes: false }"), split: nil).isEmpty)
    }

    @Test func calibrationReportsEachPartOfTheHoldout() throws {
        let fixture = try QualificationVault()
        let qualifier = Qualifier(vault: fixture.vault, session: fixture.analyst, purpose: "qualification")
        let model = try qualifier.loadModel(path: QualifierVaultTests.b2b)
        let split = HoldoutSplit(fraction: 0.5, seed: "x")
        let result = try qualifier.calibrate(model, split: split, minimumOutcomes: 3)
        let c = try #require(result.first)
        #expect(c.splits.map(\.split) == ["train", "holdout"] && c.minimumOutcomes == 3)
        #expect(zip(c.splits[0].tiers, c.splits[1].tiers).map { $0.customers + $1.customers } == c.tiers.map(\.customers))
        #expect(try fixture.entries(.calibrate).last?.detail.contains("holdout 0.5 seed x") == true)
    }

    // MARK: Value defaults

    /// README's value-settings table is the one place the defaults are written; it must say what
    /// `ValueSettings()` holds.
    @Test func theREADMEValueSettingsTableIsTheCodesDefaults() throws {
        let readme = try Fixture.text("README.md")
        let start = try #require(readme.range(of: "<!-- value-settings: checked by DailyUseTests -->"))
        let rows = readme[start.upperBound...].split(separator: "\n").drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        var table: [String: String] = [:]
        for row in rows.dropFirst(2) {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            table[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1]
        }
        let defaults = ValueSettings()
        #expect(table == ["lifespan_years": formatNumber(defaults.lifespanYears), "margin": formatNumber(defaults.margin),
                          "horizon_months": String(defaults.horizonMonths), "annual_discount_rate": formatNumber(defaults.annualDiscountRate),
                          "fit_sample": String(defaults.fitSample)])
    }
}
