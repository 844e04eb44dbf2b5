import CofferCrypto
import Foundation

/// Who is making a request, and why: the authenticated session and the purpose stated for this
/// request (roles that list purposes must state one of them for every read).
public struct Caller: Sendable, Equatable {
    public let session: Session
    public var purpose: String?

    public init(session: Session, purpose: String? = nil) {
        self.session = session
        self.purpose = purpose
    }
}

/// The one front door to a vault: everything staff can do is a typed request (`VaultRequest`)
/// performed here on behalf of an authenticated `Caller`.
///
/// The command-line tool is one adapter over it and the server another; neither holds a rule.
/// Requests for customer data, keys, users, policies and the audit log live in this module;
/// `Qualification` (scoring, ICP, calibration, QCL hand-off) and `CofferReview` (review
/// packages, data-subject reports, the record of processing) add theirs the same way.
///
/// The vault's work is synchronous and CPU- or disk-bound. A long-running process (the server)
/// runs it on the service's own threads (`Execution.dedicatedThreads`), never on the concurrency
/// runtime's cooperative pool, so a long scan cannot starve other tasks. A one-shot tool (the
/// CLI) has nothing else to run and asks for `.callingThread`: the hand-off to another thread
/// would cost it a few milliseconds per command and buy nothing. Streamed requests always run on
/// the service's threads, so their progress arrives while they work.
///
/// ```swift
/// let service = try await VaultService.open(at: "coffer-vault", credentials: .init(keyFile: "coffer-vault.key"))
/// let caller = Caller(session: try await service.authenticate(token: token), purpose: "support_case")
/// let view = try await service.perform(GetCustomer(reference: "CUS-1"), as: caller)
/// ```
public final class VaultService: Sendable {
    /// The opened vault the requests run against.
    package let vault: Vault
    /// Where `perform` runs the vault's work.
    public let execution: Execution

    /// Where the service runs the vault's synchronous work.
    public enum Execution: Sendable {
        /// On the service's own threads: for processes that serve many requests at once.
        case dedicatedThreads
        /// On the thread of the awaiting task: for a one-shot tool with nothing else to run.
        case callingThread
    }

    /// Threads for vault work (see the type's comment). Concurrent: SQLite's WAL lets reads run
    /// beside a write, and the store serializes writers itself.
    private static let workQueue: DispatchQueue = {
        let queue = DispatchQueue(label: "coffer.vault-service", qos: .userInitiated, attributes: .concurrent)
        queue.setSpecific(key: workQueueKey, value: ())
        return queue
    }()
    private static let workQueueKey = DispatchSpecificKey<Void>()

    /// Whether the current code runs on the service's own threads (for tests of `Execution`).
    package static var isOnServiceThread: Bool { DispatchQueue.getSpecific(key: workQueueKey) != nil }

    package init(vault: Vault, execution: Execution = .dedicatedThreads) {
        self.vault = vault
        self.execution = execution
    }

    /// Opens the vault in `directory` with its root credentials.
    public static func open(at directory: String, credentials: RootCredentials,
                            execution: Execution = .dedicatedThreads) async throws(VaultError) -> VaultService {
        VaultService(vault: try await run(execution) { () throws(VaultError) in try Vault.open(at: directory, credentials: credentials) },
                     execution: execution)
    }

    /// How the vault's root key is protected (`key_file` or `passphrase`), read without any key,
    /// so an adapter knows which credential to ask for.
    public static func rootMode(at directory: String, execution: Execution = .dedicatedThreads) async throws(VaultError) -> String {
        try await run(execution) { () throws(VaultError) in try Vault.rootMode(at: directory) }
    }

    /// The customer schema of the vault in `directory`, read without any key (see
    /// `Vault.storedSchema`): what a policy file is checked against before it is applied.
    public static func storedSchema(at directory: String, execution: Execution = .dedicatedThreads) async throws(VaultError) -> Schema {
        try await run(execution) { () throws(VaultError) in try Vault.storedSchema(at: directory) }
    }

    /// Creates a vault (see `Vault.create`) and returns it with its first administrator's
    /// one-time token: the only time that token is ever available.
    public static func create(at directory: String, schema: Schema, policyYAML: String, policyFile: String,
                              protection: RootProtection, adminName: String,
                              execution: Execution = .dedicatedThreads) async throws(VaultError) -> (service: VaultService, adminToken: String) {
        let (vault, token) = try await run(execution) { () throws(VaultError) in
            try Vault.create(at: directory, schema: schema, policyYAML: policyYAML, policyFile: policyFile,
                             protection: protection, adminName: adminName)
        }
        return (VaultService(vault: vault, execution: execution), token)
    }

    /// The session of the user whose token this is; `notAuthenticated` for a missing, unknown
    /// or revoked token (the same answer for each, and the attempt is audited).
    public func authenticate(token: String?) async throws(VaultError) -> Session {
        try await Self.run(execution) { [vault] () throws(VaultError) in try vault.authenticate(token: token) }
    }

    /// Whether the vault can serve: its store answers and its database and directory are
    /// writable (the audit log must be, or reads are refused). For a server's readiness probe.
    public func checkReadiness() async throws(VaultError) {
        try await Self.run(execution) { [vault] () throws(VaultError) in try vault.checkReadiness() }
    }

    /// Tells `observer` about every group commit of audit entries from now on (nil: nobody).
    /// A server feeds its metrics with it: group sizes, commit latency, failed groups.
    public func observeAuditCommits(_ observer: (any AuditCommitObserver)?) {
        vault.observeAuditCommits(observer)
    }

    /// Performs `request` as `caller` and returns its typed response, or its typed error.
    public func perform<Request: VaultRequest>(_ request: Request, as caller: Caller) async throws(Request.Failure) -> Request.Response {
        try await Self.run(execution) { [vault] () throws(Request.Failure) in try request.respond(in: vault, as: caller, progress: { _ in }) }
    }

    /// Performs `request` as `caller`, as a stream: progress of bulk work as it happens, then
    /// the response, last. The stream ends with the request's `Failure` if it fails.
    public func stream<Request: VaultRequest>(_ request: Request, as caller: Caller) -> AsyncThrowingStream<ServiceEvent<Request.Response>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ServiceEvent<Request.Response>, any Error>.makeStream()
        Self.workQueue.async { [vault] in
            do throws(Request.Failure) {
                let response = try request.respond(in: vault, as: caller) { continuation.yield(.progress($0)) }
                continuation.yield(.finished(response))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// Runs blocking vault work where `execution` says and resumes the caller with its result.
    private static func run<Value: Sendable, Failure: Error>(_ execution: Execution,
                                                             _ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        if execution == .callingThread { return try work() }
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            workQueue.async { continuation.resume(returning: Result { () throws(Failure) in try work() }) }
        }
        return try result.get()
    }
}

/// One thing staff can ask of the vault, with the types of its answer and of its refusals.
///
/// A request carries only what the caller chose (a reference, a file, a role, a model); who is
/// asking comes with the `Caller`, so a request cannot claim an identity. `respond` enforces
/// the policy and writes the audit entries through the vault: an adapter never does either.
public protocol VaultRequest: Sendable {
    associatedtype Response: Sendable
    /// `VaultError` for the vault's own requests; a feature module may refuse with its own type
    /// (a review package's period or settings), which then wraps the vault's errors.
    associatedtype Failure: Error = VaultError

    /// Does the work on `vault` for `caller`; bulk work reports how far it got to `progress`.
    func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(Failure) -> Response
}

/// What a streamed request yields: progress, then its response.
public enum ServiceEvent<Response: Sendable>: Sendable {
    case progress(WorkProgress)
    case finished(Response)
}
