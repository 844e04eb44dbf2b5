import Foundation

/// Work started now on a thread of its own, whose result is collected later: `wait()` from
/// synchronous code, `await value` from async code. It is how Coffer overlaps I/O with CPU:
/// the next batch is read (or parsed, or checked) while the current one is processed.
///
/// ```swift
/// let next = Pending { try readBatch(after: last) }   // starts reading now
/// process(current)                                    // meanwhile, on this thread
/// current = try next.wait()                           // or `try await next.value`
/// ```
///
/// The work runs on a new thread, not on Dispatch's or Swift's shared pools: it is typically
/// blocking I/O (SQLite reads, file reads), and a pool thread blocked on I/O is one less for
/// everyone else (on Linux, Swift's cooperative pool is Dispatch's global pool). A thread start
/// costs tens of microseconds, so a job should be worth a millisecond or more.
///
/// State that the work needs to keep across jobs (a file reader, a MAC context) is handed in
/// with `init(handing:to:)` and handed back in the result, so exactly one thread owns it at a
/// time and the compiler checks that the caller does not touch it meanwhile.
///
/// The result is collected once. Collect it even when giving up on it (e.g. on an error path),
/// so that no work outlives the operation that started it.
// @unchecked: all mutable state is guarded by `condition`; the result moves from the working thread to the one collector.
package final class Pending<Value, Failure: Error>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, Failure>?
    /// An async collector suspended before the result was ready.
    private var waiter: CheckedContinuation<Result<Value, Failure>, Never>?
    private var collected = false

    /// Starts `work` on a new thread.
    package convenience init(_ work: sending @escaping () throws(Failure) -> sending Value) {
        self.init(handing: ()) { _ throws(Failure) in try work() }
    }

    /// Starts `work(state)` on a new thread; `state` belongs to the work until its result is
    /// collected (return it as part of the result to use it again).
    package init<State>(handing state: sending State, to work: sending @escaping (sending State) throws(Failure) -> sending Value) {
        // Both were sent here, so nothing else refers to them: they move to the new thread.
        nonisolated(unsafe) let state = state, work = work
        Thread { [self] in
            let result: Result<Value, Failure>
            do throws(Failure) { result = .success(try work(state)) } catch { result = .failure(error) }
            finish(result)
        }.start()
    }

    private func finish(_ result: sending Result<Value, Failure>) {
        condition.lock()
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: result)
            return
        }
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks this thread until the work is done; its result, or its error rethrown.
    @available(*, noasync, message: "use `await value`: waiting blocks a thread of the cooperative pool")
    package func wait() throws(Failure) -> sending Value {
        condition.lock()
        precondition(!collected, "a Pending result is collected once")
        collected = true
        while result == nil { condition.wait() }
        let result = self.result.take()!
        condition.unlock()
        return try result.get()
    }

    /// The work's result, suspending (not blocking) until it is done.
    package var value: Value {
        get async throws(Failure) {
            let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
                condition.lock()
                precondition(!collected, "a Pending result is collected once")
                collected = true
                if let result = self.result.take() {
                    condition.unlock()
                    continuation.resume(returning: result)
                } else {
                    waiter = continuation
                    condition.unlock()
                }
            }
            return try result.get()
        }
    }
}
