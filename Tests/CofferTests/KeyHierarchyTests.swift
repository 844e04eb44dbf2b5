import CofferCrypto
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

@Suite struct KeyHierarchyTests {
    @Test func keyFileIsCreatedOwnerOnlyAndNeverInTheDatabase() throws {
        let fixture = try TestVault()
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let keyFile = try #require(FileManager.default.contents(atPath: fixture.keyPath))
        let rawKey = [UInt8](keyFile.suffix(32))
        #expect(!(try fixture.storedBytes()).contains(rawKey))
    }

    /// Writes `bytes` into a new pipe and returns its read end (the write end closed: EOF follows).
    private func pipeHolding(_ bytes: [UInt8]) -> Int32 {
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0)
        let written = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        precondition(written == bytes.count)
        close(ends[1])
        return ends[0]
    }

    @Test func aPassphraseIsReadFromADescriptorWhichIsThenClosed() throws {
        for (input, expected) in [("a long and careful passphrase\n", "a long and careful passphrase"),
                                  ("crlf passphrase\r\n", "crlf passphrase"),
                                  ("no newline", "no newline"),
                                  ("two newlines\n\n", "two newlines\n")] {
            let fd = pipeHolding(Array(input.utf8))
            let passphrase = try PassphraseSource.read(fd: fd)
            #expect(passphrase == SecureBytes(copying: Array(expected.utf8)))
            #expect(fcntl(fd, F_GETFD) == -1 && errno == EBADF)
        }
        let empty = pipeHolding(Array("\n".utf8))
        #expect(throws: VaultError.passphraseMissing) { _ = try PassphraseSource.read(fd: empty) }
        #expect(fcntl(empty, F_GETFD) == -1)
        let long = pipeHolding([UInt8](repeating: 0x61, count: PassphraseSource.maximumByteCount + 1))
        #expect(throws: VaultError.self) { _ = try PassphraseSource.read(fd: long) }
        #expect(fcntl(long, F_GETFD) == -1)
        let exactly = pipeHolding([UInt8](repeating: 0x61, count: PassphraseSource.maximumByteCount))
        #expect(try PassphraseSource.read(fd: exactly).count == PassphraseSource.maximumByteCount)
    }

    @Test func aGroupOrWorldReadableKeyFileIsRefused() throws {
        let fixture = try TestVault()
        for mode in [0o640, 0o604, 0o660, 0o644] {
            chmod(fixture.keyPath, mode_t(mode))
            #expect(throws: VaultError.keyFileTooOpen(path: fixture.keyPath, mode: String(mode, radix: 8))) {
                _ = try fixture.reopen()
            }
        }
        chmod(fixture.keyPath, 0o600)
        _ = try fixture.reopen()
    }

    @Test func aWrongRootKeyFailsWithOneErrorAndChangesNothing() throws {
        let fixture = try TestVault()
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        func dataFiles() -> [Data?] {
            ["", "-wal"].map { FileManager.default.contents(atPath: fixture.vault.databasePath + $0) }
        }
        let before = dataFiles()
        let otherKey = fixture.directory + "/other.key"
        _ = try RootKey.createKeyFile(at: otherKey)
        #expect(throws: VaultError.wrongRootKey) {
            _ = try Vault.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: otherKey))
        }
        #expect(dataFiles() == before)
        #expect(VaultError.wrongRootKey.description == "wrong root key or passphrase for this vault; nothing was changed")
    }

    @Test func malformedKeyFilesAreRefused() throws {
        let fixture = try TestVault()
        let short = try fixture.file("short.key", "coffer-root-key-v1\nabc")
        chmod(short, 0o600)
        #expect(throws: VaultError.keyFileInvalid(path: short, reason: "wrong size")) {
            _ = try Vault.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: short))
        }
        let noHeader = try fixture.file("noheader.key", String(repeating: "x", count: 51))
        chmod(noHeader, 0o600)
        #expect(throws: VaultError.keyFileInvalid(path: noHeader, reason: "missing header")) {
            _ = try Vault.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: noHeader))
        }
        #expect(throws: VaultError.keyFileMissing(path: fixture.directory + "/absent.key")) {
            _ = try Vault.open(at: fixture.vaultPath, credentials: RootCredentials(keyFile: fixture.directory + "/absent.key"))
        }
        #expect(throws: VaultError.keyFileExists(path: fixture.keyPath)) {
            _ = try RootKey.createKeyFile(at: fixture.keyPath)
        }
    }

    @Test func aShortPassphraseCreatesNothing() throws {
        let directory = NSTemporaryDirectory() + "coffer-short-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: VaultError.passphraseTooShort(minimum: 12)) {
            _ = try Vault.create(at: directory, schema: TestVault.schema(), policyYAML: TestVault.policyYAML(),
                                 protection: .passphrase(SecureBytes(copying: Array("eleven char".utf8))))
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/vault.sqlite"))
    }

    @Test func passphraseVaultsOpenOnlyWithTheRightPassphrase() throws {
        let directory = NSTemporaryDirectory() + "coffer-pass-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fast = Scrypt.Parameters(n: 1 << 10, r: 8, p: 1)
        let (vault, token) = try Vault.create(at: directory, schema: TestVault.schema(), policyYAML: TestVault.policyYAML(),
                                              protection: .passphrase(SecureBytes(copying: Array("correct horse".utf8)), parameters: fast))
        let admin = try vault.authenticate(token: token)
        try vault.put(sampleCustomer, session: admin)
        let reopened = try Vault.open(at: directory, credentials: RootCredentials(passphrase: SecureBytes(copying: Array("correct horse".utf8))))
        #expect(try reopened.customer(reference: "CUS-0001", session: admin, purpose: "operations")["full_name"] == "Ada Lovelace")
        #expect(throws: VaultError.wrongRootKey) {
            _ = try Vault.open(at: directory, credentials: RootCredentials(passphrase: SecureBytes(copying: Array("correct horsf".utf8))))
        }
        #expect(throws: VaultError.passphraseMissing) {
            _ = try Vault.open(at: directory, credentials: RootCredentials(keyFile: "/nonexistent"))
        }
        #expect(try Vault.rootMode(at: directory) == "passphrase")
    }

    @Test func keyringKeysAreSeparateAndSealed() throws {
        let fixture = try TestVault()
        let ring = fixture.vault.keyRing
        let keys = [try ring.kek(ring.activeVersion), ring.blindIndexKey, ring.pseudonymKey, ring.auditKey]
        for i in keys.indices {
            for j in keys.indices where j > i {
                #expect(!constantTimeEquals(keys[i], keys[j]))
            }
        }
        // Per-field index keys are derived and differ per field.
        #expect(!constantTimeEquals(try ring.indexKey(for: "email"), try ring.indexKey(for: "phone")))
        // No keyring key appears raw in the stored bytes.
        let stored = try fixture.storedBytes()
        for key in keys { #expect(!stored.contains(key.withUnsafeBytes { Array($0) })) }
        #expect(String(describing: keys[0]) == "SymmetricKey(redacted)")
    }

    @Test func openingANonVaultDirectoryFailsClearly() throws {
        let path = NSTemporaryDirectory() + "coffer-none-" + UUID().uuidString
        #expect(throws: VaultError.vaultNotFound(path: path)) {
            _ = try Vault.open(at: path, credentials: RootCredentials(keyFile: "/nonexistent"))
        }
        let fixture = try TestVault()
        #expect(throws: VaultError.vaultAlreadyExists(path: fixture.vaultPath)) {
            _ = try Vault.create(at: fixture.vaultPath, schema: TestVault.schema(), policyYAML: TestVault.policyYAML(),
                                 protection: .keyFile(path: fixture.directory + "/k2"))
        }
        // A refused create leaves no key file behind.
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/k2"))
    }
}

