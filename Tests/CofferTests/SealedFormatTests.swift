import CofferCrypto
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

/// The stored format resists tampering: any flipped bit, truncation or move is rejected.
@Suite struct SealedFormatTests {
    let fixture: TestVault
    init() throws {
        fixture = try TestVault()
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        var other = sampleCustomer
        other["customer_ref"] = "CUS-0002"
        other["email"] = "grace@example.com"
        try fixture.vault.put(other, session: fixture.admin)
    }

    private func row(_ id: Int64) throws -> (wrapped: [UInt8], fields: FieldContainer) {
        try fixture.vault.database.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT wrapped_dek, fields FROM customers WHERE id = ?", arguments: [id]))
            return ([UInt8](row["wrapped_dek"] as Data), try FieldContainer(decoding: [UInt8](row["fields"] as Data), fieldCount: 30))
        }
    }

    private func dataKeyCipher(_ id: Int64) throws -> AES256GCM {
        let worker = CryptoWorker(keyRing: fixture.vault.keyRing)
        return try AES256GCM(key: worker.unwrap(try row(id).wrapped, customerID: id))
    }

    @Test func layoutIsVersionedAndSelfDescribing() throws {
        let sealed = Array(try #require(try row(1).fields[2]))
        #expect(sealed[0] == SealedBox.format)
        #expect(SealedBox.keyVersion(of: sealed) == Vault.fieldKeyVersion)
        #expect(sealed.count == SealedBox.overhead + "ada@example.com".utf8.count)
        let wrapped = try row(1).wrapped
        #expect(SealedBox.keyVersion(of: wrapped) == fixture.vault.keyRing.activeVersion)
        #expect(wrapped.count == SealedBox.overhead + 32)
    }

    @Test func everySingleBitFlipOfAStoredFieldIsRejected() throws {
        let sealed = Array(try #require(try row(1).fields[2]))
        let cipher = try dataKeyCipher(1)
        let context = SealContext(kind: .field, recordID: 1, name: "email")
        #expect(try SealedBox.openString(sealed, context: context, cipher: cipher) == "ada@example.com")
        for bit in 0..<(sealed.count * 8) {
            var tampered = sealed
            tampered[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: CryptoError.authenticationFailed) {
                _ = try SealedBox.open(tampered, context: context, cipher: cipher)
            }
        }
    }

    @Test func everySingleBitFlipOfAWrappedDataKeyIsRejected() throws {
        let wrapped = try row(1).wrapped
        let worker = CryptoWorker(keyRing: fixture.vault.keyRing)
        for bit in 0..<(wrapped.count * 8) {
            var tampered = wrapped
            tampered[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: VaultError.self) { _ = try worker.unwrap(tampered, customerID: 1) }
        }
    }

    @Test func truncationAtEveryLengthIsRejected() throws {
        let sealed = Array(try #require(try row(1).fields[29]))
        let cipher = try dataKeyCipher(1)
        let context = SealContext(kind: .field, recordID: 1, name: "notes")
        for length in 0..<sealed.count {
            #expect(throws: CryptoError.authenticationFailed) {
                _ = try SealedBox.open(Array(sealed.prefix(length)), context: context, cipher: cipher)
            }
        }
        let wrapped = try row(1).wrapped
        let worker = CryptoWorker(keyRing: fixture.vault.keyRing)
        for length in 0..<wrapped.count {
            #expect(throws: VaultError.self) { _ = try worker.unwrap(Array(wrapped.prefix(length)), customerID: 1) }
        }
    }

    @Test func aCiphertextMovedToAnotherFieldIsRejected() throws {
        let sealed = Array(try #require(try row(1).fields[2]))
        let cipher = try dataKeyCipher(1)
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try SealedBox.open(sealed, context: SealContext(kind: .field, recordID: 1, name: "full_name"), cipher: cipher)
        }
        // Through the store: put the email ciphertext in the name slot; the read fails closed.
        var container = try row(1).fields
        container[1] = sealed[...]
        try fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE customers SET fields = ? WHERE id = 1", arguments: [Data(container.encoded())])
        }
        #expect(throws: VaultError.corruptVault("customer 1: field 'full_name' fails authentication")) {
            _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        }
    }

    @Test func aCiphertextMovedToAnotherCustomerIsRejected() throws {
        // Customer 2's sealed email, and customer 2's whole wrapped key, copied onto customer 1.
        let other = try row(2)
        let worker = CryptoWorker(keyRing: fixture.vault.keyRing)
        #expect(throws: VaultError.self) { _ = try worker.unwrap(other.wrapped, customerID: 1) }
        var mine = try row(1).fields
        mine[2] = other.fields[2]
        try fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE customers SET fields = ? WHERE id = 1", arguments: [Data(mine.encoded())])
        }
        #expect(throws: VaultError.self) { _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
        try fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE customers SET wrapped_dek = ? WHERE id = 1", arguments: [Data(other.wrapped)])
        }
        #expect(throws: VaultError.corruptVault("customer 1: wrapped data key fails authentication")) {
            _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        }
        // Customer 2 is untouched.
        #expect(try fixture.vault.customer(reference: "CUS-0002", session: fixture.admin, purpose: "operations")["email"] == "grace@example.com")
    }

    @Test func anIndexRowPointingAtAnotherCustomerIsDetected() throws {
        try fixture.vault.database.write { db in
            let a = try Data.fetchOne(db, sql: "SELECT ref_index FROM customers WHERE id = 1")!
            let b = try Data.fetchOne(db, sql: "SELECT ref_index FROM customers WHERE id = 2")!
            try db.execute(sql: "UPDATE customers SET ref_index = x'00' WHERE id = 1")
            try db.execute(sql: "UPDATE customers SET ref_index = ? WHERE id = 2", arguments: [a])
            try db.execute(sql: "UPDATE customers SET ref_index = ? WHERE id = 1", arguments: [b])
        }
        #expect(throws: VaultError.corruptVault("customer 2: its reference does not match the index")) {
            _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        }
    }

    @Test func aCorruptFieldContainerIsRejectedNotCrashed() throws {
        let encoded = try row(1).fields.encoded()
        for length in 1..<encoded.count {
            let prefix = Array(encoded.prefix(length))
            // Either a clean error or a shorter container whose entries still authenticate.
            if let container = try? FieldContainer(decoding: prefix, fieldCount: 30) {
                #expect(container.presentCount < (try row(1).fields.presentCount))
            }
        }
        #expect(throws: VaultError.self) { _ = try FieldContainer(decoding: [9, 1, 2], fieldCount: 30) }
        #expect(throws: VaultError.self) { _ = try FieldContainer(decoding: [1, 200, 1, 0], fieldCount: 30) }
        #expect(throws: VaultError.self) { _ = try FieldContainer(decoding: [1, 0, 1, 0, 0, 1, 0], fieldCount: 30) }
    }
}
