@testable import Coffer
import CofferServer
import CofferSupport
import CofferTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `POST /v1/imports/…` on a real loopback port: the CSV streamed as the body, the report as
/// JSON, the options in the query, and every refusal.
@Suite struct ImportRouteTests {
    let fixture: TestVault
    let service: VaultService
    let log = CapturedLog()

    init() async throws {
        fixture = try TestVault()
        service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
    }

    func application(onPort: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                         logger: log.logger, onServerRunning: onPort)
    }

    static func csvHeaders(token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "text/csv"]
    }

    /// A file larger than the JSON routes' 1 MiB limit, with one bad row.
    static func customers(_ count: Int) -> String {
        var text = "customer_ref,full_name,email,country\n"
        for i in 1...count { text += "CUS-\(i),Customer Number \(i) With A Long Name,c\(i)@example.com,GB\n" }
        return text + "CUS-BAD,Bad Row,not-an-email,GB\n"
    }

    @Test func aCSVBodyIsImportedAndTheReportComesBackAsJSON() async throws {
        let admin = fixture.adminToken
        let body = Self.customers(20_000)
        #expect(body.utf8.count > 1 << 20)
        try await application().test(.live) { client in
            let response = try await client.execute(uri: "/v1/imports/customers?filename=crm.csv", method: .post,
                                                    headers: Self.csvHeaders(token: admin), body: ByteBuffer(string: body))
            #expect(response.status == .ok)
            let report = try ServerTests.json(response.body)
            #expect(report["file"] as? String == "crm.csv")
            #expect(report["rows"] as? Int == 20_001)
            #expect(report["inserted"] as? Int == 20_000)
            #expect(report["rejected"] as? Int == 1)
            let rejection = try #require((report["rejections"] as? [[String: Any]])?.first)
            #expect(rejection["line"] as? Int == 20_002)
            #expect(!String(buffer: response.body ?? .init()).contains("not-an-email"), "rejections carry no values")

            // The same file again converges: nothing inserted, everything unchanged.
            let again = try await client.execute(uri: "/v1/imports/customers", method: .post,
                                                 headers: Self.csvHeaders(token: admin), body: ByteBuffer(string: body))
            let second = try ServerTests.json(again.body)
            #expect(second["inserted"] as? Int == 0 && second["unchanged"] as? Int == 20_000 && second["file"] as? String == "upload.csv")
        }
        let view = try fixture.vault.customer(reference: "CUS-17", session: fixture.admin, purpose: "operations")
        #expect(view.fields.contains { $0.name == "email" && $0.value == "c17@example.com" })
        for secret in ["CUS-17", "c17@example.com", admin] { #expect(!log.text.contains(secret)) }
    }

    @Test func optionsComeFromTheQueryAndADryRunWritesNothing() async throws {
        let admin = fixture.adminToken
        try await application().test(.live) { client in
            let semicolons = "customer_ref;full_name;country\nCUS-1;Ada Lovelace;GB\n"
            let dry = try await client.execute(uri: "/v1/imports/customers?delimiter=semicolon&encoding=utf-8&dry_run=true", method: .post,
                                               headers: Self.csvHeaders(token: admin), body: ByteBuffer(string: semicolons))
            #expect(dry.status == .ok)
            let report = try ServerTests.json(dry.body)
            #expect(report["dry_run"] as? Bool == true && report["inserted"] as? Int == 1)
            #expect((report["dialect"] as? String)?.contains("semicolon") == true)
        }
        #expect(throws: VaultError.customerNotFound) { try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations") }
    }

    @Test func refusalsAreJSONErrorsAndNothingIsImported() async throws {
        let admin = fixture.adminToken
        let analyst = try fixture.vault.addUser(name: "ana", role: "analyst", by: fixture.admin)
        let csv = ByteBuffer(string: "customer_ref,full_name\nCUS-9,Nine\n")
        try await application().test(.live) { client in
            func code(_ uri: String, _ headers: HTTPFields) async throws -> String {
                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: csv)
                let code = (try? ServerTests.json(response.body))?["error"].flatMap { ($0 as? [String: Any])?["code"] as? String }
                return "\(response.status.code) \(code ?? "-")"
            }
            var json = Self.csvHeaders(token: admin)
            json[.contentType] = "application/json"
            var got = try await code("/v1/imports/customers", json)
            #expect(got == "415 unsupported_media_type")
            got = try await code("/v1/imports/customers?rejects=/tmp/x.csv", Self.csvHeaders(token: admin))
            #expect(got == "422 unknown_field")
            got = try await code("/v1/imports/customers?delimiter=x", Self.csvHeaders(token: admin))
            #expect(got == "422 invalid_input")
            got = try await code("/v1/imports/customers?filename=../etc/passwd", Self.csvHeaders(token: admin))
            #expect(got == "422 invalid_input")
            got = try await code("/v1/imports/customers?map=nosuch", Self.csvHeaders(token: admin))
            #expect(got == "422 invalid_input")
            got = try await code("/v1/imports/customers", Self.csvHeaders(token: analyst))
            #expect(got == "403 not_permitted")
            got = try await code("/v1/imports/orders", Self.csvHeaders(token: admin))
            #expect(got == "422 import_file_invalid")
            got = try await code("/v1/imports/customers", [.contentType: "text/csv"])
            #expect(got == "401 not_authenticated")
        }
        #expect(throws: VaultError.customerNotFound) { try fixture.vault.customer(reference: "CUS-9", session: fixture.admin, purpose: "operations") }
    }

    /// A body shorter than its Content-Length (the client went away): the import fails, the
    /// record cut off is not stored, and the server goes on answering.
    @Test func aBodyThatStopsHalfWayFailsTheImport() async throws {
        let admin = fixture.adminToken
        let port = NIOLockedValueBox(0)
        try await application(onPort: { p in port.withLockedValue { $0 = p } }).test(.live) { client in
            let whole = "customer_ref,full_name\nCUS-1,Ada Lovelace\nCUS-2,Grace Hopper\nCUS-3,Katherine Johnson\n"
            let sent = String(whole.utf8.prefix(whole.utf8.count - 12))!   // "CUS-3,Kather"
            let head = "POST /v1/imports/customers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(admin)\r\nContent-Type: text/csv\r\nContent-Length: \(whole.utf8.count)\r\n\r\n"
            let answer = try Self.rawExchange(port: port.withLockedValue { $0 }, send: head + sent)
            if !answer.isEmpty { #expect(answer.hasPrefix("HTTP/1.1 422"), "\(answer)") }
            let ok = try await client.execute(uri: "/healthz", method: .get)
            #expect(ok.status == .ok)
        }
        #expect(throws: VaultError.customerNotFound) { try fixture.vault.customer(reference: "CUS-3", session: fixture.admin, purpose: "operations") }
        // The break came within the first 64 KiB, which settle the dialect: nothing was imported.
        #expect(throws: VaultError.customerNotFound) { try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations") }
        #expect(log.text.contains("route=/v1/imports/customers status=422"), "\(log.text)")
    }

    /// Sends `text` on a new connection, shuts the sending side (the body ends early) and
    /// reads what comes back until the server closes.
    static func rawExchange(port: Int, send text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var bytes = Array(text.utf8)
        _ = Glibc.send(fd, &bytes, bytes.count, 0)
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// `POST /v1/export/view` on a real loopback port: the role's view as streamed CSV, one audit
/// entry committed before it, refusals as JSON before the stream.
@Suite struct ExportRouteTests {
    @Test func theViewIsStreamedAsCSVWithOneAuditEntry() async throws {
        let fixture = try TestVault()
        var text = "customer_ref,full_name,email,country\n"
        for i in 1...5_000 { text += "CUS-\(i),Customer \(i),c\(i)@example.com,GB\n" }
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", text), session: fixture.admin)
        let analyst = try fixture.vault.addUser(name: "ana", role: "analyst", by: fixture.admin)
        let sales = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        let admin = fixture.adminToken
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        let log = CapturedLog()
        let app = try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                                   logger: log.logger)
        let before = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .export }.count
        // The file export of the same view, for comparison: the two adapters give the same bytes.
        let file = fixture.directory + "/analyst.csv"
        let analystSession = try fixture.vault.authenticate(token: analyst)
        try fixture.vault.exportView(to: file, session: analystSession, purpose: "qualification")
        let expected = try String(contentsOfFile: file, encoding: .utf8)
        try await app.test(.live) { client in
            let streamed = try await client.execute(uri: "/v1/export/view", method: .post,
                                                    headers: ServerTests.headers(token: analyst, purpose: "qualification"), body: ByteBuffer(string: "{}"))
            #expect(streamed.status == .ok)
            #expect(streamed.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(streamed.headers[.transferEncoding] == "chunked")
            let body = String(buffer: streamed.body ?? .init())
            #expect(body == expected)
            #expect(body.split(separator: "\n").count == 5_001)
            #expect(!body.contains("c17@example.com"), "the analyst's view holds no email")

            // An admin may stream another role's view; sales may not, and the refusal is JSON.
            let other = try await client.execute(uri: "/v1/export/view", method: .post, headers: ServerTests.headers(token: admin, purpose: "operations"),
                                                 body: ByteBuffer(string: #"{"role": "analyst"}"#))
            #expect(other.status == .ok)
            let denied = try await client.execute(uri: "/v1/export/view", method: .post, headers: ServerTests.headers(token: sales, purpose: "prospecting"),
                                                  body: ByteBuffer(string: #"{"role": "admin"}"#))
            #expect(denied.status == .forbidden && denied.headers[.contentType] == "application/json")
            let noPurpose = try await client.execute(uri: "/v1/export/view", method: .post, headers: ServerTests.headers(token: analyst), body: ByteBuffer(string: "{}"))
            #expect(noPurpose.status == .forbidden)
            let unknown = try await client.execute(uri: "/v1/export/view", method: .post, headers: ServerTests.headers(token: analyst, purpose: "qualification"),
                                                   body: ByteBuffer(string: #"{"path": "/etc/passwd"}"#))
            #expect(unknown.status == .unprocessableContent)
        }
        let exports = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .export && $0.outcome == .ok }
        #expect(exports.count == before + 3, "the file export and the two streams, one entry each")
        for secret in ["c17@example.com", analyst, admin] { #expect(!log.text.contains(secret)) }
    }
}
