import Coffer
import Foundation
import GRDB

/// A fresh vault in a temporary directory, removed when the fixture goes away.
package final class TestVault {
    package let directory: String
    package let vaultPath: String
    package let keyPath: String
    package let vault: Vault
    /// The first admin, created with the vault.
    package let admin: Session

    package static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    package let adminToken: String

    package static func policyYAML() throws -> String {
        try String(contentsOfFile: repositoryRoot + "/policies/roles.yaml", encoding: .utf8)
    }

    package static func schema() throws -> Schema {
        let path = repositoryRoot + "/policies/schema.yaml"
        return try Schema.load(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
    }

    package init(maximumKEKUses: Int64? = nil) throws {
        directory = NSTemporaryDirectory() + "coffer-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        vaultPath = directory + "/vault"
        keyPath = directory + "/vault.key"
        let (vault, token) = try Vault.create(at: vaultPath, schema: Self.schema(), policyYAML: Self.policyYAML(), policyFile: "roles.yaml",
                                              protection: .keyFile(path: keyPath), maximumKEKUses: maximumKEKUses)
        self.vault = vault
        admin = try vault.authenticate(token: token)
        adminToken = token
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    package func reopen() throws -> Vault {
        try Vault.open(at: vaultPath, credentials: RootCredentials(keyFile: keyPath))
    }

    /// Writes `text` to a file in the fixture directory and returns its path.
    package func file(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every byte of the database file and its WAL (what a thief of the directory gets).
    package func storedBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: vault.databasePath + suffix) { bytes += data }
        }
        return bytes
    }
}

extension Array where Element == UInt8 {
    package func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first, Array(self[i..<i + needle.count]) == needle { return true }
            i += 1
        }
        return false
    }
}

package let sampleCustomer: [String: String?] = [
    "customer_ref": "CUS-0001",
    "full_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0958",
    "street_address": "12 St James's Square",
    "postal_code": "SW1Y 4JH",
    "city": "London",
    "country": "GB",
    "birth_date": "1985-12-10",
    "annual_income": "98000.00",
    "notes": "Prefers email, not phone",
]

extension Vault {
    /// The SQLite connection, for tests that tamper with rows behind the vault's back.
    package var database: DatabaseQueue { store.queue }

    /// An audit entry decoded from a raw `audit_log` row, as the store decodes it.
    package static func entry(from row: Row) throws -> AuditEntry {
        try SQLiteTransaction.auditEntry(row)
    }
}
