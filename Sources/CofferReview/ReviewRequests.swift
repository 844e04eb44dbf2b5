import Coffer
import Foundation

/// Writes a signed review package for a period into a new directory (requires `audit_read`;
/// the export is itself audited and the package covers the log up to that entry). Progress is
/// in audit entries.
public struct ExportReviewPackage: VaultRequest {
    public var period: ReviewPeriod
    public var settings: ReviewSettings
    /// The package directory to create (it must not exist, or be empty).
    public var directory: String

    public init(period: ReviewPeriod, settings: ReviewSettings = ReviewSettings(), to directory: String) {
        self.period = period
        self.settings = settings
        self.directory = directory
    }

    /// A period, setting or package directory the export refuses, or `.vault` with what the vault refused.
    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(ReviewError) -> ReviewExportResult {
        try vault.exportReviewPackage(period: period, settings: settings, to: directory, session: caller.session, progress: progress)
    }
}

/// Every access to one customer's data, from the verified audit chain: the answer to a
/// data-subject access request (requires `audit_read` and `reidentify`; audited).
public struct SubjectAccess: VaultRequest {
    public var reference: String
    /// Also write the report there (JSON, mode 0600), checked before anything is read.
    public var path: String?

    public init(reference: String, writingTo path: String? = nil) {
        self.reference = reference
        self.path = path
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> SubjectAccessReport {
        if let path { try vault.checkOutputFile(path) }
        let report = try vault.subjectAccessReport(reference: reference, session: caller.session, purpose: caller.purpose)
        if let path { try PrivateFile.write(try report.jsonData(), to: path) }
        return report
    }
}

/// The record of processing activities, generated from the schema and the policy in force
/// (requires `audit_read`).
public struct DescribeProcessing: VaultRequest {
    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> ProcessingRecord {
        try vault.processingRecord(session: caller.session)
    }
}
