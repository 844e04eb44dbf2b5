import CofferCrypto

/// A purchase, sealed whole with the customer's data key and bound to its row by `dedup_key`.
struct OrderRecord {
    var date: String
    var amount: String
    var category: String

    private static let separator: Character = "\u{1F}"

    static func context(customerID: Int64, dedupKey: [UInt8]) -> SealContext {
        SealContext(kind: .order, recordID: customerID, name: "order:" + dedupKey.hexString)
    }

    func seal(customerID: Int64, dedupKey: [UInt8], cipher: AES256GCM, nonces: NonceSource) throws(CryptoError) -> [UInt8] {
        try SealedBox.seal([date, amount, category].joined(separator: String(Self.separator)), keyVersion: Vault.fieldKeyVersion,
                           context: Self.context(customerID: customerID, dedupKey: dedupKey), cipher: cipher, nonces: nonces)
    }

    static func open(_ sealed: [UInt8], customerID: Int64, dedupKey: [UInt8], cipher: AES256GCM) throws(VaultError) -> OrderRecord {
        let text: String
        do {
            text = try SealedBox.openString(sealed, context: context(customerID: customerID, dedupKey: dedupKey), cipher: cipher)
        } catch {
            throw .corruptVault("customer \(customerID): an order fails authentication")
        }
        let parts = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw .corruptVault("customer \(customerID): malformed order") }
        return OrderRecord(date: parts[0], amount: parts[1], category: parts[2])
    }
}

/// A won/lost outcome, sealed with the customer's data key.
struct OutcomeRecord {
    var outcome: String
    var closedAt: String

    static func context(customerID: Int64) -> SealContext {
        SealContext(kind: .outcome, recordID: customerID, name: "outcome")
    }

    func seal(customerID: Int64, cipher: AES256GCM, nonces: NonceSource) throws(CryptoError) -> [UInt8] {
        try SealedBox.seal(outcome + "\u{1F}" + closedAt, keyVersion: Vault.fieldKeyVersion,
                           context: Self.context(customerID: customerID), cipher: cipher, nonces: nonces)
    }

    static func open(_ sealed: [UInt8], customerID: Int64, cipher: AES256GCM) throws(VaultError) -> OutcomeRecord {
        let text: String
        do {
            text = try SealedBox.openString(sealed, context: context(customerID: customerID), cipher: cipher)
        } catch {
            throw .corruptVault("customer \(customerID): its outcome fails authentication")
        }
        let parts = text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw .corruptVault("customer \(customerID): malformed outcome") }
        return OutcomeRecord(outcome: parts[0], closedAt: parts[1])
    }
}
