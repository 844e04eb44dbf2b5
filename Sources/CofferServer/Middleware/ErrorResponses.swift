import Coffer
import Hummingbird
import Logging

/// Turns whatever a route throws into one JSON error response: the vault's errors by their
/// table, Hummingbird's own (unknown route, body too large) with their status, anything else a
/// 500 whose details stay in the server log (by type only: it may hold data).
struct ErrorResponses<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as VaultError {
            let api = APIError(error)
            if api.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return api.response()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, code: Self.code(of: error.status), message: error.status.reasonPhrase).response()
        } catch {
            context.logger.error("request failed", metadata: ["error_type": "\(type(of: error))"])
            return APIError(.internalServerError, code: "internal", message: "the server could not complete the request; see its log").response()
        }
    }

    static func code(of status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "no_such_route"
        case .contentTooLarge: "body_too_large"
        case .methodNotAllowed: "method_not_allowed"
        case .badRequest: "bad_request"
        case .unsupportedMediaType: "unsupported_media_type"
        default: "http_\(status.code)"
        }
    }
}
