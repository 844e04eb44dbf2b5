import Foundation
import NIOConcurrencyHelpers

/// Slows down token guessing: a client address that fails authentication `limit` times within
/// `window` is refused (429 with `Retry-After`) for `penalty`, doubled at each repeat up to
/// `maximumPenalty`. A success resets the address. Refusals happen before the vault is asked,
/// so a flood of guesses neither reaches the audit log nor costs a token lookup each.
///
/// Memory is bounded: at most `capacity` addresses are tracked; past it, the entries that
/// changed least recently go first.
final class AuthenticationThrottle: Sendable {
    struct Settings: Sendable, Equatable {
        var limit = 10
        var window: Duration = .seconds(60)
        var penalty: Duration = .seconds(30)
        var maximumPenalty: Duration = .seconds(15 * 60)
        var capacity = 10_000
    }

    private struct Record {
        var failures: [ContinuousClock.Instant] = []
        var blockedUntil: ContinuousClock.Instant?
        var nextPenalty: Duration
        var touched: ContinuousClock.Instant
    }

    let settings: Settings
    private let records = NIOLockedValueBox<[String: Record]>([:])
    private let clock: @Sendable () -> ContinuousClock.Instant

    init(settings: Settings = Settings(), clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.settings = settings
        self.clock = clock
    }

    /// How long `address` must still wait, or nil when it may try.
    func retryAfter(_ address: String) -> Duration? {
        let now = clock()
        return records.withLockedValue { records in
            guard let until = records[address]?.blockedUntil, until > now else { return nil }
            return until - now
        }
    }

    /// Records a failed attempt; returns the wait imposed when it crosses the limit.
    @discardableResult
    func failed(_ address: String) -> Duration? {
        let now = clock()
        return records.withLockedValue { records in
            var record = records[address] ?? Record(nextPenalty: settings.penalty, touched: now)
            record.touched = now
            record.failures.removeAll { now - $0 > settings.window }
            record.failures.append(now)
            var imposed: Duration?
            if record.failures.count >= settings.limit {
                imposed = record.nextPenalty
                record.blockedUntil = now + record.nextPenalty
                record.nextPenalty = min(record.nextPenalty * 2, settings.maximumPenalty)
                record.failures.removeAll()
            }
            records[address] = record
            if records.count > settings.capacity { Self.evict(&records, keeping: settings.capacity) }
            return imposed
        }
    }

    /// Addresses with a record (for tests of the bound).
    var trackedAddresses: Int { records.withLockedValue { $0.count } }

    /// A successful authentication from `address`: its record goes.
    func succeeded(_ address: String) {
        records.withLockedValue { _ = $0.removeValue(forKey: address) }
    }

    private static func evict(_ records: inout [String: Record], keeping capacity: Int) {
        let excess = records.count - capacity * 9 / 10
        for (address, _) in records.sorted(by: { $0.value.touched < $1.value.touched }).prefix(excess) {
            records.removeValue(forKey: address)
        }
    }
}
