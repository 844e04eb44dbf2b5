import CofferCrypto
import Foundation

/// Per-thread crypto state: scheduled KEKs, a nonce batch and keyed index MACs.
///
/// OpenSSL contexts are not thread-safe; each worker owns its own and is used by one thread
/// at a time. Creating them once per operation (not per value) is what makes sealing fast.
final class CryptoWorker {
    let keyRing: KeyRing
    let nonces = NonceSource()
    private var kekCiphers: [UInt32: AES256GCM] = [:]
    private var indexMACs: [String: HMACSHA256] = [:]
    private var cachedPseudonymizer: Pseudonymizer?
    /// Bytes of a blind-index digest kept (HMAC-SHA256 truncated to 128 bits).
    static let indexDigestByteCount = 16

    init(keyRing: KeyRing) { self.keyRing = keyRing }

    func kekCipher(_ version: UInt32) throws(VaultError) -> AES256GCM {
        if let cipher = kekCiphers[version] { return cipher }
        let key = try keyRing.kek(version)
        do {
            let cipher = try AES256GCM(key: key)
            kekCiphers[version] = cipher
            return cipher
        } catch {
            throw .crypto(error)
        }
    }

    /// Keyed hash of a value already in its blind-index form, for `field` (or a named domain).
    func indexDigest(field: String, value: String) throws(VaultError) -> [UInt8] {
        let mac: HMACSHA256
        if let existing = indexMACs[field] {
            mac = existing
        } else {
            do {
                mac = try HMACSHA256(key: keyRing.indexKey(for: field))
            } catch let error as VaultError {
                throw error
            } catch {
                throw .crypto(error as! CryptoError)
            }
            indexMACs[field] = mac
        }
        do {
            return Array(try mac.authenticate(Array(value.utf8)).prefix(Self.indexDigestByteCount))
        } catch {
            throw .crypto(error)
        }
    }

    /// This thread's pseudonymizer (per-domain keys derived from the pseudonym key).
    func pseudonymizer() throws(VaultError) -> Pseudonymizer {
        if let cachedPseudonymizer { return cachedPseudonymizer }
        do {
            let made = try Pseudonymizer(key: keyRing.pseudonymKey)
            cachedPseudonymizer = made
            return made
        } catch {
            throw .crypto(error)
        }
    }

    /// Wraps a data key under the active KEK for customer `id`.
    func wrap(dataKey: SymmetricKey, customerID: Int64, version: UInt32) throws(VaultError) -> [UInt8] {
        let cipher = try kekCipher(version)
        do {
            return try dataKey.withUnsafeBytes { (raw) throws(CryptoError) in
                try SealedBox.seal(raw, keyVersion: version, context: Self.dataKeyContext(customerID), cipher: cipher, nonces: nonces)
            }
        } catch {
            throw .crypto(error)
        }
    }

    /// Unwraps a customer's data key; any tampering or misplacement is `corruptVault`.
    func unwrap(_ wrapped: [UInt8], customerID: Int64) throws(VaultError) -> SymmetricKey {
        guard let version = SealedBox.keyVersion(of: wrapped) else { throw .corruptVault("customer \(customerID): malformed wrapped data key") }
        let cipher = try kekCipher(version)
        do {
            return try SymmetricKey(SealedBox.open(wrapped, context: Self.dataKeyContext(customerID), cipher: cipher))
        } catch {
            throw .corruptVault("customer \(customerID): wrapped data key fails authentication")
        }
    }

    static func dataKeyContext(_ customerID: Int64) -> SealContext {
        SealContext(kind: .dataKey, recordID: customerID, name: "dek")
    }
}
