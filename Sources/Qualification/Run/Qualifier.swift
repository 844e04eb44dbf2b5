import Coffer
import CofferSupport
import Foundation

/// Runs the qualification jobs against a vault, as the session's role sees its customers: one
/// audited scoring scan per job, rows scored on both cores, only aggregates and the QCL kept.
public struct Qualifier {
    package let vault: Vault
    package let session: Session
    package let purpose: String?
    package var progress: ((WorkProgress) -> Void)?

    package init(vault: Vault, session: Session, purpose: String? = nil, progress: ((WorkProgress) -> Void)? = nil) {
        self.vault = vault
        self.session = session
        self.purpose = purpose
        self.progress = progress
    }

    /// Loads a model file for the session's role (so fields it sees redacted are refused).
    package func loadModel(path: String) throws -> ScoringModel {
        try loadModel(try ModelDocument.read(path: path))
    }

    /// Loads a model for the session's role (so fields it sees redacted are refused).
    package func loadModel(_ document: ModelDocument) throws -> ScoringModel {
        try ScoringModel.load(yaml: document.yaml, file: document.file, schema: vault.schema, role: try role())
    }

    /// What `score` produced.
    public struct ScoreRun: Sendable {
        public var qcl: QualifiedCustomerList
        public var quality: DataQualityReport
        /// Conversion by tier and AUC, when outcomes were read (`withReport`).
        public var calibration: Calibration?
        /// What the top tier has in common, when `withReport`.
        public var discovery: ICPDiscovery?
        public var histogram: [Int]
        public var customers: Int
        /// The pseudonym domain of the references in the QCL, when they are pseudonyms.
        public var domain: String?
        public var value: ValueContext?
    }

    /// Scores every customer with `model`, applies the k-anonymity guard, and (with
    /// `withReport`) also reads outcomes and the role's other attributes for the report.
    package func score(_ model: ScoringModel, k: Int = 5, withReport: Bool = false) throws -> ScoreRun {
        guard k >= 2 else { throw VaultError.anonymityTooWeak(k: k) }
        let attributes = withReport ? ICPDiscovery.attributeFields(schema: vault.schema, role: try role(), excluding: []) : []
        let fields = model.fields + attributes.filter { !model.fields.contains($0) }
        let request = ScoringScanRequest(fields: fields, purchases: model.usesValueAttributes, outcomes: withReport, job: .score,
                                         detail: "model \(model.name) v\(model.version) sha256:\(model.digest) k=\(k)")
        let scoredAt = Date()
        let scan = try vault.beginScoringScan(request, session: session, purpose: purpose)
        let value = model.usesValueAttributes ? try fitValue(scan, settings: model.value) : nil
        let engine = ScoringEngine(model: model, schema: vault.schema, value: value)
        let attributePositions = attributes.map { name in fields.firstIndex(of: name)! }
        let topTier = model.grading.tierNames.first!
        var discovery = withReport ? ICPDiscovery(fields: attributes, segment: "tier=\(topTier)", k: k) : nil
        var calibration = withReport ? Calibration(model: model) : nil
        var quality = DataQualityReport(model: model)
        var scores: [CustomerScore] = []
        scores.reserveCapacity(scan.customerCount)
        var histogram = [Int](repeating: 0, count: Self.histogramBins)
        let bounds = Self.histogramRange(model)
        let count = try scan.rows(progress: progress, transform: { row -> (CustomerScore, [String?]) in
            let score = engine.score(row)
            let labels = attributePositions.map { row.values[$0].map(ICPDiscovery.label) ?? nil }
            return (score, labels)
        }) { batch in
            for (score, labels) in batch {
                quality.add(score)
                calibration?.add(score)
                discovery?.add(labels, inSegment: score.tier == topTier)
                let bin = Int(((score.score - bounds.lowerBound) / (bounds.upperBound - bounds.lowerBound) * Double(Self.histogramBins)).rounded(.down))
                histogram[min(max(bin, 0), Self.histogramBins - 1)] += 1
                var kept = score
                kept.verdicts = []
                kept.groupScores = []
                scores.append(kept)
            }
        }
        let qcl = QualifiedCustomerList(scores: consume scores, model: model, k: k, scoredAt: scoredAt)
        return ScoreRun(qcl: qcl, quality: quality, calibration: calibration, discovery: discovery, histogram: histogram,
                        customers: count, domain: try referenceDomain(), value: value)
    }

    static let histogramBins = 20

