import COpenSSL

// nonisolated(unsafe): set once by the lazy global initializer, then only read; OpenSSL 3 fetched algorithms are safe to share across threads.
nonisolated(unsafe) private let hmacAlgorithm: OpaquePointer? = EVP_MAC_fetch(nil, "HMAC", nil)

/// HMAC-SHA256 over OpenSSL EVP_MAC with the key set once and reused for every message.
///
/// Used for blind indexes, pseudonyms and the audit chain. Not thread-safe: one per thread.
public final class HMACSHA256 {
    public static let byteCount = 32
    /// Shortest tag `isValidAuthenticationCode` accepts (128 bits).
    public static let minimumTagByteCount = 16

    private let context: OpaquePointer

    /// Keys the MAC. Any key length is valid HMAC; the vault's own keys are 32 bytes.
    public init<K: ContiguousBytes>(key: K) throws(CryptoError) {
        guard let mac = hmacAlgorithm, let ctx = EVP_MAC_CTX_new(mac) else { throw .openSSLFailure("EVP_MAC_CTX_new") }
        context = ctx
        let ok = key.withUnsafeBytes { k -> Int32 in
            // A zero-length key still needs a valid pointer.
            var empty: UInt8 = 0
            if k.count == 0 { return coffer_hmac_sha256_init(ctx, &empty, 0) }
            return coffer_hmac_sha256_init(ctx, k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
        }
        // All properties are set, so throwing here still runs deinit and frees the context.
        guard ok == 1 else { throw .openSSLFailure("EVP_MAC_init") }
    }

    deinit { EVP_MAC_CTX_free(context) } // cleanses the key

    /// True right after init/keying: the next message needs no re-initialisation.
    private var primed = true

    /// Writes the 32-byte MAC of `message` into `out`.
    public func authenticate(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(out.count == Self.byteCount, "HMAC-SHA256 output is 32 bytes")
        // Re-initialising with a NULL key restarts the MAC with the key already set.
        if !primed {
            guard EVP_MAC_init(context, nil, 0, nil) == 1 else { throw .openSSLFailure("EVP_MAC_init") }
        }
        primed = false
        if message.count > 0 {
            guard EVP_MAC_update(context, message.baseAddress!.assumingMemoryBound(to: UInt8.self), message.count) == 1
            else { throw .openSSLFailure("EVP_MAC_update") }
        }
        var written = 0
        guard EVP_MAC_final(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, Self.byteCount) == 1,
              written == Self.byteCount
        else { throw .openSSLFailure("EVP_MAC_final") }
    }

    /// The 32-byte MAC of `message`.
    public func authenticate<M: ContiguousBytes>(_ message: M) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        try message.withUnsafeBytes { (m) throws(CryptoError) in
            try out.withMutableBytes { (o) throws(CryptoError) in try authenticate(m, into: o) }
        }
        return out
    }

    /// Checks `tag` against the MAC of `message` in constant time. `tag` may be the MAC
    /// truncated to its leading bytes, but no shorter than 16 bytes.
    public func isValidAuthenticationCode<T: ContiguousBytes, M: ContiguousBytes>(_ tag: T, for message: M) throws(CryptoError) -> Bool {
        let tagCount = tag.withUnsafeBytes { $0.count }
        guard tagCount >= Self.minimumTagByteCount, tagCount <= Self.byteCount else {
            throw .invalidTagLength(actual: tagCount)
        }
        let full = try authenticate(message)
        return constantTimeEquals(full[0..<tagCount], tag)
    }

    /// One-shot MAC.
    public static func authenticate<K: ContiguousBytes, M: ContiguousBytes>(_ message: M, key: K) throws(CryptoError) -> [UInt8] {
        try HMACSHA256(key: key).authenticate(message)
    }
}
