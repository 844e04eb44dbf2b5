import Foundation
import Testing
@testable import Coffer

/// `ForkJoin` and `Pending`, the two shapes every parallel path of the vault goes through.
@Suite struct ConcurrencyTests {
    /// Per-lane state that must not be shared: what its lane did.
    final class Lane {
        var items = 0
        var calls = 0
        /// The outputs this lane made, to see that a failure drops them all.
        var made: [Weak] = []
    }

    final class Tracked: Sendable {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    struct Weak { weak var object: Tracked? }

    static func tracked(_ i: Int, _ lane: Lane) -> Tracked {
        let output = Tracked(i)
        lane.made.append(Weak(object: output))
        return output
    }

    struct Failure: Error, Equatable { var index: Int }

    @Test func mapKeepsIndexOrderAndGivesEachLaneItsOwnContext() throws {
        let lanes = [Lane(), Lane()]
        let squares = ForkJoin.map(10_000, contexts: lanes) { i, lane in
            lane.items += 1
            return i * i
        }
        #expect(squares == (0..<10_000).map { $0 * $0 })
        #expect(lanes.map(\.items).reduce(0, +) == 10_000)
        #expect(lanes.allSatisfy { $0.items == 5_000 })
    }

    @Test func smallWorkStaysOnOneLane() throws {
        let lanes = [Lane(), Lane()]
        let out = ForkJoin.map(40, contexts: lanes, minimumChunk: 32) { i, lane in
            lane.items += 1
            return i
        }
        #expect(out == Array(0..<40))
        #expect(lanes[0].items == 40 && lanes[1].items == 0)
        #expect(ForkJoin.map(0, contexts: lanes) { i, _ in i }.isEmpty)
        #expect(ForkJoin.chunks(0, contexts: lanes) { range, _ in range }.isEmpty)
    }

    @Test func chunksAreContiguousAndInOrder() throws {
        let lanes = (0..<3).map { _ in Lane() }
        let ranges = ForkJoin.chunks(1_000, contexts: lanes, minimumChunk: 1) { range, lane in
            lane.calls += 1
            return range
        }
        #expect(ranges.count == 3)
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == 1_000)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        #expect(lanes.allSatisfy { $0.calls == 1 })
        let parts = ForkJoin.chunks(100_000, minimumChunk: 1024) { $0.count }
        #expect(parts.reduce(0, +) == 100_000)
        #expect(parts.count == min(ForkJoin.width, 100_000 / 1024))
    }

    @Test func aFailureThrowsTheFirstFailingChunksErrorAndDropsEveryOutput() throws {
        let lanes = [Lane(), Lane()]
        // Both lanes fail; the error is the one of the first chunk, whichever thread ends first.
        #expect(throws: Failure(index: 100)) {
            _ = try ForkJoin.map(1_000, contexts: lanes) { i, lane throws(Failure) in
                if i == 100 || i == 900 { throw Failure(index: i) }
                return Self.tracked(i, lane)
            }
        }
        #expect(lanes.allSatisfy { $0.made.count > 0 && $0.made.allSatisfy { $0.object == nil } })
        // Only the second lane fails: the first lane's outputs are dropped too.
        #expect(throws: Failure(index: 999)) {
            _ = try ForkJoin.map(1_000, contexts: lanes) { i, lane throws(Failure) in
                if i == 999 { throw Failure(index: i) }
                return Self.tracked(i, lane)
            }
        }
        #expect(lanes.allSatisfy { $0.made.allSatisfy { $0.object == nil } })
        let kept = ForkJoin.map(1_000, contexts: lanes) { i, lane in Self.tracked(i, lane) }
        #expect(kept.map(\.value) == Array(0..<1_000))
    }

    @Test func pendingRunsAtOnceOnAnotherThreadAndIsCollectedLater() throws {
        let caller = pthread_self()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let pending = Pending { () -> Bool in
            started.signal()
            release.wait()
            return pthread_equal(pthread_self(), caller) == 0
        }
        // The work has started before anyone asks for its result.
        started.wait()
        release.signal()
        #expect(pending.wait())
    }

    @Test func pendingRethrowsTheWorksError() {
        let pending = Pending { () throws(Failure) -> Int in throw Failure(index: 7) }
        #expect(throws: Failure(index: 7)) { try pending.wait() }
    }

    @Test func stateHandedToTheWorkComesBackWithItsResult() {
        final class Reader {
            var position = 0
            func next() -> Int {
                position += 1
                return position
            }
        }
        var next: Pending<(Reader, Int), Never>? = Pending(handing: Reader()) { reader in (reader, reader.next()) }
        var seen: [Int] = []
        while let current = next {
            let (reader, value) = current.wait()
            seen.append(value)
            next = value == 5 ? nil : Pending(handing: reader) { reader in (reader, reader.next()) }
        }
        #expect(seen == [1, 2, 3, 4, 5])
    }

    @Test func pendingCanBeAwaited() async throws {
        let release = DispatchSemaphore(value: 0)
        // Awaited before the result is ready: the task suspends until the thread finishes.
        let slow = Pending { () -> Int in
            release.wait()
            return 42
        }
        Thread { release.signal() }.start()
        #expect(await slow.value == 42)
        // Awaited after: the result is there already.
        let done = Pending { () throws(Failure) -> Int in throw Failure(index: 1) }
        try await Task.sleep(nanoseconds: 10_000_000)
        await #expect(throws: Failure(index: 1)) { try await done.value }
    }
}