@Suite struct KeyLifecycleTests {
    @Test func rotateRewrapRetireKeepsEveryCustomerReadable() throws {
        let fixture = try TestVault()
        for i in 1...30 {
            var c = sampleCustomer
            c["customer_ref"] = "CUS-\(i)"
            c["email"] = "person\(i)@example.com"
            try fixture.vault.put(c, session: fixture.admin)
        }
        let v2 = try fixture.vault.rotateKEK(session: fixture.admin)
        #expect(v2 == 2)
        let vault = try fixture.reopen()
        #expect(vault.keyRing.activeVersion == 2)
        // Old customers still read under the decrypt-only version.
        #expect(try vault.customer(reference: "CUS-7", session: fixture.admin, purpose: "operations")["email"] == "person7@example.com")
        #expect(throws: VaultError.keyVersionInUse(version: 1, customers: 30)) { try vault.retireKEK(version: 1, session: fixture.admin) }
        #expect(throws: VaultError.keyVersionActive(2)) { try vault.retireKEK(version: 2, session: fixture.admin) }
        #expect(throws: VaultError.keyVersionUnknown(9)) { try vault.retireKEK(version: 9, session: fixture.admin) }

        // An interrupted rewrap (two batches of 7, then a "crash") resumes and converges.
        #expect(try vault.rewrapDataKeys(batchSize: 7, maximumBatches: 2, session: fixture.admin) == 14)
        var status = try vault.keyStatus(session: fixture.admin)
        #expect(status.map(\.customers) == [16, 14])
        #expect(try vault.rewrapDataKeys(batchSize: 7, session: fixture.admin) == 16)
        #expect(try vault.rewrapDataKeys(batchSize: 7, session: fixture.admin) == 0) // idempotent
        status = try vault.keyStatus(session: fixture.admin)
        #expect(status.map(\.customers) == [0, 30])
        #expect(status.map(\.state) == [.decryptOnly, .active])

        let oldWrapped = try vault.database.read { db in
            try Data.fetchOne(db, sql: "SELECT wrapped_dek FROM customers WHERE id = 1")
        }
        try vault.retireKEK(version: 1, session: fixture.admin)
        #expect(throws: VaultError.keyVersionRetired(1)) { try vault.retireKEK(version: 1, session: fixture.admin) }
        let after = try fixture.reopen()
        #expect(try after.keyStatus(session: fixture.admin).map(\.state) == [.retired, .active])
        for i in 1...30 { #expect(try after.customer(reference: "CUS-\(i)", session: fixture.admin, purpose: "operations")["email"] == "person\(i)@example.com") }
        // The retired version's key material is gone: a data key wrapped under it cannot be opened.
        let sealedKey = try after.database.read { db in
            try Row.fetchOne(db, sql: "SELECT sealed_key FROM keyring WHERE kind = 'kek' AND version = 1")
        }
        #expect(sealedKey?["sealed_key"] as Data? == nil)
        let v1Wrapped = try CryptoWorker(keyRing: fixture.vault.keyRing).wrap(dataKey: .random(), customerID: 1, version: 1)
        #expect(throws: VaultError.keyVersionRetired(1)) {
            _ = try CryptoWorker(keyRing: after.keyRing).unwrap(v1Wrapped, customerID: 1)
        }
        _ = oldWrapped
    }

