import Coffer
import Hummingbird

/// `/v1/<route>`: one POST route per `RemoteRequest`, the request's fields as the JSON body,
/// its response in the output contract. Values travel in bodies, never in URLs, so no
/// reference, email or phone number lands in an access log.
struct RequestRoutes {
    let service: VaultService

    /// The vault's requests a server performs today.
    static let requests: [any RemoteRequest.Type] = [
        WhoAmI.self, ShowPolicy.self,
        GetCustomer.self, FindCustomers.self, PutCustomer.self, EraseCustomer.self, ReindexPhones.self,
        CheckPrivacy.self, ApplyPolicy.self,
        ListUsers.self, AddUser.self, SetUserRole.self, RevokeUser.self, ReinstateUser.self, ResetUserToken.self, RotateOwnToken.self,
        KeyStatus.self, RotateKEK.self, RetireKEK.self,
    ]

    /// The paths registered, for the OpenAPI document's test.
    static var paths: [String] { requests.map { "/v1/" + $0.route } }

    func add(to group: RouterGroup<CofferRequestContext>) {
        for request in Self.requests { register(request, on: group) }
    }

    private func register<Request: RemoteRequest>(_: Request.Type, on group: RouterGroup<CofferRequestContext>) {
        group.post(RouterPath(Request.route)) { [service] httpRequest, context in
            let request = try await httpRequest.decodeBody(Request.self, fields: Request.fields, context: context)
            let response = try await service.perform(request, as: try context.requireCaller())
            return try JSONResponse.encode(response)
        }
    }
}

extension CofferRequestContext {
    /// The caller `TokenAuthentication` set; routes behind it always have one.
    func requireCaller() throws -> Caller {
        guard let caller else {
            throw APIError(.unauthorized, code: "not_authenticated", message: "present a valid, unrevoked user token", exitCode: 3)
        }
        return caller
    }
}
