import COpenSSL

/// SHA-256 digests (EVP_Digest) for fingerprints and token hashes.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<M: ContiguousBytes>(_ message: M) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { m in
            withNonNullBase(m) { mp in
                out.withUnsafeMutableBufferPointer { o in
                    EVP_Digest(mp, m.count, o.baseAddress, &length, EVP_sha256(), nil)
                }
            }
        }
        guard ok == 1, length == UInt32(byteCount) else { throw .openSSLFailure("EVP_Digest(SHA256)") }
        return out
    }

    /// An incremental SHA-256 (EVP_DigestUpdate), for files too large to hold in memory:
    /// feed it the bytes as they are written, then take the digest once.
    /// Not thread-safe: one per stream.
    public final class Hasher {
        private let context: OpaquePointer
        private var finished = false

        public init() throws(CryptoError) {
            guard let ctx = EVP_MD_CTX_new() else { throw .openSSLFailure("EVP_MD_CTX_new") }
            context = ctx
            guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { throw .openSSLFailure("EVP_DigestInit_ex(SHA256)") }
        }

        deinit { EVP_MD_CTX_free(context) }

        /// Adds `bytes` to the message.
        public func update<M: ContiguousBytes>(_ bytes: M) throws(CryptoError) {
            precondition(!finished, "SHA256.Hasher used after finalize()")
            let ok = bytes.withUnsafeBytes { b in b.count == 0 ? 1 : EVP_DigestUpdate(context, b.baseAddress, b.count) }
            guard ok == 1 else { throw .openSSLFailure("EVP_DigestUpdate(SHA256)") }
        }

        /// The digest of everything added; the hasher cannot be used afterwards.
        public func finalize() throws(CryptoError) -> [UInt8] {
            precondition(!finished, "SHA256.Hasher finalized twice")
            finished = true
            var out = [UInt8](repeating: 0, count: byteCount)
            var length: UInt32 = 0
            guard out.withUnsafeMutableBufferPointer({ EVP_DigestFinal_ex(context, $0.baseAddress, &length) }) == 1,
                  length == UInt32(byteCount) else { throw .openSSLFailure("EVP_DigestFinal_ex(SHA256)") }
            return out
        }
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal. Never use it on secret bytes.
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses lowercase or uppercase hexadecimal; nil on any other character or odd length.
    public init?(hexString: String) {
        let chars = Array(hexString.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}
