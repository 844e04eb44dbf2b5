import Coffer
import HTTPTypes
import Hummingbird

/// `Authorization: Bearer <token>`: the caller's session for the routes behind it, with the
/// purpose of the request from `Coffer-Purpose`. A missing or bad token is a 401 (the vault
/// audits the failed attempt, never the token); a token in the URL is refused outright, as URLs
/// end up in proxies' and browsers' logs. An address that keeps failing is throttled (429 with
/// `Retry-After`, see `AuthenticationThrottle`).
struct TokenAuthentication: RouterMiddleware {
    typealias Context = CofferRequestContext
    let service: VaultService
    let throttle: AuthenticationThrottle

    static let purposeField = HTTPField.Name("Coffer-Purpose")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let query = request.uri.queryParameters
        if query["token"] != nil || query["access_token"] != nil {
            throw APIError(.badRequest, code: "token_in_url",
                           message: "a token in the URL is refused (URLs are logged); send it as Authorization: Bearer <token>")
        }
        let address = context.clientAddress
        if let wait = throttle.retryAfter(address) { throw Self.throttled(wait) }
        var token: String?
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw APIError(.unauthorized, code: "not_authenticated", message: "use Authorization: Bearer <token>", exitCode: 3)
            }
            token = String(header.dropFirst("Bearer ".count))
        }
        let session: Session
        do {
            session = try await service.authenticate(token: token)
        } catch {
            guard case .notAuthenticated = error else { throw error }
            if let wait = throttle.failed(address) {
                context.logger.warning("authentication throttled", metadata: ["client": "\(address)", "seconds": "\(wait.components.seconds)"])
                throw Self.throttled(wait)
            }
            throw error
        }
        throttle.succeeded(address)
        context.caller = Caller(session: session, purpose: request.headers[Self.purposeField])
        return try await next(request, context)
    }

    static func throttled(_ wait: Duration) -> APIError {
        let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
        var error = APIError(.tooManyRequests, code: "throttled",
                             message: "too many failed authentications from this address; try again in \(seconds) s", exitCode: 3)
        error.headers[.retryAfter] = "\(seconds)"
        return error
    }
}
