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
public final class ByteChannel: CSVByteSource, @unchecked Sendable {
    /// The reader is done (it finished or failed); nothing more is taken.
    public struct Closed: Error {}

    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0           // bytes of chunks[0] already read
    private var buffered = 0
    private var ended = false
    private var failure: String?
    private var readerClosed = false
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

    /// The input ended here.
    public func finish() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// The input broke off (the client went away, the body was shorter than announced).
    public func fail(reason: String) {
        condition.lock()
        if failure == nil { failure = reason }
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// The reader is done: a waiting sender is released and later sends throw `Closed`.
    public func closeReading() {
        condition.lock()
        readerClosed = true
        chunks = []
        buffered = 0
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
}
