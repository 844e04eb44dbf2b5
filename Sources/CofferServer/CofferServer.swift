import Coffer
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL

/// Server mode: one process holds the root key and the database; staff hold tokens. Every
/// route performs a request on the same `VaultService` the CLI uses, so the views, the
/// policy and the audit are the vault's, on the far side of a process boundary.
///
/// Routes: `GET /healthz` and `GET /readyz` (no token), and under `/v1`, with
/// `Authorization: Bearer`, one `POST` per `RemoteRequest` (`RequestRoutes.requests`) and the
/// streamed imports (`ImportRoutes`). With
/// `metrics`, every request is counted and timed and `GET /metrics` serves them to a scraper
/// holding the scrape token (`MetricsRoute`); without, there is no `/metrics`.
public enum CofferServer {
    /// The application for `service`, listening as `configuration` says. `onServerRunning`
    /// gets the bound port (port 0 binds a free one).
    public static func makeApplication(service: VaultService, configuration: ServerConfiguration, logger: Logger,
                                       metrics: ServerMetrics? = nil,
                                       onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws(ServerConfigurationError) -> some ApplicationProtocol
    {
        let router = Router(context: CofferRequestContext.self)
        router.add(middleware: RequestLog())
        if let metrics {
            router.add(middleware: RequestMetrics(metrics: metrics))
            service.observeAuditCommits(metrics)
        }
        router.add(middleware: ErrorResponses())
        let unmatched = UnmatchedRoutes()
        router.add(middleware: unmatched)
        if let metrics { MetricsRoute(metrics: metrics).add(to: router) }
        PublicRoutes(service: service).add(to: router)
        let v1 = router.group("v1").add(middleware: TokenAuthentication(
            service: service, throttle: AuthenticationThrottle(settings: configuration.throttle),
            userThrottle: AuthenticationThrottle(settings: configuration.userThrottle)))
        RequestRoutes(service: service).add(to: v1)
        ImportRoutes(service: service).add(to: v1)
        ExportRoutes(service: service).add(to: v1)
        unmatched.record(router)

        // A connection that sends nothing (headers, or the rest of a body) for this long is closed.
        let idle = configuration.idleTimeout.components
        let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            server = try tlsServer(tls, http: http1)
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "coffer"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: requests in flight finish
    /// (each one's audit entry is committed with its work), new connections are refused.
    public static func run(service: VaultService, configuration: ServerConfiguration, logger: Logger,
                           metrics: ServerMetrics? = nil,
                           onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try makeApplication(service: service, configuration: configuration, logger: logger, metrics: metrics,
                                      onServerRunning: onServerRunning)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    private static func tlsServer(_ files: ServerConfiguration.TLSFiles, http: HTTP1Channel.Configuration) throws(ServerConfigurationError) -> HTTPServerBuilder {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw ServerConfigurationError.tlsFiles("\(files.certificatePath) holds no certificate") }
            let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            tls.minimumTLSVersion = .tlsv12
            return try .tls(.http1(configuration: http), tlsConfiguration: tls)
        } catch let error as ServerConfigurationError {
            throw error
        } catch {
            throw .tlsFiles("\(files.certificatePath) / \(files.privateKeyPath): not a PEM certificate chain and private key")
        }
    }
}
