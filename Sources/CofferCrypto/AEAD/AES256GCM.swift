import COpenSSL

/// Fetched once: implicit fetches on every init cost more than the sealing itself.
// nonisolated(unsafe): set once by the lazy global initializer, then only read; OpenSSL 3 fetched algorithms are safe to share across threads.
nonisolated(unsafe) private let aes256GCMCipher: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)

/// AES-256-GCM over OpenSSL EVP with the key scheduled once and a fresh nonce per call.
///
/// The vault's parameters are pinned: 32-byte key, 12-byte nonce, 16-byte tag. A nonce or tag
/// of any other length is rejected before OpenSSL sees it. A failed tag check wipes whatever
/// output was produced, so no unauthenticated plaintext ever escapes.
///
/// Not thread-safe (it owns up to two `EVP_CIPHER_CTX`): create one per thread; they are cheap.
public final class AES256GCM {
    public static let nonceByteCount = 12
    public static let tagByteCount = 16
    public static let keyByteCount = SymmetricKey.byteCount

    /// The key, kept until both directions are scheduled (each context is created on first use:
    /// an export only opens, an import of new customers only seals).
    private let key: SymmetricKey
    private var encryptContextStorage: OpaquePointer?
    private var decryptContextStorage: OpaquePointer?

    /// Checks the key; the key schedule is built on first use.
    public init(key: SymmetricKey) throws(CryptoError) {
        guard aes256GCMCipher != nil else { throw .openSSLFailure("EVP_CIPHER_fetch") }
        self.key = key
    }

    deinit {
        // EVP_CIPHER_CTX_free cleanses the key schedule.
        if let encryptContextStorage { EVP_CIPHER_CTX_free(encryptContextStorage) }
        if let decryptContextStorage { EVP_CIPHER_CTX_free(decryptContextStorage) }
    }

    private func makeContext(encrypt: Bool) throws(CryptoError) -> OpaquePointer {
        guard let cipher = aes256GCMCipher, let ctx = EVP_CIPHER_CTX_new() else { throw .openSSLFailure("EVP_CIPHER_CTX_new") }
        let ok = key.withUnsafeBytes { k -> Bool in
            let kp = k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return encrypt ? EVP_EncryptInit_ex(ctx, cipher, nil, kp, nil) == 1 : EVP_DecryptInit_ex(ctx, cipher, nil, kp, nil) == 1
        }
        guard ok else {
            EVP_CIPHER_CTX_free(ctx)
            throw .openSSLFailure("EVP_CipherInit_ex")
        }
        return ctx
    }

    private var encryptContext: OpaquePointer {
        get throws(CryptoError) {
            if let encryptContextStorage { return encryptContextStorage }
            let ctx = try makeContext(encrypt: true)
            encryptContextStorage = ctx
            return ctx
        }
    }

    private var decryptContext: OpaquePointer {
        get throws(CryptoError) {
            if let decryptContextStorage { return decryptContextStorage }
            let ctx = try makeContext(encrypt: false)
            decryptContextStorage = ctx
            return ctx
        }
    }

    /// Encrypts `plaintext` into `ciphertext` (same length) and writes the 16-byte tag.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        authenticating aad: UnsafeRawBufferPointer,
        ciphertext: UnsafeMutableRawBufferPointer,
        tag: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        guard nonce.count == Self.nonceByteCount else { throw .invalidNonceLength(actual: nonce.count) }
        guard tag.count == Self.tagByteCount else { throw .invalidTagLength(actual: tag.count) }
        precondition(ciphertext.count == plaintext.count, "ciphertext buffer must match the plaintext length")
        let ctx = try encryptContext
        var outLen: Int32 = 0
        guard EVP_EncryptInit_ex(ctx, nil, nil, nil, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
        else { throw .openSSLFailure("EVP_EncryptInit_ex") }
        if aad.count > 0 {
            guard EVP_EncryptUpdate(ctx, nil, &outLen, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1
            else { throw .openSSLFailure("EVP_EncryptUpdate(aad)") }
        }
        var produced = 0
        if plaintext.count > 0 {
            guard EVP_EncryptUpdate(
                ctx, ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLen,
                plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)) == 1
            else { throw .openSSLFailure("EVP_EncryptUpdate") }
            produced = Int(outLen)
        }
        var scratch: UInt8 = 0
        let finalOK = produced < ciphertext.count
            ? EVP_EncryptFinal_ex(ctx, ciphertext.baseAddress!.advanced(by: produced).assumingMemoryBound(to: UInt8.self), &outLen)
            : EVP_EncryptFinal_ex(ctx, &scratch, &outLen)
        guard finalOK == 1 else { throw .openSSLFailure("EVP_EncryptFinal_ex") }
        guard coffer_gcm_get_tag(ctx, tag.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(Self.tagByteCount)) == 1
        else { throw .openSSLFailure("EVP_CTRL_GCM_GET_TAG") }
    }

