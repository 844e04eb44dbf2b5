import ArgumentParser
import Coffer
import CofferServer
import CofferSupport
import Logging
import Metrics
import Prometheus

/// `coffer serve`: the vault as a service. This process holds the root key and the database;
/// staff send requests with their tokens and never need either.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the vault over HTTP/JSON (staff use tokens; only this process holds the key).",
        discussion: """
            Listens on 127.0.0.1:8750 by default. Anything but a loopback address needs --tls-cert and \
            --tls-key. SIGTERM or SIGINT stops it gracefully: requests in flight finish first. Prints the URL \
            once listening (--listen 127.0.0.1:0 picks a free port); one log line per request on stderr \
            (COFFER_LOG_LEVEL, default info): request id, route, status, duration, actor. \
            With --metrics-token-file (or COFFER_METRICS_TOKEN_FILE), GET /metrics serves Prometheus metrics \
            to a scraper presenting that token as a Bearer token; without it there is no /metrics.
            """
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen = ServerConfiguration.defaultListen.description

    @Option(help: ArgumentHelp("TLS certificate chain (PEM).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("TLS private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("File (mode 0600 or 0400) holding the token a Prometheus scraper presents for GET /metrics (default: $COFFER_METRICS_TOKEN_FILE; none: no /metrics).", valueName: "file"))
    var metricsTokenFile: String?

    @Option(help: ArgumentHelp("Failed authentications allowed per minute from one client address, and for one user, before 429 (raise it for a test run).", valueName: "n"))
    var authFailures = 10

    func validate() throws {
        if authFailures < 1 { throw ValidationError("--auth-failures must be at least 1") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give both --tls-cert and --tls-key, or neither") }
    }

    func run() async throws {
        // The configuration is checked before the vault is opened: a refused one opens nothing.
        var server = try ServerConfiguration(
            listen: try ListenAddress(parsing: listen),
            tls: tlsCert.map { ServerConfiguration.TLSFiles(certificatePath: $0, privateKeyPath: tlsKey!) })
        server.authenticationFailuresPerMinute = authFailures
        let configuration = server
        let metrics = try (metricsTokenFile ?? environment("COFFER_METRICS_TOKEN_FILE"))
            .map { path throws(ServerConfigurationError) in ServerMetrics(scrapeToken: try MetricsScrapeToken(file: path)) }
        // Once per process: whatever else reports through swift-metrics lands in the same scrape.
        if let metrics { MetricsSystem.bootstrap(metrics.factory) }
        let service = try await vault.open(execution: .dedicatedThreads)
        var logger = Logger(label: "coffer.server")
        logger.logLevel = environment("COFFER_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = output.json, path = vault.vaultPath
        try await CofferServer.run(service: service, configuration: configuration, logger: logger, metrics: metrics) { port in
            // One line once the port is bound (port 0 picks a free one): what to point clients at.
            let url = "\(configuration.tls == nil ? "http" : "https")://\(ListenAddress(host: configuration.listen.host, port: port))"
            struct Serving: Encodable { var url: String; var vault: String }
            if json, let line = try? OutputContract.encode(Serving(url: url, vault: path), pretty: false) {
                Terminal.out(line)
            } else {
                Terminal.out("serving \(path) on \(url)")
            }
        }
    }
}
