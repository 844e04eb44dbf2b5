import Foundation

/// A bounded pipe in memory from async code to a blocking reader: the server hands an HTTP
/// request body over, chunk by chunk, to an import running on a thread of its own (the
/// `CSVReader` reads it as a `CSVByteSource`). Nothing touches the disk.
///
/// Backpressure: at most `capacity` bytes wait in the pipe; `send` suspends until the reader
/// has taken enough, so memory does not grow with the upload (and the sender stops reading
/// the socket meanwhile). The reader blocks until bytes, the end or a failure arrive.
///
/// Ends: `finish()` is the end of the input (`read` then returns 0); `fail(reason:)` breaks it
/// off (`read` throws `CSVError.inputBrokeOff`); `closeReading()` says the reader is done
/// (`send` then throws `ByteChannel.Closed`, so the sender stops).
// @unchecked: every mutable property is read and changed only under `condition`.
public final class ByteChannel: CSVByteSource, ByteSink, @unchecked Sendable {
    /// The reader is done (it finished or failed); nothing more is taken.
    public struct Closed: Error {}

    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0           // bytes of chunks[0] already read
    private var buffered = 0
    private var ended = false
    private var failure: String?
    private var readerClosed = false
    /// An async reader suspended until bytes, the end or a failure arrive.
    private var waitingReader: CheckedContinuation<Void, Never>?
    /// A sender suspended until there is room (or the reader closes).
    private var waitingSender: CheckedContinuation<Void, Never>?
    /// The name the reader's messages use.
    public let name: String
    public let capacity: Int

    public init(name: String, capacity: Int = 1 << 18) {
        self.name = name
        self.capacity = max(1, capacity)
    }

    /// Bytes in the pipe now (for tests of the bound).
    public var bufferedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return buffered
    }

    /// Appends `bytes`, waiting while the pipe is full. Throws `Closed` once the reader is done.
    public func send(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        while true {
            switch offer(bytes) {
            case .taken: return
            case .closed: throw Closed()
            case .full:
                // Wait for the reader to take some (it resumes us), then offer again.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in park(continuation) }
            }
        }
    }

    private enum Offer { case taken, closed, full }

    private func offer(_ bytes: [UInt8]) -> Offer {
        condition.lock()
        defer { condition.unlock() }
        if readerClosed { return .closed }
        guard buffered < capacity else { return .full }
        chunks.append(bytes)
        buffered += bytes.count
        condition.broadcast()
        return .taken
    }

    /// Keeps `continuation` until there is room, or resumes it now if there already is.
    private func park(_ continuation: CheckedContinuation<Void, Never>) {
        condition.lock()
        if readerClosed || buffered < capacity {
            condition.unlock()
            continuation.resume()
            return
        }
        waitingSender = continuation
        condition.unlock()
    }

    /// The input (or output) ended here.
    public func finish() { end(failure: nil) }

    /// The input broke off (the client went away, the body was shorter than announced), or
    /// the writer failed: the reader gets the bytes before, then the failure.
    public func fail(reason: String) { end(failure: reason) }

    /// The reader is done: a waiting sender is released and later sends throw `Closed`.
    public func closeReading() {
        condition.lock()
        readerClosed = true
        chunks = []
        buffered = 0
        condition.broadcast()
        let sender = waitingSender
        waitingSender = nil
        condition.unlock()
        sender?.resume()
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, max count: Int) throws(CSVError) -> Int {
        condition.lock()
        while chunks.isEmpty && !ended { condition.wait() }
        if chunks.isEmpty {
            let failure = failure
            condition.unlock()
            if let failure { throw .inputBrokeOff(path: name, reason: failure) }
            return 0
        }
        let n = min(count, chunks[0].count - head)
        chunks[0].withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + head, count: n) }
        head += n
        if head == chunks[0].count { chunks.removeFirst(); head = 0 }
        buffered -= n
        let sender = buffered < capacity ? waitingSender : nil
        if sender != nil { waitingSender = nil }
        condition.unlock()
        sender?.resume()
        return n
    }

    // MARK: The other way: a blocking writer (an export's thread), an async reader (a response).

    /// Appends `bytes`, blocking while the pipe is full; throws once the reader is gone.
    public func write(_ bytes: [UInt8]) throws(CSVError) {
        guard !bytes.isEmpty else { return }
        condition.lock()
        while buffered >= capacity && !readerClosed { condition.wait() }
        if readerClosed {
            condition.unlock()
            throw .writeFailed(path: name, reason: "the client went away")
        }
        chunks.append(bytes)
        buffered += bytes.count
        let reader = waitingReader
        waitingReader = nil
        condition.unlock()
        reader?.resume()
    }

    /// The writer broke off (its reason is for the server's log, never for the client).
    public struct Broken: Error { public var reason: String }

    private func end(failure reason: String?) {
        condition.lock()
        // The first end counts: a failure after a clean end changes nothing.
        guard !ended else { condition.unlock(); return }
        failure = reason
        ended = true
        condition.broadcast()
        let reader = waitingReader
        waitingReader = nil
        condition.unlock()
        reader?.resume()
    }

    /// The next chunk, or nil at the end; throws `Broken` when the writer failed.
    public func next() async throws -> [UInt8]? {
        while true {
            switch take() {
            case let .chunk(bytes): return bytes
            case .end: return nil
            case let .broken(reason): throw Broken(reason: reason)
            case .empty:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in parkReader(continuation) }
            }
        }
    }

    private enum Take { case chunk([UInt8]), end, broken(String), empty }

    private func take() -> Take {
        condition.lock()
        defer { condition.unlock() }
        if !chunks.isEmpty {
            var bytes = chunks.removeFirst()
            if head > 0 { bytes.removeFirst(head); head = 0 }
            buffered -= bytes.count
            condition.broadcast()
            return .chunk(bytes)
        }
        if ended { return failure.map { .broken($0) } ?? .end }
        return .empty
    }

    private func parkReader(_ continuation: CheckedContinuation<Void, Never>) {
        condition.lock()
        if !chunks.isEmpty || ended {
            condition.unlock()
            continuation.resume()
            return
        }
        waitingReader = continuation
        condition.unlock()
    }
}