    /// Decrypts `ciphertext` into `plaintext` (same length) if and only if `tag` verifies.
    /// On failure `plaintext` is wiped and `CryptoError.authenticationFailed` is thrown.
    public func open(
        _ ciphertext: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer,
        authenticating aad: UnsafeRawBufferPointer,
        plaintext: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        guard nonce.count == Self.nonceByteCount else { throw .invalidNonceLength(actual: nonce.count) }
        guard tag.count == Self.tagByteCount else { throw .invalidTagLength(actual: tag.count) }
        precondition(plaintext.count == ciphertext.count, "plaintext buffer must match the ciphertext length")
        let ctx = try decryptContext
        var outLen: Int32 = 0
        guard EVP_DecryptInit_ex(ctx, nil, nil, nil, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
        else { throw .openSSLFailure("EVP_DecryptInit_ex") }
        if aad.count > 0 {
            guard EVP_DecryptUpdate(ctx, nil, &outLen, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1
            else { throw .openSSLFailure("EVP_DecryptUpdate(aad)") }
        }
        var produced = 0
        if ciphertext.count > 0 {
            guard EVP_DecryptUpdate(
                ctx, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), &outLen,
                ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ciphertext.count)) == 1
            else {
                secureWipe(plaintext)
                throw .openSSLFailure("EVP_DecryptUpdate")
            }
            produced = Int(outLen)
        }
        // The tag buffer is only read by OpenSSL; the C signature is not const.
        var tagCopy = (UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &tagCopy) { $0.copyMemory(from: tag) }
        let setOK = withUnsafeMutableBytes(of: &tagCopy) {
            coffer_gcm_set_tag(ctx, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(Self.tagByteCount))
        }
        guard setOK == 1 else {
            secureWipe(plaintext)
            throw .openSSLFailure("EVP_CTRL_GCM_SET_TAG")
        }
        var scratch: UInt8 = 0
        let finalOK = produced < plaintext.count
            ? EVP_DecryptFinal_ex(ctx, plaintext.baseAddress!.advanced(by: produced).assumingMemoryBound(to: UInt8.self), &outLen)
            : EVP_DecryptFinal_ex(ctx, &scratch, &outLen)
        guard finalOK == 1 else {
            secureWipe(plaintext)
            ERR_clear_error()
            throw .authenticationFailed
        }
    }
}

extension AES256GCM {
    /// Convenience: returns ciphertext and tag as arrays.
    public func seal<P: ContiguousBytes, N: ContiguousBytes, A: ContiguousBytes>(
        _ plaintext: P, nonce: N, authenticating aad: A
    ) throws(CryptoError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        let count = plaintext.withUnsafeBytes { $0.count }
        var ciphertext = [UInt8](repeating: 0, count: count)
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        try plaintext.withUnsafeBytes { (p) throws(CryptoError) in
            try nonce.withUnsafeBytes { (n) throws(CryptoError) in
                try aad.withUnsafeBytes { (a) throws(CryptoError) in
                    try ciphertext.withMutableBytes { (c) throws(CryptoError) in
                        try tag.withMutableBytes { (t) throws(CryptoError) in
                            try seal(p, nonce: n, authenticating: a, ciphertext: c, tag: t)
                        }
                    }
                }
            }
        }
        return (ciphertext, tag)
    }

    /// Convenience: returns the plaintext in a wiping buffer, or throws without releasing any of it.
    public func open<C: ContiguousBytes, N: ContiguousBytes, T: ContiguousBytes, A: ContiguousBytes>(
        _ ciphertext: C, nonce: N, tag: T, authenticating aad: A
    ) throws(CryptoError) -> SecureBytes {
        let count = ciphertext.withUnsafeBytes { $0.count }
        return try SecureBytes(count: count) { (out) throws(CryptoError) in
            try ciphertext.withUnsafeBytes { (c) throws(CryptoError) in
                try nonce.withUnsafeBytes { (n) throws(CryptoError) in
                    try tag.withUnsafeBytes { (t) throws(CryptoError) in
                        try aad.withUnsafeBytes { (a) throws(CryptoError) in
                            try open(c, nonce: n, tag: t, authenticating: a, plaintext: out)
                        }
                    }
                }
            }
        }
    }
}
