import CofferCrypto
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// The token-wrapped root key, in process: the only place a test can see the root key itself.
/// SOFTHSM2_CONF is set for this process (no other test here loads a PKCS#11 module).
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/softhsm/libsofthsm2.so")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/softhsm2-util"), "needs SoftHSM2"))
struct Pkcs11RootKeyTests {
    @Test func theRootKeyIsInNoFileAndTheTokenAndTheRecoveryKeyBothOpenIt() throws {
        let directory = NSTemporaryDirectory() + "coffer-p11-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/tokens", withIntermediateDirectories: true)
        try "directories.tokendir = \(directory)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(toFile: directory + "/softhsm2.conf", atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", directory + "/softhsm2.conf", 1)
        let util = Process()
        util.executableURL = URL(fileURLWithPath: "/usr/bin/softhsm2-util")
        util.arguments = ["--init-token", "--free", "--label", "unit", "--so-pin", "8812-so-pin", "--pin", "4921-user-pin"]
        util.standardOutput = FileHandle.nullDevice
        try util.run()
        util.waitUntilExit()
        try #require(util.terminationStatus == 0)

        let location = Pkcs11Location(module: "/usr/lib/softhsm/libsofthsm2.so", tokenLabel: "unit", keyLabel: "root-wrap")
        let pin = SecureBytes(copying: Array("4921-user-pin".utf8))
        let vaultPath = directory + "/vault", recovery = directory + "/recovery.key"
        let (vault, _) = try Vault.create(at: vaultPath, schema: TestVault.schema(), policyYAML: TestVault.policyYAML(),
                                          protection: .pkcs11(location, pin: pin, recoveryKeyFile: recovery))
        let root = vault.rootKey.key.withUnsafeBytes { Array($0) }
        var stored: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: vault.databasePath + suffix) { stored += data }
        }
        #expect(!stored.isEmpty)
        #expect(!stored.contains(root))
        #expect(!stored.contains(Array("4921-user-pin".utf8)))
        let recoveryBytes = try #require(FileManager.default.contents(atPath: recovery))
        #expect(!stored.contains(Array(recoveryBytes.suffix(32))))
        #expect(!Array(recoveryBytes).contains(root))

        let byToken = try Vault.open(at: vaultPath, credentials: RootCredentials(pkcs11Module: location.module, pkcs11PIN: pin))
        #expect(byToken.rootKey.key.withUnsafeBytes { Array($0) } == root)
        let byRecovery = try Vault.open(at: vaultPath, credentials: RootCredentials(recoveryKeyFile: recovery))
        #expect(byRecovery.rootKey.key.withUnsafeBytes { Array($0) } == root)
        #expect(throws: VaultError.pkcs11(.pinIncorrect)) {
            _ = try Vault.open(at: vaultPath, credentials: RootCredentials(pkcs11Module: location.module,
                                                                              pkcs11PIN: SecureBytes(copying: Array("0000".utf8))))
        }
        #expect(throws: VaultError.pkcs11(.pinMissing)) {
            _ = try Vault.open(at: vaultPath, credentials: RootCredentials(pkcs11Module: location.module))
        }
    }
}
