import CofferSupport
import Foundation
import Testing
@testable import Coffer
@testable import Qualification

/// Scoring runs through a real vault: what the analyst gets, what the audit log records, and
/// who may do what.
@Suite struct QualifierVaultTests {
    let fixture: QualificationVault
    var vault: Vault { fixture.vault }
    static let b2b = Fixture.repositoryRoot + "/policies/scoring/b2b.yaml"

    init() throws {
        fixture = try QualificationVault()
    }

    func analystRun(k: Int = 2, withReport: Bool = false) throws -> (ScoringModel, Qualifier.ScoreRun) {
        let qualifier = Qualifier(vault: vault, session: fixture.analyst, purpose: "qualification")
        let model = try qualifier.loadModel(path: Self.b2b)
        return (model, try qualifier.score(model, k: k, withReport: withReport))
    }

    @Test func anAnalystScoresWithTheShippedB2BModelInOneAuditedRun() throws {
        let before = try fixture.entries(.score).count
        let (model, run) = try analystRun()
        #expect(run.customers == QualificationVault.customers.count)
        #expect(run.domain == "analytics")
        #expect(run.quality.customers == QualificationVault.customers.count)
        // Three customers reach tier A; B, D and disqualified hold one each, classes of one that
        // the guard suppresses even at k = 2.
        #expect(run.qcl.rows.count == 3 && run.qcl.suppressed == 3 && run.qcl.coarsened == 0)
        #expect(run.qcl.rows.allSatisfy { $0.score.reference?.hasPrefix("ps_") == true && $0.score.tier == "A" })

        let entries = try fixture.entries(.score)
        #expect(entries.count == before + 1)
        let entry = try #require(entries.last)
        #expect(entry.actor == "ana" && entry.role == "analyst" && entry.purpose == "qualification" && entry.outcome == .ok)
        #expect(entry.detail.contains("model b2b-leads v1 sha256:\(model.digest)"))
        #expect(entry.detail.contains("k=2"))
        #expect(entry.fields == ["customer_ref"] + model.fields)
        #expect(entry.customerCount == Int64(QualificationVault.customers.count))
        // Nothing else read customers on the analyst's behalf.
        #expect(try vault.auditEntries(AuditQuery(actor: "ana")).filter { $0.customerCount > 0 }.count == 1)
    }

    @Test func scoresMatchTheRulesOnTheAnalystsView() throws {
        let (_, run) = try analystRun(withReport: true)
        let scores = run.qcl.rows.map(\.score)
        // Cornelius Abernathy: company 700 (250-999: +15), Financial Services (+10), GB (+5) → fit
        // capped at 30; budget 20000 (+10), decision maker (+10), need high (+10), 45 days (+10)
        // → intent capped at 40; engagement without a last activity: [0, 25]; no risk. Henrietta
        // Quartermaine the same with 120 employees (50-249) in Software. Philippa Oyelaran as
        // well, less 5 for a payment delay.
        #expect(scores.map(\.low) == [70, 70, 65] && scores.map(\.high) == [95, 95, 90])
        #expect(scores.allSatisfy { $0.tier == "A" && $0.tierBound == "exact" && $0.completeness < 1 })
        #expect(Set(scores.prefix(2).compactMap { $0.reasons.first?.text() }) == ["company_size 50-249: +15", "company_size 250-999: +15"])
        #expect(scores.allSatisfy { $0.nextAction == "hand off to sales" })
        // Before the guard: Marisol Thackeray (no budget, no timeline: [50, 75]) is B, Bartholomew
        // Ekwueme (risk -25, capped at 0) is D, Ottilie Vandersloot refused marketing.
        let calibration = try #require(run.calibration)
        #expect(calibration.tiers.map(\.customers) == [3, 1, 0, 1, 1])
        let consent = try #require(run.quality.criteria.first { $0.name == "disqualifier: consent_marketing = false" })
        #expect(consent.matched == 1 && consent.notMatched == 5)
        // Engagement points decay from an unknown last activity: intervals for all but Bartholomew.
        #expect(run.quality.indeterminateScores == 5 && run.quality.customersWithGaps == 2)
    }

