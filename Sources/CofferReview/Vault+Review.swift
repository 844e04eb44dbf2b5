import Coffer
import CofferCrypto
import CofferSupport
import Foundation
import Logging

/// What `exportReviewPackage` wrote.
public struct ReviewExportResult: Sendable {
    public var directory: String
    /// Audit entries of the period (lines of each event file).
    public var entries: Int
    public var manifest: ReviewManifest
    public var summary: ReviewSummary
}

extension Vault {
    /// Writes a review package for `period` into `directory` (which must not exist or be empty):
    /// the period's audit entries as JSON Lines, CSV and OCSF, `summary.json`, `report.html`,
    /// and `MANIFEST.json` signed with the vault's Ed25519 key.
    ///
    /// Requires `audit_read`. The export is itself audited (committed before anything is
    /// written) and the package covers the log up to that entry. The whole chain is verified in
    /// the same streaming pass that writes the events; a chain that does not verify refuses the
    /// export (`auditTampered`). The package is written to a temporary directory beside the
    /// target and moved into place at the end; on any failure nothing is left behind.
    package func exportReviewPackage(period: ReviewPeriod, settings: ReviewSettings = ReviewSettings(), to directory: String,
                                     session: Session, progress: ((WorkProgress) -> Void)? = nil) throws(ReviewError) -> ReviewExportResult {
        do { try authorize(session, .auditRead, action: .reviewExport) } catch { throw .vault(error) }
        try settings.validate()
        try period.checkEnded()
        let package = try PackageDirectory(target: directory)
        defer { package.discard() }
        let result: ReviewExportResult
        do {
            result = try writeReviewPackage(period: period, settings: settings, into: package, session: session, progress: progress)
        } catch {
            throw .vault(error)
        }
        try package.commit()
        logger.info("review package written", metadata: ["entries": "\(result.entries)", "head": "\(result.manifest.head.seq)"])
        return result
    }

    /// Everything of `exportReviewPackage` between the checks and the move into place: the
    /// audited export entry, the verified pass writing the events, the summary, report and manifest.
    private func writeReviewPackage(period: ReviewPeriod, settings: ReviewSettings, into package: PackageDirectory, session: Session,
                                    progress: ((WorkProgress) -> Void)?) throws(VaultError) -> ReviewExportResult {
        let head = try audit(.user(session), .reviewExport,
                             detail: "review package \(period.from) to \(period.to)")
        let checkpoint = try signedCheckpoint(of: head)
        let now = Vault.nowMilliseconds
        let scan = ReviewScan(period: period, settings: settings, headSeq: head.seq, now: now)
        let accumulator = ReviewAccumulator(period: period, settings: settings)
        let jsonl = try HashingFileWriter(path: package.path(ReviewPackage.eventsJSONL), name: ReviewPackage.eventsJSONL)
        let csv = try HashingFileWriter(path: package.path(ReviewPackage.eventsCSV), name: ReviewPackage.eventsCSV)
        let ocsf = try HashingFileWriter(path: package.path(ReviewPackage.eventsOCSF), name: ReviewPackage.eventsOCSF)
        var header: [UInt8] = []
        CSVWriter.encodeRow(EventFormatter.csvHeader, to: &header)
        try csv.write(header)
        let hook = AuditBatchHook(process: { try scan.process($0) }, deliver: { batch in
            try jsonl.write(batch.jsonl, recycle: scan.pools.jsonl)
            try csv.write(batch.csv, recycle: scan.pools.csv)
            try ocsf.write(batch.ocsf, recycle: scan.pools.ocsf)
            accumulator.merge(batch)
        })
        let verification = try verifyAudit(progress: progress, hook: hook)
        guard verification.isIntact else {
            throw .auditTampered(verification.problem ?? "entry \(verification.firstBadSeq ?? 0) is bad")
        }
        guard verification.lastSeq >= head.seq else {
            throw .auditTampered("the log ends at entry \(verification.lastSeq) before this export's entry \(head.seq)")
        }
        var files = [try jsonl.finish(), try csv.finish(), try ocsf.finish()]
        let state = try reviewState(session: session, now: now, verification: verification, head: head, checkpoint: checkpoint)
        let summary = accumulator.summary(state)
        let encoder = OutputContract.encoder()
        let summaryJSON: Data
        do { summaryJSON = try encoder.encode(summary) } catch { throw .storage("cannot encode the summary") }
        files.append(try package.write(ReviewPackage.summary, Array(summaryJSON)))
        files.append(try package.write(ReviewPackage.report, Array(ReviewReport.render(summary, files: ReviewPackage.contentFiles + [ReviewPackage.manifest]).utf8)))
        var manifest = ReviewManifest(vaultID: keyRing.vaultID, periodFrom: period.from.iso8601, periodTo: period.to.iso8601,
                                      generatedAtMilliseconds: now, entries: accumulator.periodEntries,
                                      head: .init(seq: head.seq, mac: head.mac.hexString, timeMilliseconds: head.timeMilliseconds),
                                      checkpoint: checkpoint, files: files,
                                      publicKey: keyRing.signingKey.publicKey.rawRepresentation.hexString, signature: "")
        do { manifest.signature = try keyRing.signingKey.signature(for: manifest.signedBytes).hexString } catch { throw .crypto(error) }
        // The manifest keeps the field names of checkpoint files (its checkpoint is one).
        let manifestEncoder = JSONEncoder()
        manifestEncoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let manifestJSON: Data
        do { manifestJSON = try manifestEncoder.encode(manifest) } catch { throw .storage("cannot encode the manifest") }
        _ = try package.write(ReviewPackage.manifest, Array(manifestJSON))
        return ReviewExportResult(directory: package.target, entries: accumulator.periodEntries, manifest: manifest, summary: summary)
    }

