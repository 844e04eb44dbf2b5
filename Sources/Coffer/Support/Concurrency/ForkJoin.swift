import Dispatch
import Foundation

// Coffer's concurrency is two shapes, both here and nowhere else:
//
// - `ForkJoin`: CPU-bound work over `0..<count` split into one contiguous chunk per core, each
//   chunk with a per-worker context of its own (OpenSSL contexts are not thread-safe), the
//   caller waiting until all are done. Used by bulk scans, upsert sealing, rewrap, import and
//   the QCL encoder.
// - `Pending`: work started now on a thread of its own and collected later, so I/O overlaps
//   with CPU. Used to read the next scan batch while one is decrypted, to parse the next import
//   batch while one commits, and to check audit MAC batches while the next is laid out.
//
// Both map onto Swift concurrency when the facade becomes async: a fork-join is a task group
// with one child per chunk (each handed its context), and a `Pending` is awaited with
// `await pending.value`. Blocking I/O stays on `Pending`'s own threads, never on the
// cooperative pool.

/// Fork-join over `0..<count` for CPU-bound work: one contiguous chunk per lane, each lane with a
/// context of its own, all lanes at once; the call returns when the last lane is done.
///
/// Lanes run on the calling thread and Dispatch's worker threads (`concurrentPerform`), so a
/// fork-join costs a few microseconds: chunks below `minimumChunk` items are merged into
/// fewer lanes. Every lane runs to its end even when another fails; the error thrown is the one
/// of the first failing chunk in index order, so it does not depend on thread timing.
package enum ForkJoin {
    /// Lanes to ask for when the work has no per-lane context: one per active core.
    package static var width: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body` on contiguous chunks of `0..<count` in parallel and returns each chunk's
    /// result, in chunk order (no chunks when `count` is 0).
    ///
    /// There are at most `contexts.count` chunks. Chunk `i` gets `contexts[i]` to itself while
    /// the call lasts (the caller is blocked meanwhile), so a context may hold mutable
    /// per-thread state such as a `CryptoWorker`.
    package static func chunks<Context, ChunkResult, Failure: Error>(
        _ count: Int, contexts: [Context], minimumChunk: Int = 32,
        _ body: @Sendable (Range<Int>, Context) throws(Failure) -> ChunkResult
    ) throws(Failure) -> [ChunkResult] {
        let lanes = laneCount(count, contexts: contexts.count, minimumChunk: minimumChunk)
        if lanes <= 1 { return lanes == 0 ? [] : [try body(0..<count, contexts[0])] }
        return try run(lanes, count: count, contexts: contexts, body).map { outcome throws(Failure) in try outcome.get() }
    }

    /// `chunks(_:contexts:minimumChunk:_:)` without per-lane state, on `width` lanes at most.
    package static func chunks<ChunkResult, Failure: Error>(
        _ count: Int, minimumChunk: Int = 32, _ body: @Sendable (Range<Int>) throws(Failure) -> ChunkResult
    ) throws(Failure) -> [ChunkResult] {
        try chunks(count, contexts: Array(repeating: (), count: width), minimumChunk: minimumChunk) { range, _ throws(Failure) in
            try body(range)
        }
    }

    /// `transform` of every index of `0..<count`, in index order, computed in parallel chunks
    /// (chunk `i` with `contexts[i]`, as in `chunks`).
    ///
    /// Each lane writes its outputs straight into its own part of the result, so nothing is
    /// copied or merged afterwards. On failure no output is kept.
    package static func map<Context, Output, Failure: Error>(
        _ count: Int, contexts: [Context], minimumChunk: Int = 32,
        _ transform: @Sendable (Int, Context) throws(Failure) -> Output
    ) throws(Failure) -> [Output] {
        let lanes = laneCount(count, contexts: contexts.count, minimumChunk: minimumChunk)
        if lanes <= 1 {
            var outputs: [Output] = []
            outputs.reserveCapacity(count)
            for i in 0..<count { outputs.append(try transform(i, contexts[0])) }
            return outputs
        }
        var failure: Failure?
        let outputs = [Output](unsafeUninitializedCapacity: count) { buffer, initialized in
            let storage = Disjoint(base: buffer.baseAddress!)
            let outcomes = run(lanes, count: count, contexts: contexts) { range, context throws(Failure) in
                var i = range.lowerBound
                do throws(Failure) {
                    while i < range.upperBound {
                        (storage.base + i).initialize(to: try transform(i, context))
                        i += 1
                    }
                } catch {
                    (storage.base + range.lowerBound).deinitialize(count: i - range.lowerBound)
                    throw error
                }
            }
            for outcome in outcomes {
                if case let .failure(error) = outcome {
                    failure = error
                    break
                }
            }
            guard failure != nil else {
                initialized = count
                return
            }
            // A failed lane has already dropped its own outputs; drop the other lanes' too.
            for (lane, outcome) in outcomes.enumerated() {
                guard case .success = outcome else { continue }
                let range = chunk(lane, of: lanes, count: count)
                (storage.base + range.lowerBound).deinitialize(count: range.count)
            }
            initialized = 0
        }
        if let failure { throw failure }
        return outputs
    }

    /// Lanes for `count` items: no more than the contexts, none smaller than `minimumChunk`
    /// (but at least one when there is anything to do).
    static func laneCount(_ count: Int, contexts: Int, minimumChunk: Int) -> Int {
        guard count > 0 else { return 0 }
        precondition(contexts > 0, "a fork-join needs at least one context")
        return min(contexts, max(1, count / max(1, minimumChunk)))
    }

    /// The items of `lane`: contiguous, in order, sizes differing by one at most.
    static func chunk(_ lane: Int, of lanes: Int, count: Int) -> Range<Int> {
        count * lane / lanes..<count * (lane + 1) / lanes
    }

    /// Runs every lane at once and returns their outcomes in lane order.
    private static func run<Context, ChunkResult, Failure: Error>(
        _ lanes: Int, count: Int, contexts: [Context], _ body: @Sendable (Range<Int>, Context) throws(Failure) -> ChunkResult
    ) -> [Result<ChunkResult, Failure>] {
        [Result<ChunkResult, Failure>](unsafeUninitializedCapacity: lanes) { buffer, initialized in
            let shared = Lanes(contexts: contexts, outcomes: Disjoint(base: buffer.baseAddress!))
            // Returns after every iteration has finished (and their writes are visible here).
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let outcome: Result<ChunkResult, Failure>
                do throws(Failure) {
                    outcome = .success(try body(chunk(lane, of: lanes, count: count), shared.contexts[lane]))
                } catch {
                    outcome = .failure(error)
                }
                (shared.outcomes.base + lane).initialize(to: outcome)
            }
            initialized = lanes
        }
    }

    /// The contexts and outcome slots shared by the lanes.
    // @unchecked: lane i touches only contexts[i] and outcome slot i, and the caller is blocked until all lanes end.
    private struct Lanes<Context, Outcome>: @unchecked Sendable {
        let contexts: [Context]
        let outcomes: Disjoint<Outcome>
    }

    /// Storage that lanes initialize at disjoint indices.
    // @unchecked: each index is written by one lane only, and read only after the fork-join has joined.
    private struct Disjoint<Element>: @unchecked Sendable {
        let base: UnsafeMutablePointer<Element>
    }
}
