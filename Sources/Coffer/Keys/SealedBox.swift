import CofferCrypto

/// What a sealed value belongs to. Bound into the AAD, so a ciphertext moved to another
/// record, field or purpose fails to open.
public struct SealContext: Sendable, Equatable {
    /// The kind of thing sealed; part of the AAD.
    public enum Kind: UInt8, Sendable {
        case field = 1
        case dataKey = 2
        case order = 3
        case outcome = 4
        case keyring = 5
        case rootCheck = 6
    }
    public var kind: Kind
    /// The owning record (customer id, order id, or 0 for vault-wide values).
    public var recordID: Int64
    /// Field or key name.
    public var name: String

    public init(kind: Kind, recordID: Int64, name: String) {
        self.kind = kind
        self.recordID = recordID
        self.name = name
    }
}

/// The versioned, self-describing layout of every ciphertext the vault stores:
///
/// ```
/// format (1) | key version (4, big-endian) | nonce (12) | ciphertext | tag (16)
/// ```
///
/// The AAD is `"coffer" | format | kind | key version | record id (8) | name length (2) | name`:
/// the header is authenticated, so flipping any bit of a stored value — header included —
/// makes it fail to open.
public enum SealedBox {
    public static let format: UInt8 = 1
    public static let headerByteCount = 1 + 4 + AES256GCM.nonceByteCount
    public static let overhead = headerByteCount + AES256GCM.tagByteCount

