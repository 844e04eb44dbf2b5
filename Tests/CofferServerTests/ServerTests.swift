@testable import Coffer
import CofferServer
import CofferTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import Testing

/// A log handler that keeps every line, so a test can read what the server logged.
final class CapturedLog: @unchecked Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }

    var logger: Logger {
        Logger(label: "coffer.server.test") { _ in Handler(log: self) }
    }

    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }
}

/// The server on a real loopback port (HummingbirdTesting's live framework): authentication,
/// the vault's answers as JSON, and the refusals every route shares.
@Suite struct ServerTests {
    let fixture: TestVault
    let service: VaultService
    let log = CapturedLog()
    let salesToken: String
    let analystToken: String

    init() async throws {
        fixture = try TestVault()
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", """
            customer_ref,full_name,email,phone,country
            CUS-1,Ada Lovelace,ada@example.com,+44 20 7946 0958,GB
            CUS-2,Grace Hopper,grace@example.com,+1 213 555 0142,US

            """), session: fixture.admin)
        salesToken = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        analystToken = try fixture.vault.addUser(name: "ana", role: "analyst", by: fixture.admin)
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
    }

    func application() throws -> some ApplicationProtocol {
        try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                         logger: log.logger)
    }

    static func json(_ body: ByteBuffer?) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body ?? ByteBuffer())) as? [String: Any])
    }

    static func headers(token: String?, purpose: String? = nil, json: Bool = true) -> HTTPFields {
        var fields: HTTPFields = [:]
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let purpose { fields[HTTPField.Name("Coffer-Purpose")!] = purpose }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    @Test func healthAndReadinessNeedNoToken() async throws {
        try await application().test(.live) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            let healthStatus = try Self.json(health.body)["status"] as? String
            #expect(health.status == .ok && healthStatus == "ok")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            let readyStatus = try Self.json(ready.body)["status"] as? String
            #expect(ready.status == .ok && readyStatus == "ready")
        }
    }

    @Test func aTokenIsRequiredAndTheFailureIsAuditedWithoutIt() async throws {
        try await application().test(.live) { client in
            let missing = try await client.execute(uri: "/v1/whoami", method: .post)
            #expect(missing.status == .unauthorized)
            let error = try #require(try Self.json(missing.body)["error"] as? [String: Any])
            #expect(error["code"] as? String == "not_authenticated")
            let wrong = try await client.execute(uri: "/v1/whoami", method: .post, headers: Self.headers(token: "coffer_not-a-real-token"))
            #expect(wrong.status == .unauthorized)
            let basic = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Basic c2FtOnNlY3JldA=="])
            #expect(basic.status == .unauthorized)
        }
        let denied = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .authenticate && $0.outcome == .denied }
        #expect(denied.count >= 2)
        #expect(denied.allSatisfy { !$0.detail.contains("not-a-real-token") })
    }

    @Test func aTokenInTheURLIsRefused() async throws {
        let salesToken = salesToken
        try await application().test(.live) { client in
            let response = try await client.execute(uri: "/v1/whoami?token=\(salesToken)", method: .post)
            #expect(response.status == .badRequest)
            #expect((try Self.json(response.body)["error"] as? [String: Any])?["code"] as? String == "token_in_url")
        }
        #expect(!log.text.contains(salesToken))
    }

    @Test func whoamiAnswersForTheTokensUser() async throws {
        let salesToken = salesToken
        try await application().test(.live) { client in
            let response = try await client.execute(uri: "/v1/whoami", method: .post, headers: Self.headers(token: salesToken))
            #expect(response.status == .ok)
            let body = try Self.json(response.body)
            #expect(body["user"] as? String == "sam")
            #expect((body["access"] as? [String: Any])?["role"] as? String == "sales")
        }
    }

    @Test func aCustomerAsTheRoleSeesItAndEveryReadAudited() async throws {
        let before = try fixture.vault.auditEntries(AuditQuery()).count
        let salesToken = salesToken, analystToken = analystToken
        try await application().test(.live) { client in
            let body = ByteBuffer(string: #"{"reference": "CUS-1"}"#)
            let got = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"), body: body)
            #expect(got.status == .ok)
            let customer = try Self.json(got.body)
            let fields = try #require(customer["fields"] as? [String: Any])
            #expect(fields["full_name"] as? String == "Ada Lovelace")
            #expect(fields["birth_date"] == nil)   // redacted for sales

            // No purpose: refused, naming the purposes the role may use.
            let noPurpose = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: salesToken), body: body)
            #expect(noPurpose.status == .forbidden)
            #expect((try Self.json(noPurpose.body)["error"] as? [String: Any])?["code"] as? String == "purpose_required")

            // Unknown reference and a role that may not read customers: the same 404.
            let unknown = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                   body: ByteBuffer(string: #"{"reference": "CUS-404"}"#))
            #expect(unknown.status == .notFound)
            let analyst = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: analystToken, purpose: "qualification"), body: body)
            #expect(analyst.status == .notFound)

            let found = try await client.execute(uri: "/v1/customers/find", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                 body: ByteBuffer(string: #"{"phone": "(213) 555-0142", "region": "US"}"#))
            #expect(found.status == .ok)
        }
        let entries = try fixture.vault.auditEntries(AuditQuery())
        #expect(entries.count >= before + 5)
        // The log names routes, never the reference, the name or the token.
        #expect(log.text.contains("route=/v1/customers/get"))
        #expect(log.text.contains("actor=sam"))
        for secret in ["CUS-1", "Ada", "ada@example.com", "555", salesToken, analystToken] {
            #expect(!log.text.contains(secret), "the server log holds \(secret)")
        }
    }

    @Test func usersAndKeysThroughTheAPIWithTheRolesOfThePolicy() async throws {
        let admin = fixture.adminToken, salesToken = salesToken
        let added = NIOLockedValueBox<String?>(nil)
        try await application().test(.live) { client in
            func post(_ route: String, _ body: String, as token: String) async throws -> (HTTPResponse.Status, Any?) {
                let response = try await client.execute(uri: "/v1/" + route, method: .post, headers: Self.headers(token: token), body: ByteBuffer(string: body))
                return (response.status, try? JSONSerialization.jsonObject(with: Data(buffer: response.body ?? ByteBuffer())))
            }
            let (status, body) = try await post("users/add", #"{"name": "rob", "role": "support"}"#, as: admin)
            #expect(status == .ok)
            let token = try #require((body as? [String: Any])?["token"] as? String)
            added.withLockedValue { $0 = token }
            // The new token works at once; its holder sees its own role.
            let (whoStatus, who) = try await post("whoami", "", as: token)
            #expect(whoStatus == .ok && (who as? [String: Any])?["user"] as? String == "rob")
            // Sales may not manage users: 403 with the vault's code.
            let (denied, deniedBody) = try await post("users/add", #"{"name": "eve", "role": "admin"}"#, as: salesToken)
            #expect(denied == .forbidden && ((deniedBody as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "not_permitted")
            let (conflict, _) = try await post("users/add", #"{"name": "rob", "role": "support"}"#, as: admin)
            #expect(conflict == .conflict)
            let (listed, list) = try await post("users/list", "{}", as: admin)
            #expect(listed == .ok && (list as? [[String: Any]])?.contains { $0["name"] as? String == "rob" } == true)
            let (changed, change) = try await post("users/set-role", #"{"name": "rob", "role": "sales"}"#, as: admin)
            #expect(changed == .ok && (change as? [String: Any])?["role"] as? String == "sales")
            let (revoked, _) = try await post("users/revoke", #"{"name": "rob"}"#, as: admin)
            #expect(revoked == .ok)
            let (gone, _) = try await post("whoami", "", as: token)
            #expect(gone == .unauthorized)
            let (keys, versions) = try await post("keys/status", "", as: admin)
            #expect(keys == .ok && (versions as? [[String: Any]])?.first?["version"] as? Int == 1)
            let (retire, _) = try await post("keys/retire", #"{"version": "one"}"#, as: admin)
            #expect(retire == .unprocessableContent)
            let (noFields, noFieldsBody) = try await post("keys/status", #"{"verbose": true}"#, as: admin)
            #expect(noFields == .unprocessableContent
                    && ((noFieldsBody as? [String: Any])?["error"] as? [String: Any])?["message"] as? String == "unknown field 'verbose'; this request takes no fields")
            let (both, bothBody) = try await post("customers/find", #"{"email": "a@example.com", "phone": "1"}"#, as: admin)
            #expect(both == .unprocessableContent
                    && ((bothBody as? [String: Any])?["error"] as? [String: Any])?["message"] as? String == "give exactly one of email and phone")
        }
        // Every change went through the vault and its audit log.
        let actions = try fixture.vault.auditEntries(AuditQuery()).map(\.action)
        #expect(actions.contains(.userAdd) && actions.contains(.userRevoke))
        #expect(added.withLockedValue { $0 } != nil)
    }

    @Test func badBodiesAreRefusedWithTheRightStatus() async throws {
        let salesToken = salesToken
        try await application().test(.live) { client in
            let headers = Self.headers(token: salesToken, purpose: "prospecting")
            func post(_ body: String, headers: HTTPFields = headers) async throws -> (HTTPResponse.Status, String?) {
                let response = try await client.execute(uri: "/v1/customers/get", method: .post, headers: headers, body: ByteBuffer(string: body))
                let code = (try? Self.json(response.body)["error"] as? [String: Any])?["code"] as? String
                return (response.status, code)
            }
            do { let r = try await post(#"{"reference": "CUS-1", "colour": "red"}"#); #expect(r.0 == .unprocessableContent && r.1 == "unknown_field") }
            do { let r = try await post(#"{"reference": 7}"#); #expect(r.0 == .unprocessableContent && r.1 == "wrong_type") }
            do { let r = try await post(#"{}"#); #expect(r.0 == .unprocessableContent && r.1 == "missing_field") }
            do { let r = try await post(#"{"reference": "CUS-1""#); #expect(r.0 == .unprocessableContent && r.1 == "invalid_json") }
            do { let r = try await post(#"[1, 2]"#); #expect(r.0 == .unprocessableContent && r.1 == "invalid_json") }
            var text = headers
            text[.contentType] = "text/plain"
            do { let r = try await post(#"{"reference": "CUS-1"}"#, headers: text); #expect(r.0 == .unsupportedMediaType && r.1 == "unsupported_media_type") }
            let huge = #"{"reference": ""# + String(repeating: "x", count: 2 << 20) + #""}"#
            let tooLarge = try await post(huge)
            #expect(tooLarge.0 == .contentTooLarge)
            let nowhere = try await client.execute(uri: "/v1/no/such/route", method: .get, headers: headers)
            #expect(nowhere.status == .notFound)
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllowAndAnUnknownOneIs404() async throws {
        try await application().test(.live) { client in
            for (uri, method, allow) in [("/v1/users/add", HTTPRequest.Method.trace, "POST"), ("/v1/whoami", .get, "POST"),
                                         ("/healthz", .post, "GET"), ("/v1/openapi.yaml", .delete, "GET")] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allow)
                #expect(response.headers[.contentType] == "application/json")
                let error = try #require(try Self.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "method_not_allowed")
            }
            for (uri, method) in [("/v1/no/such/route", HTTPRequest.Method.post), ("/nowhere", .trace), ("/v1/whoami/extra", .post)] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect((try Self.json(response.body)["error"] as? [String: Any])?["code"] as? String == "no_such_route")
            }
        }
    }

    @Test func anAdminCannotLockEveryoneOutOverHTTP() async throws {
        let admin = fixture.adminToken, name = fixture.admin.name
        try await application().test(.live) { client in
            for (route, body) in [("users/revoke", #"{"name": "\#(name)"}"#), ("users/set-role", #"{"name": "\#(name)", "role": "sales"}"#)] {
                let response = try await client.execute(uri: "/v1/" + route, method: .post, headers: Self.headers(token: admin), body: ByteBuffer(string: body))
                #expect(response.status == .conflict, "\(route)")
                let error = try #require(try Self.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "would_lock_out" && error["exit_code"] as? Int == 1)
            }
            // The admin still works.
            #expect(try await client.execute(uri: "/v1/users/list", method: .post, headers: Self.headers(token: admin)).status == .ok)
        }
    }

    @Test func everyResponseCarriesARequestIdAndTheLogLineNamesIt() async throws {
        let salesToken = salesToken
        try await application().test(.live) { client in
            let generated = try await client.execute(uri: "/v1/whoami", method: .post, headers: Self.headers(token: salesToken))
            let id = try #require(generated.headers[HTTPField.Name("Coffer-Request-Id")!])
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            var mine = Self.headers(token: salesToken)
            mine[HTTPField.Name("Coffer-Request-Id")!] = "client-42.a_b"
            let kept = try await client.execute(uri: "/v1/whoami", method: .post, headers: mine)
            #expect(kept.headers[HTTPField.Name("Coffer-Request-Id")!] == "client-42.a_b")
            for unsafe in ["a b", String(repeating: "x", count: 65), "id=\"1\"", "<script>"] {
                mine[HTTPField.Name("Coffer-Request-Id")!] = unsafe
                let replaced = try await client.execute(uri: "/nowhere", method: .get, headers: mine)
                let answered = try #require(replaced.headers[HTTPField.Name("Coffer-Request-Id")!])
                #expect(answered != unsafe && answered.count == 32)
            }
        }
        #expect(log.text.contains("request_id=\(try #require(log.text.firstMatch(of: /request_id=([0-9a-f]{32})/)?.1))"))
        #expect(log.text.contains("request_id=client-42.a_b") && log.text.contains("actor=sam") && log.text.contains("duration_ms="))
        #expect(!log.text.contains("<script>") && !log.text.contains("a b "))
    }

    @Test func plainHTTPOffLoopbackIsRefusedBeforeAnythingOpens() throws {
        #expect(throws: ServerConfigurationError.plaintextOffLoopback(.init(host: "0.0.0.0", port: 8750))) {
            try ServerConfiguration(listen: .init(host: "0.0.0.0", port: 8750))
        }
        #expect(try ServerConfiguration(listen: ListenAddress(parsing: "[::1]:9000")).listen == .init(host: "::1", port: 9000))
        #expect(try ListenAddress(parsing: "127.0.0.2:1").isLoopback)
        #expect(try !ListenAddress(parsing: "10.0.0.1:80").isLoopback)
        for bad in ["8750", "host:", ":80", "host:99999", "[::1]8750"] {
            #expect(throws: ServerConfigurationError.badListenAddress(bad)) { try ListenAddress(parsing: bad) }
        }
        let tls = ServerConfiguration.TLSFiles(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let configuration = try ServerConfiguration(listen: .init(host: "0.0.0.0", port: 0), tls: tls)
        #expect(throws: ServerConfigurationError.self) {
            _ = try CofferServer.makeApplication(service: service, configuration: configuration, logger: log.logger)
        }
    }

    /// The audit store refuses writes (the server's own connection may not grow the database,
    /// as on a full disk): reads get 503 with no customer value, readiness says not ready; both
    /// recover once the store can write again.
    @Test func aReadWhoseAuditEntryCannotBeWrittenGets503AndNothingElse() async throws {
        let salesToken = salesToken, vault = fixture.vault
        let writer = service.vault.store.queue
        try await writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        let entriesBefore = NIOLockedValueBox(0)
        try await application().test(.live) { client in
            let find = ByteBuffer(string: #"{"email": "ada@example.com"}"#)
            let headers = Self.headers(token: salesToken, purpose: "prospecting")
            // Reads succeed while the last page has room; the first refusal is a 503.
            var refused: TestResponse?
            for _ in 0..<5_000 {
                let response = try await client.execute(uri: "/v1/customers/find", method: .post, headers: headers, body: find)
                if response.status != .ok { refused = response; break }
            }
            let response = try #require(refused)
            #expect(response.status == .serviceUnavailable)
            let text = String(buffer: response.body ?? ByteBuffer())
            #expect((try Self.json(response.body)["error"] as? [String: Any])?["code"] as? String == "audit_unavailable")
            for value in ["Ada", "Lovelace", "ada@example.com", "CUS-1", "+44"] { #expect(!text.contains(value), "the 503 holds \(value)") }
            let get = try await client.execute(uri: "/v1/customers/get", method: .post, headers: headers, body: ByteBuffer(string: #"{"reference": "CUS-1"}"#))
            #expect(get.status == .serviceUnavailable)
            #expect(!String(buffer: get.body ?? ByteBuffer()).contains("Ada"))
            let notReady = try await client.execute(uri: "/readyz", method: .get)
            #expect(notReady.status == .serviceUnavailable)
            entriesBefore.withLockedValue { $0 = (try? vault.auditEntries(AuditQuery()).count) ?? -1 }

            // Room again: ready, and the read answers with its entry written.
            try await writer.writeWithoutTransaction { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let found = try await client.execute(uri: "/v1/customers/find", method: .post, headers: headers, body: find)
            #expect(found.status == .ok)
            #expect(String(buffer: found.body ?? ByteBuffer()).contains("Ada Lovelace"))
        }
        let entries = try fixture.vault.auditEntries(AuditQuery())
        #expect(entries.count == entriesBefore.withLockedValue { $0 } + 1)
        #expect(entries.last?.action == .find && entries.last?.outcome == .ok)
        #expect(try fixture.vault.verifyAudit().isIntact)
    }
}
