import Foundation

/// A growable byte buffer written through a raw pointer, for formatters that append millions
/// of short pieces (JSON, CSV), where an Array's per-append uniqueness and capacity checks would
/// dominate. One owner at a time; hand it to another thread only when done writing.
// @unchecked: one owner at a time; a buffer is handed to another thread (or a pool) only once its writer is done with it.
package final class ByteBuffer: @unchecked Sendable {
    // Unchecked: visible to other modules, these would otherwise get a dynamic exclusivity
    // check on every append (the optimizer removes it only for storage no other module sees).
    @exclusivity(unchecked) package private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) package private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int

    package init(capacity: Int = 1 << 16) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far (valid until the next write).
    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A copy of the bytes.
    package var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    package func removeAll() { count = 0 }

    @inline(__always)
    package func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always)
    package func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    package func append(_ raw: UnsafeRawBufferPointer) {
        guard let source = raw.baseAddress, raw.count > 0 else { return }
        reserve(raw.count)
        (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: raw.count)
        count += raw.count
    }

    package func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// ASCII text known at compile time.
    @inline(__always)
    package func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A String's UTF-8 (a distinct label, so literals pick the StaticString overload).
    package func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// A decimal integer.
    package func appendDecimal(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        count += digits
    }

    /// `value` (0 or more) in exactly `width` digits, zero-padded.
    @inline(__always)
    package func appendPadded(_ value: Int64, width: Int) {
        reserve(width)
        var rest = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            base[count + i] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
            rest /= 10
        }
        count += width
    }

    /// Lowercase hex of `bytes`.
    package func appendHex(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count * 2)
        let digits: StaticString = "0123456789abcdef"
        let d = digits.utf8Start
        for byte in bytes {
            base[count] = d[Int(byte >> 4)]
            base[count + 1] = d[Int(byte & 0x0f)]
            count += 2
        }
    }

    /// A JSON string literal of UTF-8 `bytes`: quotes, backslashes and control characters escaped.
    package func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
        append(UInt8(ascii: "\""))
        var start = 0
        for i in 0..<bytes.count {
            let byte = bytes[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if i > start { append(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) }
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            default:
                append("\\u00")
                let digits: StaticString = "0123456789abcdef"
                append(digits.utf8Start[Int(byte >> 4)])
                append(digits.utf8Start[Int(byte & 0x0f)])
            }
            start = i + 1
        }
        if start < bytes.count { append(UnsafeRawBufferPointer(rebasing: bytes[start...])) }
        append(UInt8(ascii: "\""))
    }

    package func appendJSONString(_ text: String) {
        var text = text
        text.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0)) }
    }
}

/// Buffers handed back after use, so a long stream of batches reuses a few grown buffers
/// instead of allocating (and faulting in) fresh ones each time.
// @unchecked: `available` is read and changed only under `lock`; a buffer in the pool has no other owner.
package final class ByteBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var available: [ByteBuffer] = []
    private let capacity: Int
    private let limit: Int

    package init(capacity: Int, keeping limit: Int = 8) {
        self.capacity = capacity
        self.limit = limit
    }

    package func take() -> ByteBuffer {
        lock.lock()
        defer { lock.unlock() }
        return available.popLast() ?? ByteBuffer(capacity: capacity)
    }

    package func give(_ buffer: ByteBuffer) {
        buffer.removeAll()
        lock.lock()
        if available.count < limit { available.append(buffer) }
        lock.unlock()
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `text`'s.
    @inline(__always)
    package func equals(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount else { return false }
        return count == 0 || memcmp(baseAddress!, text.utf8Start, count) == 0
    }
}
