import COpenSSL

// nonisolated(unsafe): set once by the lazy global initializer, then only read; OpenSSL 3 fetched algorithms are safe to share across threads.
nonisolated(unsafe) private let hkdfAlgorithm: OpaquePointer? = EVP_KDF_fetch(nil, "HKDF", nil)

/// HKDF-SHA256 (RFC 5869) through OpenSSL EVP_KDF: derives independent subkeys from one secret.
public enum HKDF {
    /// Largest output RFC 5869 allows for SHA-256: 255 × 32 bytes.
    public static let maximumOutputByteCount = 255 * 32

    /// Extract-then-expand. The output is secret and returned in a wiping buffer.
    public static func deriveKey<I: ContiguousBytes, S: ContiguousBytes, N: ContiguousBytes>(
        inputKeyMaterial ikm: I, salt: S, info: N, outputByteCount: Int
    ) throws(CryptoError) -> SecureBytes {
        guard outputByteCount > 0, outputByteCount <= maximumOutputByteCount else {
            throw .invalidOutputLength(outputByteCount)
        }
        guard let kdf = hkdfAlgorithm else { throw .openSSLFailure("EVP_KDF_fetch(HKDF)") }
        return try SecureBytes(count: outputByteCount) { (out) throws(CryptoError) in
            let ok = ikm.withUnsafeBytes { i in
                salt.withUnsafeBytes { s in
                    info.withUnsafeBytes { n in
                        withNonNullBase(i) { ip in
                            withNonNullBase(s) { sp in
                                withNonNullBase(n) { np in
                                    coffer_hkdf_sha256(kdf, ip, i.count, sp, s.count, np, n.count,
                                                       out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count)
                                }
                            }
                        }
                    }
                }
            }
            guard ok == 1 else { throw .openSSLFailure("EVP_KDF_derive(HKDF)") }
        }
    }

    /// Derives a 256-bit key for one purpose (`info`) from `key`.
    public static func deriveKey(from key: SymmetricKey, info: String) throws(CryptoError) -> SymmetricKey {
        let out = try deriveKey(inputKeyMaterial: key, salt: [UInt8](), info: Array(info.utf8), outputByteCount: SymmetricKey.byteCount)
        return try SymmetricKey(out)
    }
}

/// OpenSSL wants a non-null pointer even for empty inputs.
@inline(__always)
func withNonNullBase<R>(_ buffer: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) -> R) -> R {
    if let base = buffer.baseAddress, buffer.count > 0 {
        return body(base.assumingMemoryBound(to: UInt8.self))
    }
    var zero: UInt8 = 0
    return withUnsafePointer(to: &zero) { body($0) }
}
