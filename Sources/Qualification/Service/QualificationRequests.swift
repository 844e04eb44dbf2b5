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

    public init(segment: Qualifier.Segment, model: ModelDocument? = nil, k: Int = 5, minimumLift: Double = 1.5) {
        self.segment = segment
        self.model = model
        self.k = k
        self.minimumLift = minimumLift
    }

    /// The profile and the rules proposed from it.
    public struct Response: Sendable {
        public var discovery: ICPDiscovery
        public var proposedRules: [ICPDiscovery.ProposedRule]
        public var k: Int
        public var minimumLift: Double

        /// The proposed rules as a YAML file to review before adding them to a model's fit group.
        public var rulesYAML: String {
            "# Fit rules proposed by coffer icp for segment \(discovery.segment) (k=\(k), min lift \(minimumLift)).\n# Review before adding them to a model's fit group.\n"
                + proposedRules.map(\.yaml).joined(separator: "\n") + "\n"
        }
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        try Qualifier(vault: vault, caller: caller, progress: progress).run { qualifier in
            let scoringModel = try model.map { document in try qualifier.loadModel(document) }
            let discovery = try qualifier.discover(segment, model: scoringModel, k: k)
            return Response(discovery: discovery, proposedRules: discovery.proposedRules(minimumLift: minimumLift), k: k, minimumLift: minimumLift)
        }
    }
}

/// Checks a model (and, side by side, a second one) against imported won/lost outcomes:
/// conversion and lift by tier, ROC AUC (requires `score`; one audit entry). Refused when no
/// customer has an outcome: there would be nothing to calibrate against.
public struct CalibrateModels: VaultRequest {
    public var model: ModelDocument
    public var comparison: ModelDocument?

    public init(model: ModelDocument, comparison: ModelDocument? = nil) {
        self.model = model
        self.comparison = comparison
    }

    /// One calibration per model, in the order given.
    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [Calibration] {
        let results = try Qualifier(vault: vault, caller: caller, progress: progress).run { qualifier in
            let first = try qualifier.loadModel(model)
            let second = try comparison.map { document in try qualifier.loadModel(document) }
            return try qualifier.calibrate(first, against: second)
        }
        guard results[0].won + results[0].lost > 0 else { throw .noOutcomes }
        return results
    }
}

/// Hands chosen tiers of a QCL to another team: their pseudonyms re-identified, with the fields
/// the receiving role sees, written as CSV (mode 0600). Requires `reidentify`; one audit entry
/// names the customers and fields released.
public struct HandOffQCL: VaultRequest {
    /// The QCL's rows (`QCLHandoff.read`) and where they came from, for messages.
    public var rows: [QCLFileRow]
    public var source: String
    public var tiers: [String]
    /// The receiving role.
    public var role: String
    /// The QCL's pseudonym domain; nil: the policy's only `customer_ref` domain.
    public var domain: String?
    public var path: String

    public init(rows: [QCLFileRow], from source: String, tiers: [String], role: String, domain: String? = nil, to path: String) {
        self.rows = rows
        self.source = source
        self.tiers = tiers
        self.role = role
        self.domain = domain
        self.path = path
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> QCLHandoff.Result {
        do {
            return try QCLHandoff.run(vault: vault, session: caller.session, purpose: caller.purpose, qcl: rows, from: source, tiers: tiers,
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
