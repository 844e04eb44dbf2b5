import Hummingbird
import Logging

/// One structured line per request: request id, method, route pattern (never the concrete
/// path, which could name a customer), status, duration, actor. No header, query or body is
/// ever logged, so no token and no customer value reaches the log.
struct RequestLog: RouterMiddleware {
    typealias Context = CofferRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)",
            "duration_ms": "\(Int(milliseconds.rounded()))",
            "actor": "\(context.caller?.session.name ?? "-")",
        ])
        return response
    }
}
