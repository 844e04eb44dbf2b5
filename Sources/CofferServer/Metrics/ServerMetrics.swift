import Coffer
import CofferCrypto
import CoreMetrics
import Foundation
import Metrics
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// What the server counts, for `GET /metrics` (Prometheus text format), through swift-metrics
/// on a Prometheus registry of its own: `coffer serve` bootstraps the process-wide
/// `MetricsSystem` with the same registry once; tests give each server a fresh one and never
/// touch the global.
///
/// Labels come only from the route pattern (`context.endpointPath`, or `unmatched`), the
/// method (from a fixed list, `other` beside it) and the status code: never from a path, a
/// header, a query or a body, so no customer value, token or other user-supplied string can
/// become a label.
///
/// The scrape itself needs the scrape token (`--metrics-token-file`), a secret of its own that
/// opens nothing in the vault; staff tokens are not accepted.
public final class ServerMetrics: AuditCommitObserver, Sendable {
    /// Where every metric lives; `/metrics` prints it.
    public let registry: PrometheusCollectorRegistry
    /// swift-metrics' factory onto `registry`: the server's metrics are made with it, and
    /// `coffer serve` bootstraps `MetricsSystem` with it.
    public let factory: PrometheusMetricsFactory
    let scrapeToken: MetricsScrapeToken

    public static let requestsName = "coffer_http_requests_total"
    public static let durationName = "coffer_http_request_duration_seconds"
    public static let auditEntriesName = "coffer_audit_entries_written_total"
    public static let auditGroupSizeName = "coffer_audit_group_size"
    public static let auditCommitName = "coffer_audit_commit_duration_seconds"
    public static let auditFailedGroupsName = "coffer_audit_commit_failures_total"

    /// Methods a label may name; anything else a client sends is counted as `other`.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), scrapeToken: MetricsScrapeToken) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Audited lookups take milliseconds: buckets from 1 ms, up to the 10 s of long requests.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5), .seconds(10),
        ]
        factory.valueHistogramBuckets[Self.auditGroupSizeName] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.factory = factory
        self.scrapeToken = scrapeToken
    }

    /// One request answered: its route pattern (nil, or Hummingbird's `NotFound`, when no route
    /// matched), method, status and how long it took.
    func requestFinished(route: String?, method: String, status: Int, duration: Duration) {
        let route = route.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        let method = Self.methods.contains(method) ? method : "other"
        Counter(label: Self.requestsName, dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            .increment()
        CoreMetrics.Timer(label: Self.durationName, dimensions: [("route", route), ("method", method)], factory: factory)
            .record(duration: duration)
    }

    /// Fed by the vault's audit group commit (`VaultService.observeAuditCommits`, set by
    /// `CofferServer.makeApplication`): `entries` entries made durable in one commit (one
    /// transaction, one fsync) that took `duration`. The series appear once fed: a scrape never
    /// shows a zero that is not a measurement. Entries that commit inside a change's own
    /// transaction (put, imports, key and user operations) are not counted here.
    public func auditCommitted(entries: Int, duration: Duration) {
        guard entries > 0 else { return }
        Counter(label: Self.auditEntriesName, dimensions: [], factory: factory).increment(by: entries)
        Recorder(label: Self.auditGroupSizeName, dimensions: [], aggregate: true, factory: factory).record(entries)
        CoreMetrics.Timer(label: Self.auditCommitName, dimensions: [], factory: factory).record(duration: duration)
    }

    /// A group of `entries` audit entries whose commit failed (every request in it was refused
    /// with 503): counted, so an alert can fire before the readiness probe is next asked.
    public func auditCommitFailed(entries: Int, duration: Duration) {
        guard entries > 0 else { return }
        Counter(label: Self.auditFailedGroupsName, dimensions: [], factory: factory).increment()
    }

    /// The Prometheus text exposition of everything registered.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// The secret a Prometheus scraper presents as `Authorization: Bearer` to read `/metrics`
/// (`authorization: credentials_file:` in its scrape config). Read from a file only its owner
/// can read, like the root key file; only its SHA-256 is kept.
public struct MetricsScrapeToken: Sendable {
    let digest: [UInt8]

    /// At least this many characters: `openssl rand -hex 32` gives 64.
    public static let minimumLength = 32

    /// A token given as text (tests); the same checks as a file's contents.
    public init(_ token: String) throws(ServerConfigurationError) {
        let bytes = Array(token.utf8)
        guard bytes.count >= Self.minimumLength, bytes.count <= 1024 else {
            throw .metricsToken("the scrape token must have \(Self.minimumLength) to 1024 characters (openssl rand -hex 32)")
        }
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .metricsToken("the scrape token must be printable ASCII without spaces (openssl rand -hex 32)")
        }
        do { digest = try SHA256.hash(bytes) } catch { throw .metricsToken("cannot hash the scrape token") }
    }

    /// Reads the token from `path`: a regular file (not a symbolic link) that only its owner
    /// can read or write (0600 or 0400, as systemd's `LoadCredential=` leaves it); one line,
    /// surrounding white space ignored. Refused otherwise, before the vault is opened.
    public init(file path: String) throws(ServerConfigurationError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw .metricsToken("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw .metricsToken("\(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw .metricsToken("\(path) has mode \(String(mode, radix: 8)): anyone who can read it can read the metrics; chmod 600 it")
        }
        guard info.st_size <= 4096 else { throw .metricsToken("\(path) is too large for a token") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress!.advanced(by: offset), $0.count - offset) }
            guard n > 0 else { throw .metricsToken("cannot read \(path)") }
            offset += n
        }
        defer { secureWipe(&bytes) }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        let end = (bytes.lastIndex { !isSpace($0) }).map { $0 + 1 } ?? start
        try self.init(String(decoding: bytes[start..<end], as: UTF8.self))
    }

    /// Whether `presented` is the token (compared by digest, in constant time).
    func matches(_ presented: Substring) -> Bool {
        guard let other = try? SHA256.hash(Array(presented.utf8)) else { return false }
        return constantTimeEquals(digest, other)
    }
}

private func secureWipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { CofferCrypto.secureWipe($0) }
}
