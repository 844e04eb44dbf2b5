import Foundation

/// Runs `body` over `0..<count` split into one contiguous chunk per worker (each chunk gets its
/// own per-thread context, e.g. a `CryptoWorker`), in parallel. Rethrows the first error raised.
func parallelChunks<Context>(count: Int, workers: [Context], _ body: (Range<Int>, Context) throws -> Void) throws {
    guard count > 0 else { return }
    let lanes = min(workers.count, max(1, count / 64 + 1))
    if lanes == 1 {
        try body(0..<count, workers[0])
        return
    }
    let errors = ErrorBox()
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(value: (body, workers))
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let lo = count * lane / lanes, hi = count * (lane + 1) / lanes
            do { try shared.value.0(lo..<hi, shared.value.1[lane]) } catch { errors.record(error) }
        }
    }
    if let error = errors.first { throw error }
}

/// A value handed across threads where the code guarantees exclusive use per thread.
struct UncheckedSendable<T>: @unchecked Sendable { var value: T }

/// Collects the first error raised by parallel work.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func record(_ error: any Error) {
        lock.lock()
        if stored == nil { stored = error }
        lock.unlock()
    }
    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// A fixed-size array written by index from several threads, each index by one thread only.
final class ParallelSlots<T>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<T?>
    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }
    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }
    subscript(index: Int) -> T? {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }
    var count: Int { buffer.count }
}
