import CofferCrypto
import Foundation

/// MACs over access-control state kept in plain columns (the policy text, user rows), under a
/// key derived from the audit key: someone who can write the database but holds no key cannot
/// grant a role more, or give a user another role, without the vault noticing.
struct StateMAC {
    private let mac: HMACSHA256

    init(keyRing: KeyRing) throws(CryptoError) {
        mac = try HMACSHA256(key: HKDF.deriveKey(from: keyRing.auditKey, info: "coffer/state-mac/v1"))
    }

    func policy(_ yaml: String) throws(CryptoError) -> [UInt8] {
        try mac.authenticate(Array("policy\u{1F}".utf8) + Array(yaml.utf8))
    }

    /// One row of the policy history: its id and time are covered, so rows cannot be reordered.
    func policyVersion(id: Int64, appliedAt: Int64, yaml: String) throws(CryptoError) -> [UInt8] {
        try mac.authenticate(Array("policy-version\u{1F}\(id)\u{1F}\(appliedAt)\u{1F}".utf8) + Array(yaml.utf8))
    }

    /// An expiry is covered only when set, so rows written before expiry existed still verify.
    func user(id: Int64, name: String, role: String, tokenHash: [UInt8], revokedAt: Int64?, expiresAt: Int64?) throws(CryptoError) -> [UInt8] {
        let expiry = expiresAt.map { "\u{1F}expires\u{1F}\($0)" } ?? ""
        return try mac.authenticate(Array("user\u{1F}\(id)\u{1F}\(name)\u{1F}\(role)\u{1F}\(tokenHash.hexString)\u{1F}\(revokedAt.map(String.init) ?? "-")\(expiry)".utf8))
    }
}