    @Test func aRotationByAnotherProcessStopsWritesUnderTheOldVersion() throws {
        let fixture = try TestVault()
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        // Another process rotates while this vault object still believes v1 is active.
        let other = try fixture.reopen()
        try other.rotateKEK(session: fixture.admin)
        var second = sampleCustomer
        second["customer_ref"] = "CUS-0002"
        #expect(throws: VaultError.keysChanged) { try fixture.vault.put(second, session: fixture.admin) }
        #expect(throws: VaultError.keysChanged) {
            _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", "customer_ref,full_name\nCUS-9,Nine\n"), session: fixture.admin)
        }
        #expect(try other.customerCount() == 1)
        // The stale vault cannot move customers back onto v1 either.
        _ = try other.rewrapDataKeys(session: fixture.admin)
        try other.rotateKEK(session: fixture.admin)
        let third = try fixture.reopen()
        #expect(throws: VaultError.keysChanged) { _ = try fixture.vault.rewrapDataKeys(session: fixture.admin) }
        #expect(try third.rewrapDataKeys(session: fixture.admin) == 1)
        #expect(try third.keyStatus(session: fixture.admin).map(\.customers) == [0, 0, 1])
    }

    @Test func aKEKRefusesToWrapBeyondItsUseBound() throws {
        let fixture = try TestVault(maximumKEKUses: 3)
        for i in 1...3 {
            var c = sampleCustomer
            c["customer_ref"] = "CUS-\(i)"
            try fixture.vault.put(c, session: fixture.admin)
        }
        var fourth = sampleCustomer
        fourth["customer_ref"] = "CUS-4"
        #expect(throws: VaultError.keyUsageExhausted(version: 1, limit: 3)) { try fixture.vault.put(fourth, session: fixture.admin) }
        #expect(try fixture.vault.customerCount() == 3)
        // Updates do not wrap a new key, so they still work.
        var update = sampleCustomer
        update["customer_ref"] = "CUS-2"
        update["city"] = "Paris"
        try fixture.vault.put(update, session: fixture.admin)
        try fixture.vault.rotateKEK(session: fixture.admin)
        let vault = try fixture.reopen()
        try vault.put(fourth, session: fixture.admin)
        #expect(try vault.customerCount() == 4)
    }
}
