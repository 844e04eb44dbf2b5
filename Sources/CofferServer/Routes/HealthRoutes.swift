import Coffer
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (the vault is open and its store answers),
/// for load balancers and orchestrators; no authentication, no data.
struct HealthRoutes {
    let service: VaultService

    struct Status: Encodable {
        var status: String
    }

    func add(to router: Router<CofferRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.encode(Status(status: "ok")) }
        router.get("readyz") { _, _ in
            do {
                try await service.checkReadiness()
                return try JSONResponse.encode(Status(status: "ready"))
            } catch {
                throw APIError(.serviceUnavailable, code: "not_ready", message: "the vault's store does not answer")
            }
        }
    }
}