    @Test func theQCLHoldsNoIdentifier() throws {
        let (_, run) = try analystRun(withReport: true)
        let scratch = try ScratchDirectory()
        try run.qcl.writeCSV(to: scratch.file("qcl.csv"))
        try run.qcl.writeJSON(to: scratch.file("qcl.json"), domain: run.domain)
        let report = ScoreReport.html(run)
        for text in [try scratch.read("qcl.csv"), try scratch.read("qcl.json"), report] {
            for identifier in QualificationVault.identifiers {
                #expect(!text.contains(identifier), "\(identifier) leaked")
            }
            // Nor the digits of a phone number or the local part of an email.
            #expect(!text.contains("7946 0101") && !text.contains("henrietta"))
        }
        #expect(report.contains("<svg"))
        // Self-contained: the SVG namespace name is the only URL (never fetched), no scripts or links.
        let rest = report.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!rest.contains("http://") && !rest.contains("https://") && !rest.contains("src=") && !rest.contains("<script") && !rest.contains("<link"))
    }

    @Test func aModelOnAFieldRedactedForTheAnalystIsRefusedBeforeAnyScan() throws {
        let path = try Fixture.resource("email-rule.yaml")
        let before = try vault.auditEntries(AuditQuery()).count
        let qualifier = Qualifier(vault: vault, session: fixture.analyst, purpose: "qualification")
        let error = try #require(throws: PolicyFileError.self) { try qualifier.loadModel(path: path) }
        #expect(error.file == path && error.line == 12 && error.message.contains("redacted"))
        #expect(try vault.auditEntries(AuditQuery()).count == before)
    }

    @Test func aScanOfARedactedFieldIsRefusedAndTheDenialAudited() throws {
        let request = ScoringScanRequest(fields: ["industry", "email"], job: .score, detail: "probe")
        #expect(throws: VaultError.notPermitted("role analyst sees email redacted; it cannot be scored on")) {
            _ = try vault.beginScoringScan(request, session: fixture.analyst, purpose: "qualification")
        }
        let entry = try #require(try fixture.entries(.score).last)
        #expect(entry.outcome == .denied && entry.actor == "ana" && entry.customerCount == 0)
        #expect(entry.detail == "field email is redacted for the role")
        #expect(throws: VaultError.unknownField("shoe_size", known: [])) {
            _ = try vault.beginScoringScan(ScoringScanRequest(fields: ["shoe_size"], detail: "probe"), session: fixture.analyst, purpose: "qualification")
        }
    }

    @Test(arguments: ["sales", "auditor"])
    func rolesWithoutScoreAreRefusedAndAudited(role: String) throws {
        let session = role == "sales" ? fixture.sales : fixture.auditor
        let model = try Qualifier(vault: vault, session: fixture.analyst, purpose: "qualification").loadModel(path: Self.b2b)
        let qualifier = Qualifier(vault: vault, session: session, purpose: "qualification")
        #expect(throws: VaultError.notPermitted("role \(role) may not score")) { _ = try qualifier.score(model) }
        #expect(throws: VaultError.notPermitted("role \(role) may not score")) { _ = try qualifier.calibrate(model) }
        let denied = try fixture.entries(.score).filter { $0.outcome == .denied && $0.actor == session.name }
        #expect(denied.count == 1 && denied[0].detail.contains("action score not allowed") && denied[0].customerCount == 0)
        #expect(try fixture.entries(.calibrate).filter { $0.outcome == .denied }.count == 1)
        #expect(try fixture.entries(.score).filter { $0.outcome == .ok }.isEmpty)
    }

    @Test func aPurposeIsRequired() throws {
        let model = try Qualifier(vault: vault, session: fixture.analyst).loadModel(path: Self.b2b)
        for purpose in [nil, "curiosity"] as [String?] {
            let expected: VaultError = purpose == nil ? .purposeRequired(["qualification", "analytics"]) : .purposeNotAllowed(allowed: ["qualification", "analytics"])
            #expect(throws: expected) {
                _ = try Qualifier(vault: vault, session: fixture.analyst, purpose: purpose).score(model)
            }
        }
        let denied = try fixture.entries(.score).filter { $0.outcome == .denied }
        #expect(denied.count == 2 && denied.allSatisfy { $0.detail == "purpose missing or not allowed" })
        // Free text never reaches the log.
        #expect(denied.map(\.purpose) == ["", "<other>"])
        #expect(throws: Never.self) { _ = try Qualifier(vault: vault, session: fixture.analyst, purpose: "analytics").score(model) }
    }

    @Test func handoffNeedsReidentifyAndReleasesOnlyTheChosenCustomers() throws {
        let (_, run) = try analystRun()
        let chosen = run.qcl.rows.prefix(2).compactMap(\.score.reference)
        #expect(chosen.count == 2)
        // The analyst may not turn pseudonyms back into people.
        #expect(throws: VaultError.notPermitted("role analyst may not reidentify")) {
            _ = try vault.handoff(chosen, domain: "analytics", to: "sales", session: fixture.analyst, purpose: "qualification")
        }
        #expect(try fixture.entries(.handoff).filter { $0.outcome == .denied && $0.actor == "ana" }.count == 1)

        let handoff = try vault.handoff(chosen + ["ps_nobody"], domain: "analytics", to: "sales", session: fixture.admin, purpose: "operations",
                                        tiers: ["A", "A", "Ada Lovelace <ada@example.com>"])
        #expect(handoff.fields == ["customer_ref"] + (try Fixture.role("sales")).visibleFields.filter { $0 != "customer_ref" })
        #expect(Set(handoff.rows.keys) == Set(chosen))
        let references = handoff.rows.values.map { $0[0] }
        // The two best are Cornelius Abernathy and Henrietta Quartermaine.
        #expect(Set(references) == ["CUS-Q-1005", "CUS-Q-1001"])
        let names = handoff.rows.values.map { $0[handoff.fields.firstIndex(of: "full_name")!] }
        #expect(Set(names) == ["Cornelius Abernathy", "Henrietta Quartermaine"])
        // Sales does not see the budget.
        #expect(!handoff.fields.contains("budget"))

        let entry = try #require(try fixture.entries(.handoff).last)
        #expect(entry.outcome == .ok && entry.actor == "admin" && entry.purpose == "operations")
        #expect(entry.customerCount == 2 && entry.fields == handoff.fields)
        // Tier names are logged; free text is not.
        #expect(entry.detail == "2 of 3 pseudonyms (domain analytics) handed to role sales; tiers A,<other>")
        #expect(throws: VaultError.self) {
            _ = try vault.handoff(chosen, domain: "marketing", to: "sales", session: fixture.admin, purpose: "operations")
        }
        #expect(throws: VaultError.self) {
            _ = try vault.handoff(chosen, domain: "analytics", to: "nobody", session: fixture.admin, purpose: "operations")
        }
    }

    @Test func calibrationAndDiscoveryReadOutcomesInOneAuditedScanEach() throws {
        let outcomes = try fixture.scratch.write("outcomes.csv", """
            customer_ref,outcome,closed_at
            CUS-Q-1005,won,2026-01-10
            CUS-Q-1001,won,2026-01-11
            CUS-Q-1006,lost,2026-01-12
            CUS-Q-1002,lost,2026-01-13

            """)
        _ = try vault.importCSV(.outcomes, path: outcomes, session: fixture.admin)
        let qualifier = Qualifier(vault: vault, session: fixture.analyst, purpose: "qualification")
        let model = try qualifier.loadModel(path: Self.b2b)
        let calibration = try #require(try qualifier.calibrate(model).first)
        #expect(calibration.won == 2 && calibration.lost == 2)
        // The two winners score above both losers.
        #expect(calibration.auc == 1)
        let entry = try #require(try fixture.entries(.calibrate).last)
        #expect(entry.outcome == .ok && entry.fields.contains("derived: outcome") && entry.customerCount == 6)
        #expect(entry.detail == "model b2b-leads v1 sha256:\(model.digest)")

        let discovery = try qualifier.discover(.won, model: nil, k: 2)
        #expect(discovery.customers == 6 && discovery.segmentSize == 2)
        // Both winners are software or finance companies in GB; cells need two customers.
        #expect(discovery.cells.contains { $0.field == "country" && $0.value == "GB" && $0.support == 2 && abs($0.lift - 3) < 1e-9 })
        #expect(discovery.cells.allSatisfy { $0.support >= 2 && $0.overallCount >= 2 })
        #expect(try fixture.entries(.icp).last?.detail == "segment won; k=2")
    }
}
