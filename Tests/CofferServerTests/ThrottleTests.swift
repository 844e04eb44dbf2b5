@testable import Coffer
@testable import CofferServer
import CofferTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

/// Token guessing is slowed down per client address: the rule on a clock the test moves, then
/// the 429 a real client gets.
@Suite struct ThrottleTests {
    /// A clock the test advances by hand.
    final class TestClock: Sendable {
        private let now = NIOLockedValueBox(ContinuousClock.now)
        var instant: ContinuousClock.Instant { now.withLockedValue { $0 } }
        func advance(_ by: Duration) { now.withLockedValue { $0 = $0 + by } }
    }

    @Test func failuresWithinTheWindowBlockAndRepeatOffendersWaitLonger() {
        let clock = TestClock()
        let throttle = AuthenticationThrottle(settings: .init(limit: 3, window: .seconds(60), penalty: .seconds(30), maximumPenalty: .seconds(100)),
                                              clock: { clock.instant })
        #expect(throttle.failed("10.0.0.1") == nil && throttle.failed("10.0.0.1") == nil)
        #expect(throttle.retryAfter("10.0.0.1") == nil)
        #expect(throttle.failed("10.0.0.1") == .seconds(30))
        #expect(throttle.retryAfter("10.0.0.1") == .seconds(30))
        #expect(throttle.retryAfter("10.0.0.2") == nil, "other addresses are not affected")
        clock.advance(.seconds(31))
        #expect(throttle.retryAfter("10.0.0.1") == nil)
        for _ in 0..<2 { throttle.failed("10.0.0.1") }
        #expect(throttle.failed("10.0.0.1") == .seconds(60), "the penalty doubles")
        clock.advance(.seconds(61))
        for _ in 0..<2 { throttle.failed("10.0.0.1") }
        #expect(throttle.failed("10.0.0.1") == .seconds(100), "up to the maximum")
    }

    @Test func failuresOutsideTheWindowDoNotAddUpAndASuccessForgets() {
        let clock = TestClock()
        let throttle = AuthenticationThrottle(settings: .init(limit: 3, window: .seconds(60)), clock: { clock.instant })
        throttle.failed("a")
        throttle.failed("a")
        clock.advance(.seconds(61))
        #expect(throttle.failed("a") == nil, "the first two fell out of the window")
        throttle.failed("b")
        throttle.failed("b")
        throttle.succeeded("b")
        #expect(throttle.failed("b") == nil)
    }

    @Test func memoryStaysBounded() {
        let throttle = AuthenticationThrottle(settings: .init(limit: 100, capacity: 50))
        for i in 0..<1_000 { throttle.failed("10.0.\(i / 256).\(i % 256)") }
        #expect(throttle.trackedAddresses <= 50)
    }

    @Test func aClientThatKeepsGuessingGets429WithRetryAfterEvenWithAGoodToken() async throws {
        let fixture = try TestVault()
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        var configuration = try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        configuration.throttle = .init(limit: 3, window: .seconds(60), penalty: .seconds(120))
        let app = try CofferServer.makeApplication(service: service, configuration: configuration, logger: CapturedLog().logger)
        let good = fixture.adminToken
        let before = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .authenticate }.count
        try await app.test(.live) { client in
            for _ in 0..<2 {
                let wrong = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer coffer_guess"])
                #expect(wrong.status == .unauthorized)
            }
            let third = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer coffer_guess"])
            #expect(third.status == .tooManyRequests)
            #expect(third.headers[.retryAfter] == "120")
            let blocked = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer \(good)"])
            #expect(blocked.status == .tooManyRequests)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: blocked.body ?? ByteBuffer())) as? [String: Any])
            #expect((body["error"] as? [String: Any])?["code"] as? String == "throttled")
            // Health checks are not behind the token, nor the throttle.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        // Three failures reached the vault and were audited; the throttled ones did not.
        let after = try fixture.vault.auditEntries(AuditQuery()).filter { $0.action == .authenticate }.count
        #expect(after - before == 3)
    }

