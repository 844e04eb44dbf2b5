import Coffer
import HTTPTypes
import Hummingbird

/// `Authorization: Bearer <token>`: the caller's session for the routes behind it, with the
/// purpose of the request from `Coffer-Purpose`. A missing or bad token is a 401 (the vault
/// audits the failed attempt, never the token); a token in the URL is refused outright, as URLs
/// end up in proxies' and browsers' logs.
struct TokenAuthentication: RouterMiddleware {
    typealias Context = CofferRequestContext
    let service: VaultService

    static let purposeField = HTTPField.Name("Coffer-Purpose")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let query = request.uri.queryParameters
        if query["token"] != nil || query["access_token"] != nil {
            throw APIError(.badRequest, code: "token_in_url",
                           message: "a token in the URL is refused (URLs are logged); send it as Authorization: Bearer <token>")
        }
        var token: String?
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw APIError(.unauthorized, code: "not_authenticated", message: "use Authorization: Bearer <token>", exitCode: 3)
            }
            token = String(header.dropFirst("Bearer ".count))
        }
        let session = try await service.authenticate(token: token)
        context.caller = Caller(session: session, purpose: request.headers[Self.purposeField])
        return try await next(request, context)
    }
}
