import COpenSSL

/// scrypt (RFC 7914) for turning a passphrase into a root key.
public enum Scrypt {
    /// Cost parameters. `n` must be a power of two greater than 1.
    public struct Parameters: Sendable, Equatable, Codable {
        public var n: UInt64
        public var r: UInt64
        public var p: UInt64
        public init(n: UInt64, r: UInt64, p: UInt64) { self.n = n; self.r = r; self.p = p }
        /// N = 2^17, r = 8, p = 1 (128 MiB, a fraction of a second): OWASP's recommendation.
        public static let standard = Parameters(n: 1 << 17, r: 8, p: 1)
        /// Memory scrypt needs for these parameters, in bytes.
        public var memoryByteCount: UInt64 { 128 * r * (n + p + 2) }
    }

    /// Derives `outputByteCount` bytes from `passphrase` and `salt`.
    public static func deriveKey<P: ContiguousBytes, S: ContiguousBytes>(
        passphrase: P, salt: S, parameters: Parameters, outputByteCount: Int
    ) throws(CryptoError) -> SecureBytes {
        guard parameters.n > 1, parameters.n & (parameters.n - 1) == 0 else {
            throw .invalidParameters("scrypt N must be a power of two greater than 1")
        }
        guard parameters.r > 0, parameters.p > 0 else { throw .invalidParameters("scrypt r and p must be positive") }
        guard outputByteCount > 0 else { throw .invalidOutputLength(outputByteCount) }
        let maxmem = parameters.memoryByteCount + (1 << 20)
        return try SecureBytes(count: outputByteCount) { (out) throws(CryptoError) in
            let ok = passphrase.withUnsafeBytes { pw in
                salt.withUnsafeBytes { s in
                    withNonNullBase(pw) { pwp in
                        withNonNullBase(s) { sp in
                            pwp.withMemoryRebound(to: CChar.self, capacity: max(pw.count, 1)) { pwc in
                                EVP_PBE_scrypt(pwc, pw.count, sp, s.count,
                                               parameters.n, parameters.r, parameters.p, maxmem,
                                               out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count)
                            }
                        }
                    }
                }
            }
            guard ok == 1 else { throw .openSSLFailure("EVP_PBE_scrypt") }
        }
    }
}
