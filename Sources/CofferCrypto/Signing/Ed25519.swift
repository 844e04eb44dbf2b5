import COpenSSL

/// Ed25519 signatures (RFC 8032, pure mode) over OpenSSL EVP_PKEY.
///
/// The audit log signs its checkpoints with a `PrivateKey`; a reviewer checks review packages
/// offline with nothing but the `PublicKey` (32 raw bytes or PEM). Signing is deterministic:
/// one key and one message always give the same 64 bytes.
public enum Ed25519 {
    public static let publicKeyByteCount = 32
    public static let signatureByteCount = 64
    public static let seedByteCount = 32

    /// A signing key: the 32-byte RFC 8032 seed in a wiping buffer.
    ///
    /// The seed enters OpenSSL only for the duration of a call (an `EVP_PKEY` that OpenSSL
    /// cleanses when it is freed), so the `SecureBytes` is the only long-lived copy. Never prints.
    public final class PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        private let seedBytes: SecureBytes
        private let derivedPublicKey: PublicKey

        /// A new key from the OpenSSL CSPRNG.
        public init() throws(CryptoError) {
            let seed = try SecureBytes(randomCount: Ed25519.seedByteCount)
            seedBytes = seed
            derivedPublicKey = try Ed25519.publicKey(forSeed: seed)
        }

        /// Copies `seed`, which must be exactly 32 bytes long. Wipe your own copy afterwards.
        public init<B: ContiguousBytes>(seed: B) throws(CryptoError) {
            let count = seed.withUnsafeBytes { $0.count }
            guard count == Ed25519.seedByteCount else {
                throw .invalidKeyLength(expected: Ed25519.seedByteCount, actual: count)
            }
            let copy = SecureBytes(copying: seed)
            seedBytes = copy
            derivedPublicKey = try Ed25519.publicKey(forSeed: copy)
        }

        /// The secret seed, for sealing it into the keyring.
        public var seed: SecureBytes { seedBytes }

        /// The matching public key (derived once, at init).
        public var publicKey: PublicKey { derivedPublicKey }

        /// The 64-byte signature of `message` (EVP_DigestSign with no digest: pure Ed25519).
        public func signature<M: ContiguousBytes>(for message: M) throws(CryptoError) -> [UInt8] {
            try Ed25519.withSigningKey(seedBytes) { (pkey) throws(CryptoError) in
                guard let ctx = EVP_MD_CTX_new() else { throw .openSSLFailure("EVP_MD_CTX_new") }
                defer { EVP_MD_CTX_free(ctx) }
                guard EVP_DigestSignInit(ctx, nil, nil, nil, pkey) == 1 else {
                    throw .openSSLFailure("EVP_DigestSignInit(ED25519)")
                }
                var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
                var length = signature.count
                let ok = message.withUnsafeBytes { m in
                    withNonNullBase(m) { mp in
                        signature.withUnsafeMutableBufferPointer { s in EVP_DigestSign(ctx, s.baseAddress, &length, mp, m.count) }
                    }
                }
                guard ok == 1, length == Ed25519.signatureByteCount else { throw .openSSLFailure("EVP_DigestSign(ED25519)") }
                return signature
            }
        }

