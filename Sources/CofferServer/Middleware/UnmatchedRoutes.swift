import Hummingbird

/// What a request that matches no route gets, for every route of the router at once: a path the
/// server knows asked with another method is 405 with `Allow` (the methods it takes); any other
/// path is 404. Both are `ErrorBody` JSON (thrown to `ErrorResponses`, which sits outside).
///
/// The table is filled from `Router.routes` once every route is registered (`record(_:)`), so a
/// route added anywhere, by anyone, is covered without naming it here.
final class UnmatchedRoutes: RouterMiddleware, @unchecked Sendable {
    typealias Context = CofferRequestContext

    /// Route patterns and the methods each takes; written once before the server starts, read only after.
    private var table: [(path: RouterPath, methods: [HTTPRequest.Method])] = []

    /// Takes the routes of `router` (call after the last route is added, before serving).
    func record(_ router: Router<Context>) {
        var byPath: [String: (RouterPath, [HTTPRequest.Method])] = [:]
        for route in router.routes {
            byPath[route.path.description, default: (route.path, [])].1.append(route.method)
        }
        table = byPath.values.map { (path: $0.0, methods: $0.1.sorted { $0.rawValue < $1.rawValue }) }
    }

    /// The methods `path` takes, nil when no route pattern matches it.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = table.filter { Self.matches($0.path, segments) }.flatMap(\.methods)
        return allowed.isEmpty ? nil : allowed
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = methods(for: request.uri.path) else {
                throw APIError(.notFound, code: "no_such_route", message: "no such route; the API is described at /v1/openapi.yaml")
            }
            // A route of this path that itself answered 404 keeps its answer.
            if allowed.contains(request.method) { throw error }
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            var refusal = APIError(.methodNotAllowed, code: "method_not_allowed", message: "this route takes \(names)")
            refusal.headers[.allow] = names
            throw refusal
        }
    }

    private static func matches(_ pattern: RouterPath, _ segments: [Substring]) -> Bool {
        var index = 0
        for element in pattern.components {
            if element == .recursiveWildcard { return true }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}