    /// The score range the histogram spans: the model's cap, or the range its points allow.
    static func histogramRange(_ model: ScoringModel) -> ClosedRange<Double> {
        var low = 0.0, high = 0.0
        for group in model.groups {
            let positive = group.rules.map(\.points).filter { $0 > 0 }.reduce(0, +)
            let negative = group.rules.map(\.points).filter { $0 < 0 }.reduce(0, +)
            low += group.cap.clamp(negative)
            high += group.cap.clamp(positive)
        }
        low = model.scoreCap.min ?? low
        high = model.scoreCap.max ?? high
        return high > low ? low...high : low...(low + 1)
    }

    /// Reads purchase statistics of every customer and fits RFM thresholds and the BG/NBD and
    /// Gamma-Gamma models on them (part of the same audited scan).
    func fitValue(_ scan: ScoringScan, settings: ValueSettings) throws -> ValueContext {
        var summaries: [PurchaseSummary] = []
        try scan.purchaseSummaries(progress: progress) { batch in
            for summary in batch { if let summary { summaries.append(summary) } }
        }
        return try ValueContext(population: summaries, settings: settings)
    }

    func role() throws -> RolePolicy {
        guard let role = vault.policy[session.role] else { throw VaultError.notPermitted("role \(session.role) is not in the policy in force") }
        return role
    }

    /// The domain of `customer_ref` pseudonyms the session's role sees, if any.
    func referenceDomain() throws -> String? {
        if case let .pseudonym(domain) = try role().view(of: Schema.referenceField) { return domain }
        return nil
    }

    // MARK: ICP and calibration

    /// Which customers `icp` compares with the whole list.
    public enum Segment: Sendable, Equatable {
        /// Customers a model puts in one of these tiers.
        case tiers([String])
        /// Customers with an imported outcome of `won`.
        case won
        /// The top fraction (0...1) of customers by predictive CLV.
        case topCLV(Double)

        var text: String {
            switch self {
            case let .tiers(names): "tier=" + names.joined(separator: ",")
            case .won: "won"
            case let .topCLV(share): "top-clv \(formatNumber(share * 100))%"
            }
        }
    }

    /// For every attribute value the role sees: its share among the segment vs the whole list.
    /// With `holdout`, customers the split holds out are left out entirely (so `calibrate` can
    /// later judge proposed rules on outcomes they were not learned from).
    package func discover(_ segment: Segment, model: ScoringModel?, value settings: ValueSettings = ValueSettings(), k: Int = 5,
                          holdout: HoldoutSplit? = nil) throws -> ICPDiscovery {
        guard k >= 2 else { throw VaultError.anonymityTooWeak(k: k) }
        if case .tiers = segment, model == nil { throw VaultError.invalidInput("a tier segment needs a scoring model (the model assigns the tiers)") }
        if case let .tiers(names) = segment, let model {
            for name in names where !model.grading.tierNames.contains(name) && name != ScoringEngine.disqualifiedTier {
                throw VaultError.invalidInput("no tier \(name) in model \(model.name); tiers: \(model.grading.tierNames.joined(separator: ", "))")
            }
        }
        let valueSettings = model?.value ?? settings
        let attributes = ICPDiscovery.attributeFields(schema: vault.schema, role: try role(), excluding: [])
        let modelFields = model?.fields ?? []
        let fields = attributes + modelFields.filter { !attributes.contains($0) }
        var needsValue = model?.usesValueAttributes ?? false
        if case .topCLV = segment { needsValue = true }
        let request = ScoringScanRequest(fields: fields, purchases: needsValue, outcomes: segment == .won, job: .icp,
                                         detail: "segment \(segment.text)" + (model.map { "; model \($0.name) v\($0.version) sha256:\($0.digest)" } ?? "") + "; k=\(k)"
                                            + (holdout.map { "; holdout \(formatNumber($0.fraction)) seed \($0.seed)" } ?? ""))
        let scan = try vault.beginScoringScan(request, session: session, purpose: purpose)
        let value = needsValue ? try fitValue(scan, settings: valueSettings) : nil
        var clvThreshold = Double.infinity
        if case let .topCLV(share) = segment, let value {
            guard value.predictive != nil else {
                throw VaultError.invalidInput("no predictive CLV for this vault: \(value.fitNotes.joined(separator: "; ")); import more orders")
            }
            clvThreshold = value.predictedCLVThreshold(top: share, of: scan.customerCount)
        }
        let engine = model.map { ScoringEngine(model: $0, schema: vault.schema, value: value) }
        let modelPositions = modelFields.map { fields.firstIndex(of: $0)! }
        var discovery = ICPDiscovery(fields: attributes, segment: segment.text, k: k)
        let attributeCount = attributes.count
        try scan.rows(progress: progress, transform: { [clvThreshold] row -> (Bool, [String?])? in
            if let holdout, holdout.isHeldOut(row.reference) { return nil }
            let member: Bool
            switch segment {
            case let .tiers(names): member = names.contains(engine!.score(row.projected(modelPositions)).tier)
            case .won: member = row.outcome == .won
            case .topCLV: member = (value?.predictedCLV(row.purchases) ?? 0) >= clvThreshold && row.purchases != nil
            }
            return (member, row.values.prefix(attributeCount).map { $0.map(ICPDiscovery.label) ?? nil })
        }) { batch in
            for case let (member, labels)? in batch { discovery.add(labels, inSegment: member) }
        }
        return discovery
    }

