import CofferCrypto

/// Keyed pseudonyms for the `pseudonym` view: `ps_` + 26 lowercase base32 characters
/// (RFC 4648 alphabet, no padding) encoding the first 128 bits of
/// HMAC-SHA256(domain key, field + U+001F + value).
///
/// Each domain has its own HMAC key, HKDF-SHA256(pseudonym key, info `coffer/pseudonym/v1/<domain>`),
/// so tokens are stable within a domain and unlinkable across domains. The field name is part of
/// the message, so equal values in two fields get different tokens. Base32 rather than hex keeps
/// tokens short (26 characters for 128 bits instead of 32).
///
/// Holds one HMAC context per domain: one instance per thread.
final class Pseudonymizer {
    static let prefix = "ps_"
    static let tokenByteCount = 16

    private let key: SymmetricKey
    private var macs: [String: HMACSHA256] = [:]

    init(key: SymmetricKey) throws(CryptoError) {
        self.key = key
    }

    /// The token of `value` (in its canonical form) for `field` in `domain`.
    func token(domain: String, field: String, value: String) throws(CryptoError) -> String {
        let mac: HMACSHA256
        if let existing = macs[domain] {
            mac = existing
        } else {
            mac = try HMACSHA256(key: HKDF.deriveKey(from: key, info: "coffer/pseudonym/v1/\(domain)"))
            macs[domain] = mac
        }
        var message: [UInt8] = []
        message.reserveCapacity(field.utf8.count + 1 + value.utf8.count)
        message += field.utf8
        message.append(0x1f)
        message += value.utf8
        let digest = try mac.authenticate(message)
        return Self.prefix + Self.base32(digest[0..<Self.tokenByteCount])
    }

    /// Lowercase RFC 4648 base32 without padding.
    static func base32(_ bytes: ArraySlice<UInt8>) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 0x1f)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 0x1f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
