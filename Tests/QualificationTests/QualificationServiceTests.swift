import Foundation
import Testing
@testable import Coffer
@testable import Qualification

/// The qualification requests through the service facade, as the CLI and the server call them.
@Suite struct QualificationServiceTests {
    let fixture: QualificationVault
    let service: VaultService
    let analyst: Caller
    static let b2b = Fixture.repositoryRoot + "/policies/scoring/b2b.yaml"

    init() throws {
        fixture = try QualificationVault()
        service = VaultService(vault: fixture.vault)
        analyst = Caller(session: fixture.analyst, purpose: "qualification")
    }

    @Test func scoringThroughTheServiceIsTheSameAuditedRun() async throws {
        let before = try fixture.entries(.score).count
        let run = try await service.perform(ScoreCustomers(model: try ModelDocument.read(path: Self.b2b), k: 2), as: analyst)
        #expect(run.customers == QualificationVault.customers.count)
        #expect(run.qcl.rows.count == 3 && run.qcl.suppressed == 3)
        #expect(run.qcl.rows.allSatisfy { $0.score.reference?.hasPrefix("ps_") == true })
        let entries = try fixture.entries(.score)
        #expect(entries.count == before + 1)
        #expect(entries.last?.detail.contains("model b2b-leads v1 sha256:\(run.qcl.model.digest) k=2") == true)
    }

    @Test func aModelIsCheckedAgainstTheCallersRole() async throws {
        // The analyst sees email redacted: a model reading it is refused before any customer is read.
        let b2b = try String(contentsOfFile: Self.b2b, encoding: .utf8)
        let yaml = b2b.replacingOccurrences(of: "{ field: industry,", with: "{ field: email, missing: false, points: 1 }\n      - { field: industry,")
        #expect(yaml != b2b)
        let before = try fixture.entries(.score).count
        await #expect(throws: VaultError.self) {
            try await service.perform(ScoreCustomers(model: ModelDocument(yaml: yaml, file: "leaky.yaml")), as: analyst)
        }
        #expect(try fixture.entries(.score).count == before)
        #expect(throws: VaultError.file(.cannotOpen(path: "/no/such/model.yaml", reason: "cannot read the scoring model"))) {
            try ModelDocument.read(path: "/no/such/model.yaml")
        }
    }

    @Test func calibrationWithoutOutcomesIsRefused() async throws {
        await #expect(throws: VaultError.noOutcomes) {
            try await service.perform(CalibrateModels(model: try ModelDocument.read(path: Self.b2b)), as: analyst)
        }
    }

    @Test func icpProposesRulesAsAReviewableYAMLFile() async throws {
        let result = try await service.perform(DiscoverICP(segment: .tiers(["A"]), model: try ModelDocument.read(path: Self.b2b), k: 2,
                                                           minimumLift: 1.1), as: analyst)
        #expect(result.discovery.segment == "tier=A")
        #expect(result.rulesYAML.hasPrefix("# Fit rules proposed by coffer icp for segment tier=A (k=2, min lift 1.1).\n"))
        #expect(result.rulesYAML.hasSuffix(result.proposedRules.map(\.yaml).joined(separator: "\n") + "\n"))
    }

    @Test func anAnalystCannotHandOffItsOwnQCL() async throws {
        let rows = [QCLFileRow(pseudonym: "ps_x", tier: "A", score: "70-95", nextAction: "call", recontactMonth: "")]
        let out = fixture.scratch.file("handoff.csv")
        await #expect(throws: VaultError.self) {
            try await service.perform(HandOffQCL(qcl: QCLFile(path: "qcl.csv", format: .csv, rows: rows, model: "m", modelVersion: "1", scoredAt: "2025-01-01T00:00:00Z"),
                                                 tiers: ["A"], role: "sales", to: out), as: analyst)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aHandOffNeverWritesOverItsOwnQCL() async throws {
        let text = "pseudonym,tier\nps_x,A\n"
        let qcl = try fixture.scratch.write("qcl.csv", text)
        let rows = [QCLFileRow(pseudonym: "ps_x", tier: "A", score: "70-95", nextAction: "call", recontactMonth: "")]
        await #expect(throws: VaultError.outputOverwrites(path: qcl, what: "the file being read")) {
            try await service.perform(HandOffQCL(qcl: QCLFile(path: qcl, format: .csv, rows: rows, model: "m", modelVersion: "1", scoredAt: "2025-01-01T00:00:00Z"),
                                                 tiers: ["A"], role: "sales", to: qcl),
                                      as: Caller(session: fixture.admin, purpose: "operations"))
        }
        #expect(try fixture.scratch.read("qcl.csv") == text)
    }
}