    /// Conversion by tier, lift and ROC AUC of `model` (and of `other`, side by side) against
    /// imported won/lost outcomes. With a holdout split (`split`, else the one a model's
    /// provenance names), each calibration also holds the figures for the training and the
    /// held-out customers. A model whose provenance says its rules were chosen on outcomes gets a
    /// warning unless it is judged on customers its proposal held out.
    package func calibrate(_ model: ScoringModel, against other: ScoringModel? = nil, split requested: HoldoutSplit? = nil,
                           minimumOutcomes: Int = Calibration.defaultMinimumOutcomes) throws -> [Calibration] {
        let models = [model] + (other.map { [$0] } ?? [])
        let split = requested ?? models.lazy.flatMap(\.provenance).compactMap(\.holdout).first
        var fields: [String] = []
        for m in models { for f in m.fields where !fields.contains(f) { fields.append(f) } }
        let needsValue = models.contains(where: \.usesValueAttributes)
        let request = ScoringScanRequest(fields: fields, purchases: needsValue, outcomes: true, job: .calibrate,
                                         detail: models.map { "model \($0.name) v\($0.version) sha256:\($0.digest)" }.joined(separator: "; ")
                                            + (split.map { "; holdout \(formatNumber($0.fraction)) seed \($0.seed)" } ?? ""))
        let scan = try vault.beginScoringScan(request, session: session, purpose: purpose)
        var value: ValueContext?
        if needsValue { value = try fitValue(scan, settings: models.first(where: \.usesValueAttributes)!.value) }
        let engines = models.map { m -> (ScoringEngine, [Int]) in
            // Each engine reads its own fields out of the shared row.
            (ScoringEngine(model: m, schema: vault.schema, value: value), m.fields.map { fields.firstIndex(of: $0)! })
        }
        func fresh(_ m: ScoringModel, _ part: String?) -> Calibration {
            var c = Calibration(model: m)
            c.split = part
            c.minimumOutcomes = minimumOutcomes
            return c
        }
        var calibrations = models.map { fresh($0, nil) }
        var parts = models.map { m in split == nil ? [] : [fresh(m, "train"), fresh(m, "holdout")] }
        try scan.rows(progress: progress, transform: { row -> ([CustomerScore], Bool) in
            (engines.map { engine, positions in engine.score(row.projected(positions)) }, split?.isHeldOut(row.reference) ?? false)
        }) { batch in
            for (scores, heldOut) in batch {
                for (i, score) in scores.enumerated() {
                    calibrations[i].add(score)
                    if split != nil { parts[i][heldOut ? 1 : 0].add(score) }
                }
            }
        }
        for i in models.indices {
            calibrations[i].splits = parts[i]
            let judged = Self.provenanceWarnings(models[i], split: split)
            calibrations[i].warnings = judged.filter { !$0.fair }.map(\.text)
            calibrations[i].notes = judged.filter(\.fair).map(\.text)
        }
        return calibrations
    }

    /// Warnings for a model whose rules were chosen on outcomes: judged on the same outcomes,
    /// its figures are optimistic.
    static func provenanceWarnings(_ model: ScoringModel, split: HoldoutSplit?) -> [(text: String, fair: Bool)] {
        model.provenance.filter(\.outcomes).map { entry -> (text: String, fair: Bool) in
            let what = "\(model.name) v\(model.version): rules proposed by \(entry.summary) were chosen on imported outcomes"
            switch (entry.holdout, split) {
            case let (held?, split?) where held == split:
                return (what + "; judge it by the holdout figures (\(held.text)), which that proposal did not see", true)
            case let (held?, _):
                return (what + " with \(held.text), but this run " + (split.map { "holds out \($0.text)" } ?? "has no holdout")
                    + ": its figures include outcomes the rules were learned from and are optimistic", false)
            case (nil, _):
                return (what + " without a holdout: its figures here are measured on the outcomes the rules were learned from and are optimistic; "
                    + "propose them again with `coffer icp --segment \(entry.segment ?? "won") --holdout 0.3` and calibrate on the holdout", false)
            }
        }
    }
}
