import Coffer
import Hummingbird

/// `/v1/customers`: reads by reference and blind-index lookups. Values travel in request
/// bodies (POST), never in URLs, so no reference, email or phone number lands in an access log.
struct CustomerRoutes {
    let service: VaultService

    struct GetBody: RequestBody {
        var reference: String
        static let fields: Set<String> = ["reference"]
    }

    struct FindBody: RequestBody {
        var email: String?
        var phone: String?
        var region: String?
        static let fields: Set<String> = ["email", "phone", "region"]
    }

    func add(to group: RouterGroup<CofferRequestContext>) {
        group.post("customers/get") { request, context in
            let body = try await request.decodeBody(GetBody.self, context: context)
            return try JSONResponse.encode(try await service.perform(GetCustomer(reference: body.reference), as: try context.requireCaller()))
        }
        group.post("customers/find") { request, context in
            let body = try await request.decodeBody(FindBody.self, context: context)
            let lookup: Vault.Lookup
            switch (body.email, body.phone) {
            case let (email?, nil): lookup = .email(email)
            case let (nil, phone?): lookup = .phone(phone)
            default: throw APIError(.unprocessableContent, code: "invalid_input", message: "give exactly one of email and phone")
            }
            let found = try await service.perform(FindCustomers(lookup, region: body.region), as: try context.requireCaller())
            return try JSONResponse.encode(found)
        }
        group.get("whoami") { _, context in
            try JSONResponse.encode(try await service.perform(WhoAmI(), as: try context.requireCaller()))
        }
    }
}

extension CofferRequestContext {
    /// The caller `TokenAuthentication` set; routes behind it always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError(.unauthorized, code: "not_authenticated", message: "present a valid, unrevoked user token", exitCode: 3) }
        return caller
    }
}