    /// Seals `plaintext` with `cipher` (whose key has version `keyVersion`) for `context`.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, keyVersion: UInt32, context: SealContext,
        cipher: AES256GCM, nonces: NonceSource
    ) throws(CryptoError) -> [UInt8] {
        let total = overhead + plaintext.count
        var failure: CryptoError?
        // Every byte is written below (header, nonce, ciphertext, tag): no zero-fill needed.
        let out = [UInt8](unsafeUninitializedCapacity: total) { raw, initialized in
            let buffer = UnsafeMutableRawBufferPointer(raw)
            do throws(CryptoError) {
                buffer[0] = format
                storeBigEndian(keyVersion, into: buffer, at: 1)
                let nonce = UnsafeMutableRawBufferPointer(rebasing: buffer[5..<headerByteCount])
                try nonces.next(into: nonce)
                try withAAD(keyVersion: keyVersion, context: context) { (aad) throws(CryptoError) in
                    try cipher.seal(
                        plaintext, nonce: UnsafeRawBufferPointer(nonce), authenticating: aad,
                        ciphertext: UnsafeMutableRawBufferPointer(rebasing: buffer[headerByteCount..<(total - AES256GCM.tagByteCount)]),
                        tag: UnsafeMutableRawBufferPointer(rebasing: buffer[(total - AES256GCM.tagByteCount)...]))
                }
                initialized = total
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Seals a string's UTF-8 bytes.
    public static func seal(_ text: String, keyVersion: UInt32, context: SealContext,
                            cipher: AES256GCM, nonces: NonceSource) throws(CryptoError) -> [UInt8] {
        var text = text
        let result = text.withUTF8 { utf8 in
            Result { () throws(CryptoError) in
                try seal(UnsafeRawBufferPointer(utf8), keyVersion: keyVersion, context: context, cipher: cipher, nonces: nonces)
            }
        }
        return try result.get()
    }

    /// The key version a sealed value names, or nil if the value is not in a known format.
    public static func keyVersion<B: ContiguousBytes>(of sealed: B) -> UInt32? {
        sealed.withUnsafeBytes { b in
            guard b.count >= overhead, b[0] == format else { return nil }
            return loadBigEndian(b, at: 1)
        }
    }

    /// Opens a sealed value; throws `authenticationFailed` for anything malformed, truncated,
    /// tampered, misplaced or sealed under another key. Never returns partial plaintext.
    public static func open<B: ContiguousBytes>(
        _ sealed: B, context: SealContext, cipher: AES256GCM
    ) throws(CryptoError) -> SecureBytes {
        try sealed.withUnsafeBytes { (b) throws(CryptoError) in
            let count = try plaintextCount(of: b)
            return try SecureBytes(count: count) { (out) throws(CryptoError) in
                try decrypt(b, context: context, cipher: cipher, into: out)
            }
        }
    }

    /// Opens a sealed UTF-8 string, decrypting straight into the string's storage (the value
    /// is headed for a String anyway; this skips an intermediate buffer). On failure the storage
    /// is wiped before it is released.
    public static func openString<B: ContiguousBytes>(_ sealed: B, context: SealContext, cipher: AES256GCM) throws(CryptoError) -> String {
        try sealed.withUnsafeBytes { (b) throws(CryptoError) -> String in
            let count = try plaintextCount(of: b)
            var failure: CryptoError?
            let text = String(unsafeUninitializedCapacity: max(count, 1)) { out in
                let plaintext = UnsafeMutableRawBufferPointer(start: out.baseAddress, count: count)
                do throws(CryptoError) {
                    try decrypt(b, context: context, cipher: cipher, into: plaintext)
                    return count
                } catch {
                    secureWipe(plaintext)
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            return text
        }
    }

    /// Length of the plaintext inside a sealed value, after checking its format and size.
    private static func plaintextCount(of b: UnsafeRawBufferPointer) throws(CryptoError) -> Int {
        guard b.count >= overhead, b[0] == format else { throw .authenticationFailed }
        return b.count - overhead
    }

    /// Decrypts a checked sealed value into `plaintext` (exactly `plaintextCount` bytes).
    private static func decrypt(_ b: UnsafeRawBufferPointer, context: SealContext, cipher: AES256GCM,
                                into plaintext: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        try withAAD(keyVersion: loadBigEndian(b, at: 1), context: context) { (aad) throws(CryptoError) in
            try cipher.open(
                UnsafeRawBufferPointer(rebasing: b[headerByteCount..<(b.count - AES256GCM.tagByteCount)]),
                nonce: UnsafeRawBufferPointer(rebasing: b[5..<headerByteCount]),
                tag: UnsafeRawBufferPointer(rebasing: b[(b.count - AES256GCM.tagByteCount)...]),
                authenticating: aad, plaintext: plaintext)
        }
    }

    private static func withAAD<R>(
        keyVersion: UInt32, context: SealContext, _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> R
    ) throws(CryptoError) -> R {
        // "coffer" | format | kind | version(4) | record(8) | nameLen(2) | name — built on the stack.
        let nameCount = min(context.name.utf8.count, Int(UInt16.max))
        let count = 22 + nameCount
        let result = withUnsafeTemporaryAllocation(byteCount: count, alignment: 8) { aad in
            let magic: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x63, 0x6f, 0x66, 0x66, 0x65, 0x72)
            withUnsafeBytes(of: magic) { aad.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 6) }
            aad[6] = format
            aad[7] = context.kind.rawValue
            storeBigEndian(keyVersion, into: aad, at: 8)
            let record = UInt64(bitPattern: context.recordID)
            storeBigEndian(UInt32(truncatingIfNeeded: record >> 32), into: aad, at: 12)
            storeBigEndian(UInt32(truncatingIfNeeded: record), into: aad, at: 16)
            aad[20] = UInt8(nameCount >> 8)
            aad[21] = UInt8(nameCount & 0xff)
            var name = context.name
            name.withUTF8 { utf8 in
                if nameCount > 0 { aad.baseAddress!.advanced(by: 22).copyMemory(from: utf8.baseAddress!, byteCount: nameCount) }
            }
            return Result { () throws(CryptoError) in try body(UnsafeRawBufferPointer(aad)) }
        }
        return try result.get()
    }
}

@inline(__always)
func storeBigEndian(_ value: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
    buffer[offset] = UInt8(truncatingIfNeeded: value >> 24)
    buffer[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
    buffer[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
    buffer[offset + 3] = UInt8(truncatingIfNeeded: value)
}

@inline(__always)
func loadBigEndian(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
}