    @Test func oneUsersSecretGuessedFromManyAddressesIsThrottledForThatUser() {
        // The same type keyed per user: each address stays under its own limit, the user does not.
        let clock = TestClock()
        let addresses = AuthenticationThrottle(settings: .init(limit: 3), clock: { clock.instant })
        let users = AuthenticationThrottle(settings: .init(limit: 3, penalty: .seconds(30)), clock: { clock.instant })
        var imposed: Duration?
        for i in 0..<3 {
            #expect(addresses.failed("10.0.0.\(i)") == nil)
            imposed = users.failed("user 7")
        }
        #expect(imposed == .seconds(30))
        #expect(users.retryAfter("user 7") == .seconds(30))
        #expect(users.retryAfter("user 8") == nil)
        #expect((0..<3).allSatisfy { addresses.retryAfter("10.0.0.\($0)") == nil })
    }

    @Test func guessesAtOneUsersTokenGet429ForThatUserOnlyWithRetryAfter() async throws {
        let fixture = try TestVault()
        let samToken = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        let samID = try #require(Vault.userID(inToken: samToken))
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        var configuration = try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        // All test traffic is from 127.0.0.1: the per-address limit is raised out of the way.
        configuration.throttle = .init(limit: 1_000)
        configuration.userThrottle = .init(limit: 3, window: .seconds(60), penalty: .seconds(90))
        let app = try CofferServer.makeApplication(service: service, configuration: configuration, logger: CapturedLog().logger)
        let admin = fixture.adminToken
        try await app.test(.live) { client in
            let guess = "Bearer coffer_\(samID)_" + String(repeating: "0", count: 64)
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: guess]).status == .unauthorized)
            }
            let third = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: guess])
            #expect(third.status == .tooManyRequests && third.headers[.retryAfter] == "90")
            // Sam's real token waits too; the admin, from the same address, does not.
            let sam = try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer \(samToken)"])
            #expect(sam.status == .tooManyRequests && sam.headers[.retryAfter] != nil)
            #expect(try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer \(admin)"]).status == .ok)
        }
    }

    @Test func aUserRotatesItsOwnTokenOverHTTPAndTheOldOneDiesAtOnce() async throws {
        let fixture = try TestVault()
        let samToken = try fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin)
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        let app = try CofferServer.makeApplication(service: service, configuration: try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0)),
                                                   logger: CapturedLog().logger)
        try await app.test(.live) { client in
            let rotated = try await client.execute(uri: "/v1/users/rotate-token", method: .post, headers: [.authorization: "Bearer \(samToken)"])
            #expect(rotated.status == .ok)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: rotated.body ?? ByteBuffer())) as? [String: Any])
            let token = try #require(body["token"] as? String)
            #expect(body["name"] as? String == "sam" && token != samToken && Vault.userID(inToken: token) != nil)
            #expect(try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer \(samToken)"]).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/whoami", method: .post, headers: [.authorization: "Bearer \(token)"]).status == .ok)
        }
    }

    @Test func aBodyThatStopsHalfWayIsAnsweredOrClosedWithinTheIdleTimeoutAndTheServerStaysUp() async throws {
        let fixture = try TestVault()
        let service = try await VaultService.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.keyPath))
        var configuration = try ServerConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        configuration.idleTimeout = .seconds(1)
        let app = try CofferServer.makeApplication(service: service, configuration: configuration, logger: CapturedLog().logger)
        let token = fixture.adminToken
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let socket = try Self.connectedSocket(port: port)
            defer { close(socket) }
            let half = "POST /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":"
            #expect(half.withCString { send(socket, $0, strlen($0), 0) } > 0)
            let start = ContinuousClock.now
            let (_, closed) = Self.readUntilClosed(socket)
            let waited = ContinuousClock.now - start
            #expect(closed, "the server closed the connection rather than the 10 s guard firing")
            #expect(waited < .seconds(5), "closed after \(waited)")
            // The server still serves others (on a new connection: the test client's idle one was closed too).
            let fresh = try Self.connectedSocket(port: port)
            defer { close(fresh) }
            _ = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".withCString { send(fresh, $0, strlen($0), 0) }
            let (answer, _) = Self.readUntilClosed(fresh)
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A TCP socket connected to 127.0.0.1:`port`, with a 10 s receive guard.
    static func connectedSocket(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// Everything received until the peer closes (true) or the receive guard fires (false).
    static func readUntilClosed(_ socket: Int32) -> ([UInt8], Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(socket, &buffer, buffer.count, 0)
            if n == 0 { return (received, true) }
            if n < 0 { return (received, false) }
            received += buffer[0..<n]
        }
    }
}
