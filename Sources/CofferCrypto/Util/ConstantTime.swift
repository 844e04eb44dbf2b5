import COpenSSL

/// Compares two byte sequences in time independent of their contents (CRYPTO_memcmp).
/// Lengths are not secret: sequences of different lengths compare unequal at once.
public func constantTimeEquals<A: ContiguousBytes, B: ContiguousBytes>(_ a: A, _ b: B) -> Bool {
    a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in
            guard pa.count == pb.count else { return false }
            if pa.count == 0 { return true }
            return CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0
        }
    }
}

/// Overwrites memory in a way the optimizer may not remove (OPENSSL_cleanse).
public func secureWipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    OPENSSL_cleanse(base, buffer.count)
}

/// Wipes the contents of a byte array in place before it is released.
public func secureWipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { secureWipe($0) }
}