        public var description: String { "Ed25519.PrivateKey(redacted)" }
        public var debugDescription: String { description }
    }

    /// A verifying key: 32 public bytes. Safe to print, store and hand to a reviewer.
    public struct PublicKey: Sendable, Equatable {
        private let bytes: [UInt8]

        /// Wraps 32 raw public-key bytes (RFC 8032 encoding).
        ///
        /// OpenSSL checks only the length here, not that the bytes decode to a curve point;
        /// a key that does not decode verifies no signature.
        public init<B: ContiguousBytes>(rawRepresentation: B) throws(CryptoError) {
            let raw = rawRepresentation.withUnsafeBytes { [UInt8]($0) }
            guard raw.count == Ed25519.publicKeyByteCount else {
                throw .invalidKeyLength(expected: Ed25519.publicKeyByteCount, actual: raw.count)
            }
            // Anything OpenSSL refuses to import is refused here, not at the first verification.
            try Ed25519.withVerifyingKey(raw) { (_) throws(CryptoError) in }
            bytes = raw
        }

        fileprivate init(validated raw: [UInt8]) { bytes = raw }

        /// The 32 raw public-key bytes.
        public var rawRepresentation: [UInt8] { bytes }

        /// True only if `signature` is a valid Ed25519 signature of `message` under this key.
        /// Any length other than 64 bytes, or any OpenSSL failure, is simply false.
        public func isValidSignature<S: ContiguousBytes, M: ContiguousBytes>(_ signature: S, for message: M) -> Bool {
            signature.withUnsafeBytes { s -> Bool in
                guard s.count == Ed25519.signatureByteCount, let sp = s.baseAddress else { return false }
                let result = try? Ed25519.withVerifyingKey(bytes) { (pkey) throws(CryptoError) -> Int32 in
                    guard let ctx = EVP_MD_CTX_new() else { throw .openSSLFailure("EVP_MD_CTX_new") }
                    defer { EVP_MD_CTX_free(ctx) }
                    guard EVP_DigestVerifyInit(ctx, nil, nil, nil, pkey) == 1 else {
                        throw .openSSLFailure("EVP_DigestVerifyInit(ED25519)")
                    }
                    return message.withUnsafeBytes { m in
                        withNonNullBase(m) { mp in
                            EVP_DigestVerify(ctx, sp.assumingMemoryBound(to: UInt8.self), s.count, mp, m.count)
                        }
                    }
                }
                guard result == 1 else {
                    // An expected outcome, not an error: leave nothing in the thread's error queue.
                    ERR_clear_error()
                    return false
                }
                return true
            }
        }

        /// SubjectPublicKeyInfo PEM (RFC 8410, "-----BEGIN PUBLIC KEY-----"), readable by
        /// `openssl pkey -pubin` and by `init(pemRepresentation:)`.
        public var pemRepresentation: String {
            // The key was imported once at init; failing now means OpenSSL is out of memory.
            guard let pem = try? Ed25519.withVerifyingKey(bytes, { (pkey) throws(CryptoError) -> [UInt8] in
                guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSLFailure("BIO_new") }
                defer { BIO_free(bio) }
                guard PEM_write_bio_PUBKEY(bio, pkey) == 1 else { throw .openSSLFailure("PEM_write_bio_PUBKEY") }
                let pending = Int(BIO_ctrl_pending(bio))
                var out = [UInt8](repeating: 0, count: pending)
                let read = out.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
                guard pending > 0, Int(read) == pending else { throw .openSSLFailure("BIO_read") }
                return out
            }) else { preconditionFailure("OpenSSL could not encode an Ed25519 public key as PEM") }
            return String(decoding: pem, as: UTF8.self)
        }

        /// Reads the first PEM block of `pemRepresentation`, which must be an unencrypted
        /// "PUBLIC KEY" (SubjectPublicKeyInfo) holding an Ed25519 key and nothing else.
        ///
        /// Strict on purpose: a private key, another key type, extra DER bytes or PEM
        /// encryption headers are refused rather than silently converted.
        public init(pemRepresentation: String) throws(CryptoError) {
            let notEd25519PEM = CryptoError.invalidParameters("not an Ed25519 SubjectPublicKeyInfo PEM")
            let text = Array(pemRepresentation.utf8)
            guard !text.isEmpty, text.count <= Int(Int32.max) else { throw notEd25519PEM }
            let raw = text.withUnsafeBytes { t -> [UInt8]? in
                guard let bio = BIO_new_mem_buf(t.baseAddress, Int32(t.count)) else { return nil }
                defer { BIO_free(bio) }
                // PEM_read_bio only splits label, headers and base64; it never asks for a passphrase.
                var name: UnsafeMutablePointer<CChar>?
                var header: UnsafeMutablePointer<CChar>?
                var data: UnsafeMutablePointer<UInt8>?
                var length = 0
                guard PEM_read_bio(bio, &name, &header, &data, &length) == 1 else { return nil }
                defer {
                    CRYPTO_free(name, #fileID, #line)
                    CRYPTO_free(header, #fileID, #line)
                    CRYPTO_free(data, #fileID, #line)
                }
                guard let name, String(cString: name) == "PUBLIC KEY",
                      let header, header.pointee == 0,
                      let data, length > 0
                else { return nil }
                var cursor: UnsafePointer<UInt8>? = UnsafePointer(data)
                guard let pkey = d2i_PUBKEY(nil, &cursor, length) else { return nil }
                defer { EVP_PKEY_free(pkey) }
                guard cursor == UnsafePointer(data) + length, EVP_PKEY_is_a(pkey, "ED25519") == 1 else { return nil }
                var raw = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
                var rawLength = raw.count
                guard raw.withUnsafeMutableBufferPointer({ EVP_PKEY_get_raw_public_key(pkey, $0.baseAddress, &rawLength) }) == 1,
                      rawLength == Ed25519.publicKeyByteCount
                else { return nil }
                return raw
            }
            guard let raw else {
                ERR_clear_error()
                throw notEd25519PEM
            }
            try self.init(rawRepresentation: raw)
        }
    }
}

extension Ed25519 {
    /// Imports `seed` into a fresh `EVP_PKEY` for the duration of `body`, then frees it
    /// (OpenSSL cleanses the private key on free).
    fileprivate static func withSigningKey<R>(
        _ seed: SecureBytes, _ body: (OpaquePointer) throws(CryptoError) -> R
    ) throws(CryptoError) -> R {
        let imported = seed.withUnsafeBytes { s in
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, s.baseAddress!.assumingMemoryBound(to: UInt8.self), s.count)
        }
        guard let pkey = imported else { throw .openSSLFailure("EVP_PKEY_new_raw_private_key(ED25519)") }
        defer { EVP_PKEY_free(pkey) }
        return try body(pkey)
    }

    /// Imports 32 public bytes into a fresh `EVP_PKEY` for the duration of `body`, then frees it.
    fileprivate static func withVerifyingKey<R>(
        _ raw: [UInt8], _ body: (OpaquePointer) throws(CryptoError) -> R
    ) throws(CryptoError) -> R {
        let imported = raw.withUnsafeBufferPointer { r in
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, r.baseAddress, r.count)
        }
        guard let pkey = imported else { throw .openSSLFailure("EVP_PKEY_new_raw_public_key(ED25519)") }
        defer { EVP_PKEY_free(pkey) }
        return try body(pkey)
    }

    /// The RFC 8032 public key of `seed`, as OpenSSL derives it.
    fileprivate static func publicKey(forSeed seed: SecureBytes) throws(CryptoError) -> PublicKey {
        try withSigningKey(seed) { (pkey) throws(CryptoError) in
            var raw = [UInt8](repeating: 0, count: publicKeyByteCount)
            var length = raw.count
            let ok = raw.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(pkey, $0.baseAddress, &length) }
            guard ok == 1, length == publicKeyByteCount else { throw .openSSLFailure("EVP_PKEY_get_raw_public_key") }
            return PublicKey(validated: raw)
        }
    }
}
