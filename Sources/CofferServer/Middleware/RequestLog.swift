import HTTPTypes
import Hummingbird
import Logging

/// One structured line per request: request id, method, route pattern (never the concrete
/// path, which could name a customer), status, duration, actor. No header, query or body is
/// ever logged, so no token and no customer value reaches the log.
///
/// The request id is returned as `Coffer-Request-Id`. A client's own id is kept only when it is
/// a short safe token (1 to 64 letters, digits, '.', '_' or '-'), so it can tie a client's log to
/// the server's; anything else is replaced by a generated one, never logged as sent.
struct RequestLog: RouterMiddleware {
    typealias Context = CofferRequestContext

    static let requestIDField = HTTPField.Name("Coffer-Request-Id")!

    /// The incoming id when it is safe to log and echo, else a new random one.
    static func requestID(from incoming: String?) -> String {
        if let incoming, (1...64).contains(incoming.utf8.count), incoming.utf8.allSatisfy({
            (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
        }) {
            return incoming
        }
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        return String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let id = Self.requestID(from: request.headers[Self.requestIDField])
        var response = try await next(request, context)
        response.headers[Self.requestIDField] = id
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "request_id": "\(id)",
            "method": "\(request.method.rawValue)",
            "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)",
            "duration_ms": "\(Int(milliseconds.rounded()))",
            "actor": "\(context.caller?.session.name ?? "-")",
        ])
        return response
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
