@testable import Coffer
@testable import CofferServer
import CofferSupport
import CofferTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every remote request travels as the CLI sends it (its own encoding, through
/// `OutputContract.encoder`) and every answer decodes with the client's decoder
/// (`OutputContract.decoder`) back to a value that encodes to the very bytes the server sent:
/// what `coffer --server … --json` prints is what the embedded CLI prints.
@Suite struct RemoteCodingTests {
    let fixture: TestVault
    let service: VaultService
    let salesToken: String

    init() async throws {
        fixture = try TestVault()
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", """
            customer_ref,full_name,email,phone,country
            CUS-1,Ada Lovelace,ada@example.com,+44 20 7946 0958,GB
            CUS-2,Grace Hopper,grace@example.com,+1 213 555 0142,US

            """), session: fixture.admin)
        salesToken = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
    }

    @Test func everyRemoteRequestAndItsAnswerRoundTrip() async throws {
        let app = try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                                     logger: CapturedLog().logger)
        let admin = fixture.adminToken, sales = salesToken
        let adminSession = fixture.admin, service = service
        let covered = TestCoverage()
        try await app.test(.live) { client in
            /// Sends `request` as the client does; decodes, re-encodes and compares with the server's bytes.
            @discardableResult
            func roundTrip<Request: RemoteRequest>(_ request: Request, token: String, purpose: String? = nil) async throws -> Request.Response
            where Request.Response: Equatable {
                var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
                if let purpose { headers[HTTPField.Name("Coffer-Purpose")!] = purpose }
                let body = try OutputContract.encoder(pretty: false).encode(request)
                let response = try await client.execute(uri: "/v1/" + Request.route, method: .post, headers: headers, body: ByteBuffer(bytes: body))
                let bytes = Data(buffer: response.body ?? ByteBuffer())
                #expect(response.status == .ok, "\(Request.route): \(String(decoding: bytes, as: UTF8.self))")
                let decoded = try OutputContract.decoder().decode(Request.Response.self, from: bytes)
                let again = try OutputContract.encoder(pretty: false).encode(decoded)
                #expect(again == bytes, "\(Request.route) does not re-encode to the server's bytes")
                let decodedAgain = try OutputContract.decoder().decode(Request.Response.self, from: again)
                #expect(decodedAgain == decoded)
                covered.add(Request.route)
                return decoded
            }
            let identity = try await roundTrip(WhoAmI(), token: sales)
            #expect(identity.user == "sam")
            try await roundTrip(ShowPolicy(), token: admin)
            try await roundTrip(ShowPolicy(), token: sales)
            let got = try await roundTrip(GetCustomer(reference: "CUS-1"), token: sales, purpose: "prospecting")
            #expect(got["full_name"] == "Ada Lovelace")
            let byEmail = try await roundTrip(FindCustomers(.email("GRACE@example.com")), token: sales, purpose: "prospecting")
            #expect(byEmail.map { $0["customer_ref"] } == ["CUS-2"])
            let byPhone = try await roundTrip(FindCustomers(.phone("(213) 555-0142"), region: "US"), token: sales, purpose: "prospecting")
            #expect(byPhone.map { $0["customer_ref"] } == ["CUS-2"])
            let added = try await roundTrip(AddUser(name: "rob", role: "support"), token: admin)
            #expect(added.name == "rob" && !added.token.isEmpty)
            let users = try await roundTrip(ListUsers(), token: admin)
            #expect(users.map(\.name).contains("rob"))
            let answer1 = try await roundTrip(SetUserRole(name: "rob", role: "sales"), token: admin)
            #expect(answer1 == UserChange(name: "rob", role: "sales", revoked: false))
            let answer2 = try await roundTrip(RevokeUser(name: "rob"), token: admin)
            #expect(answer2 == UserChange(name: "rob", role: nil, revoked: true))
            let answer3 = try await roundTrip(ReinstateUser(name: "rob"), token: admin)
            #expect(answer3.name == "rob")
            let answer4 = try await roundTrip(ResetUserToken(name: "rob"), token: admin)
            #expect(answer4.name == "rob")
            let answer5 = try await roundTrip(KeyStatus(), token: admin)
            #expect(answer5.map(\.version) == [1])
            let answer6 = try await roundTrip(RotateKEK(), token: admin)
            #expect(answer6.active == 2)
            // Through the served vault: a second Vault instance's rewrap is not what the server reads.
            _ = try await service.perform(RewrapDataKeys(), as: Caller(session: adminSession))
            let retired = try await roundTrip(RetireKEK(version: 1), token: admin)
            #expect(retired.version == 1 && retired.state == .retired)
            let status = try await roundTrip(KeyStatus(), token: admin)
            #expect(status.first { $0.version == 1 }?.retiredAt != nil)
        }
        // Requests whose routes are tested in RequestRouteTests (put, erase, reindex, privacy, policy apply)
        // and ThrottleTests (rotate-token, which would end the token this test uses).
        let testedElsewhere: Set = ["customers/put", "customers/erase", "customers/reindex-phones", "privacy/check", "policy/apply",
                                    "users/rotate-token"]
        #expect(covered.routes == Set(RequestRoutes.requests.map { $0.route }).subtracting(testedElsewhere),
                "a remote request is not round-tripped here")
    }

    @Test func aFindByAnotherFieldHasNoBodyForm() {
        #expect(throws: EncodingError.self) { try OutputContract.encoder().encode(FindCustomers(.field("postal_code", "10115"))) }
    }
}

/// The routes a test reached (thread-safe: the live test client runs elsewhere).
final class TestCoverage: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<String> = []
    func add(_ route: String) { lock.withLock { _ = seen.insert(route) } }
    var routes: Set<String> { lock.withLock { seen } }
}
