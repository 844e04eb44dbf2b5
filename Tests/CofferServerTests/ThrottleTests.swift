@testable import Coffer
@testable import CofferServer
import CofferTestSupport
import Foundation
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
}