    /// Keys, users and policy history as the summary reports them (no key material, no tokens).
    private func reviewState(session: Session, now: Int64, verification: AuditVerification, head: AuditEntry,
                             checkpoint: AuditCheckpoint) throws(VaultError) -> ReviewAccumulator.VaultState {
        let inventory = try inventory()
        let coverage = inventory.customersByKEK, customers = coverage.values.reduce(0, +), userRows = inventory.users
        // KEKs first, then the other keys by kind.
        let records = inventory.keys.sorted { ($0.kind != .kek ? 1 : 0, $0.kind.rawValue, $0.version) < ($1.kind != .kek ? 1 : 0, $1.kind.rawValue, $1.version) }
        let keys = records.map { key in
            ReviewAccumulator.KeyRow(kind: key.kind.rawValue, version: Int64(key.version), state: key.state.rawValue, createdAt: key.createdAt,
                                     retiredAt: key.retiredAt, uses: key.uses, customers: key.kind == .kek ? coverage[key.version] ?? 0 : nil)
        }
        var users: [ReviewAccumulator.UserState] = []
        for user in userRows {
            users.append(.init(name: user.name, role: user.role, createdAt: user.createdAt,
                               revoked: user.revokedAt != nil, intact: try userRowIsIntact(user)))
        }
        return .init(vaultID: keyRing.vaultID, generatedBy: "\(session.name) (\(session.role))", now: now, keys: keys, customers: customers,
                     users: users, policy: policy, history: try policyHistory(), verification: verification, head: head,
                     checkpoint: checkpoint)
    }

    /// Every audit entry that touched the customer with `reference`: who, when, which fields,
    /// why — the answer to a data-subject access request. Requires `audit_read` and
    /// `reidentify` (checked before the reference is looked up, so a role lacking them learns
    /// nothing about whether it exists). Answered from the verified chain; itself audited.
    package func subjectAccessReport(reference: String, session: Session, purpose: String? = nil) throws(VaultError) -> SubjectAccessReport {
        try authorize(session, .auditRead, action: .reviewSubject, purpose: purpose)
        try authorize(session, .reidentify, action: .reviewSubject, purpose: purpose)
        let (id, erasure) = try subjectID(reference: reference, session: session, action: .reviewSubject, purpose: purpose)
        let found = SubjectCollector()
        let hook = AuditBatchHook(process: { batch in
            var events: [ReviewEvent] = []
            try batch.forEach { r in
                var touches = false
                CustomerIDSet.forEachRun(ofEncoded: r.customers) { first, count in touches = touches || (id >= first && id < first + count) }
                guard touches else { return }
                var event = try ReviewEvent(r)
                // The subject sees how many customers an entry named, never the others' ids.
                event.customers = ""
                events.append(event)
            }
            return events
        }, deliver: { found.events += $0 })
        let verification = try verifyAudit(hook: hook)
        guard verification.isIntact else {
            throw .auditTampered(verification.problem ?? "entry \(verification.firstBadSeq ?? 0) is bad")
        }
        let entry = try audit(.user(session), .reviewSubject, purpose: purpose,
                              customers: CustomerIDSet([id]), detail: "\(found.events.count) accesses listed")
        return SubjectAccessReport(customerID: id, generatedAt: ReviewClock.iso(entry.timeMilliseconds), chainIntact: true,
                                   entriesChecked: verification.entries, accesses: found.events, auditEntry: entry.seq,
                                   erasure: erasure)
    }

    /// The record of processing activities derived from the schema and the policy in force
    /// (requires `audit_read`; audited).
    package func processingRecord(session: Session) throws(VaultError) -> ProcessingRecord {
        try authorize(session, .auditRead, action: .reviewProcessingRecord)
        let inventory = try inventory()
        let kekVersions = inventory.keys.filter { $0.kind == .kek && $0.state != .retired }.count, entries = inventory.lastAuditSeq
        let entry = try audit(.user(session), .reviewProcessingRecord, detail: "record of processing activities")
        return ProcessingRecord.make(schema: schema, policy: policy, vaultID: keyRing.vaultID, kekVersions: kekVersions,
                                     activeKEK: keyRing.activeVersion, auditEntries: max(entries, entry.seq),
                                     generatedAt: ReviewClock.iso(entry.timeMilliseconds))
    }
}

/// Collects a subject's entries in log order (the hook's deliver runs on one thread).
// @unchecked: `events` is touched only by the hook's deliver, which runs on the verifying thread.
private final class SubjectCollector: @unchecked Sendable {
    var events: [ReviewEvent] = []
}

/// The answer to a data-subject access request: every audit entry that touched the customer.
public struct SubjectAccessReport: Sendable, Equatable, Codable {
    /// The customer's internal id (what the audit log records).
    public var customerID: Int64
    public var generatedAt: String
    public var chainIntact: Bool
    public var entriesChecked: Int64
    /// Oldest first. `customerCount` is how many customers the entry named (1 for a lookup,
    /// more for a bulk read); other customers' ids are left out.
    public var accesses: [ReviewEvent]
    /// The audit entry that records this report.
    public var auditEntry: Int64
    /// When, by whom and why the customer was erased, if it was (its data is gone; its
    /// accesses above are still listed).
    public var erasure: ErasureRecord?

    /// The report as a file holds it: the JSON `review subject --json` prints.
    public func jsonData() throws(VaultError) -> Data {
        do { return try OutputContract.encoder().encode(self) } catch { throw .storage("cannot encode the subject access report") }
    }
}
