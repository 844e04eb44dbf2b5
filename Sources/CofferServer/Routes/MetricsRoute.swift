import Hummingbird

/// `GET /metrics`: the Prometheus text exposition, for a scraper presenting the scrape token
/// as `Authorization: Bearer` (`--metrics-token-file`). Staff tokens are not accepted and the
/// vault is not asked: the scrape token opens nothing else, and a staff token opens no metrics.
/// A missing or wrong token is a 401 (the request log and the request counter record it).
struct MetricsRoute {
    let metrics: ServerMetrics

    func add(to router: Router<CofferRequestContext>) {
        router.get("metrics") { [metrics] request, _ in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                  metrics.scrapeToken.matches(header.dropFirst("Bearer ".count))
            else {
                var error = APIError(.unauthorized, code: "not_authenticated",
                                     message: "present the metrics scrape token as Authorization: Bearer <token>", exitCode: 3)
                error.headers[.wwwAuthenticate] = #"Bearer realm="coffer-metrics""#
                throw error
            }
            return Response(status: .ok,
                            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
