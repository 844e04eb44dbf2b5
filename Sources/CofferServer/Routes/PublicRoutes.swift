import Coffer
import Hummingbird

/// The routes that need no token and hold no data: `/healthz` (the process answers),
/// `/readyz` (the vault's store answers and its database is writable), for load balancers and
/// orchestrators; and `/v1/openapi.yaml`, the API's contract.
struct PublicRoutes {
    let service: VaultService

    struct Status: Encodable {
        var status: String
    }

    func add(to router: Router<CofferRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.encode(Status(status: "ok")) }
        router.get("v1/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
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
