import COpenSSL

/// The OpenSSL CSPRNG (`RAND_bytes`).
public enum SecureRandom {
    /// Fills `buffer` with random bytes or throws; never returns partially filled output.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, Int(Int32.max))
            guard RAND_bytes(base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1 else {
                secureWipe(buffer)
                throw .randomFailure
            }
            offset += chunk
        }
    }

    /// `count` random bytes. For keys use `SecureBytes(randomCount:)` instead.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withMutableBytes { (buffer) throws(CryptoError) in try fill(buffer) }
        return out
    }

    /// A uniformly random 64-bit value.
    public static func uint64() throws(CryptoError) -> UInt64 {
        var value: UInt64 = 0
        try withUnsafeMutableBytes(of: &value) { (buffer) throws(CryptoError) in try fill(buffer) }
        return value
    }
}

/// Hands out 96-bit GCM nonces drawn from the CSPRNG in batches.
///
/// One `RAND_bytes` call per nonce costs about four times the sealing itself; drawing
/// 4 KiB at a time amortizes it. Not thread-safe: one per sealing thread.
public final class NonceSource {
    public static let nonceByteCount = 12
    private var buffer: [UInt8]
    private var offset: Int
    private let batch: Int

    /// - Parameter batch: nonces drawn per `RAND_bytes` call.
    public init(batch: Int = 340) {
        self.batch = max(batch, 1)
        buffer = [UInt8](repeating: 0, count: self.batch * Self.nonceByteCount)
        offset = buffer.count
    }

    /// Copies the next fresh nonce into `out` (exactly 12 bytes).
    /// Each nonce is handed out once: the offset only moves forward until the next refill.
    public func next(into out: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(out.count == Self.nonceByteCount, "nonce buffer must be 12 bytes")
        if offset == buffer.count {
            try buffer.withMutableBytes { (b) throws(CryptoError) in try SecureRandom.fill(b) }
            offset = 0
        }
        buffer.withUnsafeBytes { b in
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[offset..<offset + Self.nonceByteCount]))
        }
        offset += Self.nonceByteCount
    }

    /// The next fresh nonce as an array.
    public func next() throws(CryptoError) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceByteCount)
        try nonce.withMutableBytes { (b) throws(CryptoError) in try next(into: b) }
        return nonce
    }
}
