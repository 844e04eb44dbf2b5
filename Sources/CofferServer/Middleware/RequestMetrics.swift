import Hummingbird

/// Counts every request by route pattern, method and status, and times it by route pattern
/// and method (`ServerMetrics`). Sits inside the request log and outside the error responses,
/// so it sees the status the client gets. The route is `context.endpointPath`, the pattern a
/// route was registered with, never the path the client sent.
struct RequestMetrics: RouterMiddleware {
    typealias Context = CofferRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.requestFinished(route: context.endpointPath, method: request.method.rawValue, status: response.status.code,
                                    duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.requestFinished(route: context.endpointPath, method: request.method.rawValue, status: status,
                                    duration: ContinuousClock.now - start)
            throw error
        }
    }
}
