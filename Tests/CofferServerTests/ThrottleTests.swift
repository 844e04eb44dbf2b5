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
}
