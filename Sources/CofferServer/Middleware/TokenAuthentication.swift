import Coffer
import HTTPTypes
import Hummingbird

/// `Authorization: Bearer <token>`: the caller's session for the routes behind it, with the
/// purpose of the request from `Coffer-Purpose`. A missing or bad token is a 401 (the vault
/// audits the failed attempt, never the token); a token in the URL is refused outright, as URLs
/// end up in proxies' and browsers' logs. An address that keeps failing is throttled (429 with
/// `Retry-After`, see `AuthenticationThrottle`), and so is a user whose token keeps being
/// guessed from many addresses (keyed on the user id a `coffer_<id>_<secret>` token names).
struct TokenAuthentication: RouterMiddleware {
    typealias Context = CofferRequestContext
    let service: VaultService
    /// Failures per client address.
    let throttle: AuthenticationThrottle
    /// Failures per user id named by the token, whatever the address.
    let userThrottle: AuthenticationThrottle

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
        let user = token.flatMap { Vault.userID(inToken: $0) }.map { "user \($0)" }
        if let user, let wait = userThrottle.retryAfter(user) { throw Self.throttled(wait, user: true) }
        let session: Session
        do {
            session = try await service.authenticate(token: token)
        } catch {
            guard case .notAuthenticated = error else { throw error }
            let userWait = user.flatMap { userThrottle.failed($0) }
            if let wait = throttle.failed(address) {
                context.logger.warning("authentication throttled", metadata: ["client": "\(address)", "seconds": "\(wait.components.seconds)"])
                throw Self.throttled(wait)
            }
            if let wait = userWait, let user {
                context.logger.warning("authentication throttled", metadata: ["token_user": "\(user)", "seconds": "\(wait.components.seconds)"])
                throw Self.throttled(wait, user: true)
            }
            throw error
        }
        throttle.succeeded(address)
        if let user { userThrottle.succeeded(user) }
        context.caller = Caller(session: session, purpose: request.headers[Self.purposeField])
        return try await next(request, context)
    }

    static func throttled(_ wait: Duration, user: Bool = false) -> APIError {
        let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
        let whose = user ? "for this user" : "from this address"
        var error = APIError(.tooManyRequests, code: "throttled",
                             message: "too many failed authentications \(whose); try again in \(seconds) s", exitCode: 3)
        error.headers[.retryAfter] = "\(seconds)"
        return error
    }
}
