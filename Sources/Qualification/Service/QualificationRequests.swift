import Coffer
import CofferSupport
import Foundation

/// A scoring model as sent to the vault: its YAML text and the name it came under (errors
/// name it with their line). The model is checked against the caller's role when a request
/// runs, so a model cannot read a field the role sees redacted.
public struct ModelDocument: Sendable, Equatable {
    public var yaml: String
    public var file: String

    public init(yaml: String, file: String) {
        self.yaml = yaml
        self.file = file
    }

    /// Reads a model file (UTF-8 YAML).
    public static func read(path: String) throws(VaultError) -> ModelDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .file(.cannotOpen(path: path, reason: "cannot read the scoring model"))
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .schema(PolicyFileError(file: path, line: 0, message: "not UTF-8 text")) }
        return ModelDocument(yaml: text, file: path)
    }
}

/// Scores every customer with a model into a Qualified Customer List (requires `score`; one
/// audit entry per run). Rows are scored on the caller's view; the k-anonymity guard coarsens,
/// then suppresses, rows whose tier and identifying reasons fewer than `k` customers share.
/// With `withReport`, outcomes and the view's other attributes are read too, for the report's
/// calibration and profile. Progress is in customers.
public struct ScoreCustomers: VaultRequest {
    public var model: ModelDocument
    public var k: Int
    public var withReport: Bool

    public init(model: ModelDocument, k: Int = 5, withReport: Bool = false) {
        self.model = model
        self.k = k
        self.withReport = withReport
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Qualifier.ScoreRun {
        try Qualifier(vault: vault, caller: caller, progress: progress).run { qualifier in
            try qualifier.score(try qualifier.loadModel(model), k: k, withReport: withReport)
        }
    }
}

/// The ideal customer profile of a segment: attribute values over-represented in it, with lift
/// and support (cells under `k` hidden), and fit rules proposed for the strongest (requires
/// `score`; one audit entry).
public struct DiscoverICP: VaultRequest {
    public var segment: Qualifier.Segment
    /// The model that assigns tiers (needed for tier segments) and whose value settings apply.
    public var model: ModelDocument?
    public var k: Int
    /// Propose fit rules for values with at least this lift.
    public var minimumLift: Double
    /// Customers to leave out of the discovery, so `calibrate` can judge the proposed rules on
    /// them (recorded in the rules file's provenance).
    public var holdout: HoldoutSplit?

    public init(segment: Qualifier.Segment, model: ModelDocument? = nil, k: Int = 5, minimumLift: Double = 1.5, holdout: HoldoutSplit? = nil) {
        self.segment = segment
        self.model = model
        self.k = k
        self.minimumLift = minimumLift
        self.holdout = holdout
    }

    /// The profile and the rules proposed from it.
    public struct Response: Sendable {
        public var discovery: ICPDiscovery
        public var proposedRules: [ICPDiscovery.ProposedRule]
        public var k: Int
        public var minimumLift: Double
        /// Where the proposed rules come from: paste it into the model with them, so that
        /// `calibrate` knows whether they were learned from outcomes.
        public var provenance: Provenance

        /// The proposed rules as a YAML file to review before adding them to a model's fit group,
        /// with the provenance entry to copy into the model's `provenance:` list.
        public var rulesYAML: String {
            "# Fit rules proposed by coffer icp for segment \(discovery.segment) (k=\(k), min lift \(minimumLift)).\n"
                + "# Review before adding them to a model's fit group, and copy the provenance entry into the model's\n"
                + "# top-level provenance: list, so that coffer calibrate knows where the rules came from.\n"
                + "provenance:\n  - \(provenance.yaml)\n"
                + "rules:\n"
                + proposedRules.map(\.yaml).joined(separator: "\n") + "\n"
        }
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        try Qualifier(vault: vault, caller: caller, progress: progress).run { qualifier in
            let scoringModel = try model.map { document in try qualifier.loadModel(document) }
            let discovery = try qualifier.discover(segment, model: scoringModel, k: k, holdout: holdout)
            let provenance = Provenance(source: "coffer icp", segment: discovery.segment, date: String(CivilDate.today.iso8601.prefix(10)),
                                        outcomes: segment == .won, holdout: holdout)
            return Response(discovery: discovery, proposedRules: discovery.proposedRules(minimumLift: minimumLift), k: k, minimumLift: minimumLift,
                            provenance: provenance)
        }
    }
}

/// Checks a model (and, side by side, a second one) against imported won/lost outcomes:
/// conversion and lift by tier, ROC AUC (requires `score`; one audit entry). Refused when no
/// customer has an outcome: there would be nothing to calibrate against.
public struct CalibrateModels: VaultRequest {
    public var model: ModelDocument
    public var comparison: ModelDocument?
    /// Judge the models on a held-out part of the customers too (default: the split a model's
    /// provenance names, if any).
    public var holdout: HoldoutSplit?
    /// Tiers with fewer customers with an outcome are flagged small, without conversion or lift.
    public var minimumOutcomes: Int

    public init(model: ModelDocument, comparison: ModelDocument? = nil, holdout: HoldoutSplit? = nil,
                minimumOutcomes: Int = Calibration.defaultMinimumOutcomes) {
        self.model = model
        self.comparison = comparison
        self.holdout = holdout
        self.minimumOutcomes = minimumOutcomes
    }

    /// One calibration per model, in the order given.
    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [Calibration] {
        let results = try Qualifier(vault: vault, caller: caller, progress: progress).run { qualifier in
            let first = try qualifier.loadModel(model)
            let second = try comparison.map { document in try qualifier.loadModel(document) }
            return try qualifier.calibrate(first, against: second, split: holdout, minimumOutcomes: minimumOutcomes)
        }
        guard results[0].won + results[0].lost > 0 else { throw .noOutcomes }
        return results
    }
}

/// Hands chosen tiers of a QCL to another team: their pseudonyms re-identified, with the fields
/// the receiving role sees and the QCL's tier, score interval, reasons and scoring run, written
/// as CSV with a legend file beside it, or as JSON with a legend object (mode 0600). Requires
/// `reidentify`; one audit entry names the customers and fields released.
public struct HandOffQCL: VaultRequest {
    /// The QCL (`QCLHandoff.read`: CSV or JSON).
    public var qcl: QCLFile
    public var tiers: [String]
    /// The receiving role.
    public var role: String
    /// The QCL's pseudonym domain; nil: the policy's only `customer_ref` domain.
    public var domain: String?
    /// The hand-off file: `.json` for JSON, anything else CSV.
    public var path: String

    public init(qcl: QCLFile, tiers: [String], role: String, domain: String? = nil, to path: String) {
        self.qcl = qcl
        self.tiers = tiers
        self.role = role
        self.domain = domain
        self.path = path
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> QCLHandoff.Result {
        do {
            return try QCLHandoff.run(vault: vault, session: caller.session, purpose: caller.purpose, qcl: qcl, tiers: tiers,
                                      role: role, domain: domain, out: path)
        } catch {
            throw VaultError(wrapping: error)
        }
    }
}

extension Qualifier {
    init(vault: Vault, caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) {
        self.init(vault: vault, session: caller.session, purpose: caller.purpose, progress: progress)
    }

    /// Runs a job whose parts throw several error types, as the service's one error type.
    func run<Output>(_ job: (Qualifier) throws -> Output) throws(VaultError) -> Output {
        do { return try job(self) } catch { throw VaultError(wrapping: error) }
    }
}
