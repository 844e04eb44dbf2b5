@testable import Coffer
@testable import CofferServer
import CofferTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// `GET /metrics` on a real loopback port: counters by route pattern and status, latency by
/// route pattern, the scrape token, and no customer value or token in any label. Each server
/// gets its own registry; the process-wide MetricsSystem is never bootstrapped here.
@Suite struct MetricsTests {
    let fixture: TestVault
    let service: VaultService
    let log = CapturedLog()
    let salesToken: String
    static let scrapeToken = "scrape-" + String(repeating: "0123456789abcdef", count: 3)

    /// What the fixture imports; none of it may appear in a scrape.
    static let customerValues = ["CUS-1", "CUS-2", "Ada", "Lovelace", "ada@example.com", "Grace", "Hopper", "grace@example.com",
                                 "7946", "0958", "555", "0142"]

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

    func application(metrics: ServerMetrics?) throws -> some ApplicationProtocol {
        try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                         logger: log.logger, metrics: metrics)
    }

    static func headers(token: String?, purpose: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let purpose { fields[HTTPField.Name("Coffer-Purpose")!] = purpose }
        return fields
    }

    /// Every `name{labels} value` sample line, labels as pairs.
    static func samples(_ text: String) -> [(name: String, labels: [String: String], value: String)] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            guard let space = line.lastIndex(of: " ") else { return nil }
            let series = line[..<space], value = String(line[line.index(after: space)...])
            guard let open = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return (String(series[..<open]), labels, value)
        }
    }

    @Test func countsRequestsByRoutePatternAndStatusWithoutAnyValueInALabel() async throws {
        let metrics = ServerMetrics(scrapeToken: try MetricsScrapeToken(Self.scrapeToken))
        let salesToken = salesToken
        let scrape = try await application(metrics: metrics).test(.live) { client in
            for _ in 0..<2 {
                let got = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                   body: ByteBuffer(string: #"{"reference": "CUS-1"}"#))
                #expect(got.status == .ok)
            }
            let missing = try await client.execute(uri: "/v1/customers/get", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                   body: ByteBuffer(string: #"{"reference": "CUS-404"}"#))
            #expect(missing.status == .notFound)
            let found = try await client.execute(uri: "/v1/customers/find", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                 body: ByteBuffer(string: #"{"email": "ada@example.com"}"#))
            #expect(found.status == .ok)
            let badToken = try await client.execute(uri: "/v1/whoami", method: .post, headers: Self.headers(token: "coffer_not-a-real-token"))
            #expect(badToken.status == .unauthorized)
            // A path that names a customer, and a method off the list (NIO's parser closes the
            // connection on one it does not know at all): neither may become a label.
            let unmatched = try await client.execute(uri: "/v1/customers/CUS-2/ada@example.com", method: .get)
            #expect(unmatched.status == .notFound)
            _ = try await client.execute(uri: "/healthz", method: .init("PROPFIND")!)
            _ = try await client.execute(uri: "/healthz", method: .get)

            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.scrapeToken)"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return String(buffer: response.body)
        }
        let samples = Self.samples(scrape)
        func requests(_ route: String, _ method: String, _ status: String) -> String? {
            samples.first { $0.name == ServerMetrics.requestsName && $0.labels == ["route": route, "method": method, "status": status] }?.value
        }
        #expect(requests("/v1/customers/get", "POST", "200") == "2")
        #expect(requests("/v1/customers/get", "POST", "404") == "1")
        #expect(requests("/v1/customers/find", "POST", "200") == "1")
        #expect(requests("/v1/whoami", "POST", "401") == "1")
        #expect(requests("unmatched", "GET", "404") == "1")
        #expect(requests("/healthz", "GET", "200") == "1")
        #expect(samples.contains { $0.name == ServerMetrics.requestsName && $0.labels["method"] == "other" })
        let latency = samples.first { $0.name == ServerMetrics.durationName + "_count" && $0.labels == ["route": "/v1/customers/get", "method": "POST"] }
        #expect(latency?.value == "3")
        #expect(samples.contains { $0.name == ServerMetrics.durationName + "_bucket" && $0.labels["le"] == "0.001" })

        // Labels hold route patterns, methods, statuses and bucket bounds, nothing else.
        let routes = Set(RequestRoutes.paths + ["/healthz", "/readyz", "/metrics", "/v1/openapi.yaml", "unmatched"])
        for sample in samples {
            for (key, value) in sample.labels {
                switch key {
                case "route": #expect(routes.contains(value), "route label \(value)")
                case "method": #expect(ServerMetrics.methods.contains(value) || value == "other", "method label \(value)")
                case "status": #expect(Int(value) != nil, "status label \(value)")
                case "le": #expect(Double(value) != nil || value == "+Inf", "le label \(value)")
                default: Issue.record("unexpected label \(key)")
                }
            }
        }
        // And no imported value, no staff token, no scrape token anywhere in the scrape.
        for secret in Self.customerValues + [salesToken, "not-a-real-token", Self.scrapeToken, "PROPFIND"] {
            #expect(!scrape.contains(secret), "the scrape contains \(secret)")
        }
    }

    @Test func theScrapeNeedsTheScrapeTokenAndNoStaffTokenOpensIt() async throws {
        let metrics = ServerMetrics(scrapeToken: try MetricsScrapeToken(Self.scrapeToken))
        let salesToken = salesToken, adminToken = fixture.adminToken
        try await application(metrics: metrics).test(.live) { client in
            let none = try await client.execute(uri: "/metrics", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(!String(buffer: none.body).contains(ServerMetrics.requestsName))
            for token in [salesToken, adminToken, Self.scrapeToken + "x", String(Self.scrapeToken.dropLast())] {
                let refused = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(refused.status == .unauthorized)
            }
            let basic = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Basic \(Self.scrapeToken)"])
            #expect(basic.status == .unauthorized)
            let scraped = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.scrapeToken)"])
            // The refused scrapes were counted, as 401s on /metrics.
            #expect(String(buffer: scraped.body).contains(#"\#(ServerMetrics.requestsName){route="/metrics",method="GET",status="401"} 6"#))
        }
        #expect(!log.text.contains(Self.scrapeToken))
    }

    @Test func withoutMetricsThereIsNoMetricsRoute() async throws {
        try await application(metrics: nil).test(.live) { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.scrapeToken)"])
            #expect(response.status == .notFound)
        }
    }

    @Test func auditCommitsAppearOnlyOnceFed() throws {
        let metrics = ServerMetrics(scrapeToken: try MetricsScrapeToken(Self.scrapeToken))
        #expect(!String(decoding: metrics.exposition(), as: UTF8.self).contains("coffer_audit"))
        metrics.auditCommitted(entries: 5, duration: .milliseconds(3))
        metrics.auditCommitted(entries: 2, duration: .milliseconds(1))
        let samples = Self.samples(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(samples.first { $0.name == ServerMetrics.auditEntriesName }?.value == "7")
        #expect(samples.first { $0.name == ServerMetrics.auditGroupSizeName + "_count" }?.value == "2")
        #expect(samples.first { $0.name == ServerMetrics.auditCommitName + "_count" }?.value == "2")
    }

    /// The vault's group commits feed the audit series of a server built with metrics: every
    /// audited read over HTTP is counted once, in as many groups as it took.
    @Test func auditedReadsOverHTTPFeedTheAuditSeries() async throws {
        let metrics = ServerMetrics(scrapeToken: try MetricsScrapeToken(Self.scrapeToken))
        let salesToken = salesToken
        let scrape = try await application(metrics: metrics).test(.live) { client in
            for email in ["ada@example.com", "grace@example.com", "ada@example.com"] {
                let found = try await client.execute(uri: "/v1/customers/find", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                     body: ByteBuffer(string: #"{"email": "\#(email)"}"#))
                #expect(found.status == .ok)
            }
            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.scrapeToken)"])
            return String(buffer: response.body)
        }
        let samples = Self.samples(scrape)
        let entries = try fixture.vault.auditEntries(AuditQuery(actor: "sam", action: .find))
        #expect(entries.count == 3)
        #expect(samples.first { $0.name == ServerMetrics.auditEntriesName }?.value == "3")
        // One request at a time: each entry committed alone, one group and one commit each.
        #expect(samples.first { $0.name == ServerMetrics.auditGroupSizeName + "_count" }?.value == "3")
        #expect(samples.first { $0.name == ServerMetrics.auditCommitName + "_count" }?.value == "3")
        #expect(!samples.contains { $0.name == ServerMetrics.auditFailedGroupsName })
        for secret in Self.customerValues + [salesToken] { #expect(!scrape.contains(secret), "the scrape contains \(secret)") }
    }

    /// A store that cannot grow (SQLite's page limit on the service's own connection, as a full
    /// disk would do): a find is refused with 503 audit_unavailable and no customer value, the
    /// failed group is counted, and finds work again once the limit is lifted.
    @Test func aFindWhoseEntryCannotBeWrittenGets503AndNoCustomerValue() async throws {
        let metrics = ServerMetrics(scrapeToken: try MetricsScrapeToken(Self.scrapeToken))
        let salesToken = salesToken
        let writer = service.vault.store.queue
        try await writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        try await application(metrics: metrics).test(.live) { client in
            func find() async throws -> (HTTPResponse.Status, String) {
                let response = try await client.execute(uri: "/v1/customers/find", method: .post, headers: Self.headers(token: salesToken, purpose: "prospecting"),
                                                        body: ByteBuffer(string: #"{"email": "ada@example.com"}"#))
                return (response.status, String(buffer: response.body))
            }
            // Fill the last pages' room, then every find is refused.
            var refused: (HTTPResponse.Status, String)?
            for _ in 0..<5_000 {
                let got = try await find()
                if got.0 != .ok { refused = got; break }
            }
            let (status, body) = try #require(refused)
            #expect(status == .serviceUnavailable)
            let error = try ServerTests.json(ByteBuffer(string: body))["error"] as? [String: Any]
            #expect(error?["code"] as? String == "audit_unavailable")
            for value in Self.customerValues { #expect(!body.contains(value), "the refusal contains \(value)") }
            #expect(error?.keys.sorted() == ["code", "exit_code", "message"])
            let again = try await find()
            #expect(again.0 == .serviceUnavailable)
            #expect(!again.1.contains("Ada"))

            let scrape = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.scrapeToken)"])
            let samples = Self.samples(String(buffer: scrape.body))
            #expect(samples.first { $0.name == ServerMetrics.auditFailedGroupsName }.flatMap { Int($0.value) } ?? 0 >= 2)

            try await writer.writeWithoutTransaction { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
            let recovered = try await find()
            #expect(recovered.0 == .ok)
            #expect(recovered.1.contains("ada@example.com"))
        }
        #expect(try fixture.vault.verifyAudit().isIntact)
    }

    @Test func theScrapeTokenFileMustBePrivateAndLongEnough() throws {
        let directory = fixture.directory
        func write(_ name: String, _ text: String, mode: Int) throws -> String {
            let path = directory + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
        let good = try MetricsScrapeToken(file: try write("good", Self.scrapeToken + "\n", mode: 0o600))
        #expect(good.matches(Self.scrapeToken[...]))
        #expect(!good.matches((Self.scrapeToken + "\n")[...]))
        let readOnly = try MetricsScrapeToken(file: try write("credential", Self.scrapeToken, mode: 0o400))
        #expect(readOnly.matches(Self.scrapeToken[...]))

        let open = try write("open", Self.scrapeToken, mode: 0o644)
        #expect(throws: ServerConfigurationError.self) { try MetricsScrapeToken(file: open) }
        let short = try write("short", "abc123", mode: 0o600)
        #expect(throws: ServerConfigurationError.self) { try MetricsScrapeToken(file: short) }
        let spaced = try write("spaced", "scrape token with spaces in it, long enough", mode: 0o600)
        #expect(throws: ServerConfigurationError.self) { try MetricsScrapeToken(file: spaced) }
        #expect(throws: ServerConfigurationError.self) { try MetricsScrapeToken(file: directory + "/absent") }
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory + "/good")
        #expect(throws: ServerConfigurationError.self) { try MetricsScrapeToken(file: directory + "/link") }
        // The message names the file and the mode, never the contents.
        do {
            _ = try MetricsScrapeToken(file: open)
        } catch {
            #expect(error.description.contains("644") && !error.description.contains(Self.scrapeToken))
        }
    }
}
