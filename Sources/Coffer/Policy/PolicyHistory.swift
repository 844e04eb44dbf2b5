import CofferCrypto
import Foundation

/// One role policy that was put in force, from the append-only `policy_history` table.
///
/// The audit log records each change with the old and new digests; the history keeps the
/// texts, so a review can show a readable diff. A row counts only if its MAC (under a keyring
/// key) and its digest both check out: a text edited by SQL is reported, never diffed.
public struct PolicyVersion: Sendable, Equatable, Codable {
    public var id: Int64
    /// When it was applied (milliseconds since 1970 UTC); 0 for the policy that was already in
    /// force when the vault started keeping history.
    public var appliedAtMilliseconds: Int64
    /// SHA-256 of the text, as the audit log records it.
    public var digest: String
    public var yaml: String
    /// Whether the row's MAC and digest verify.
    public var intact: Bool
}

extension Vault {
    /// Appends `yaml` to the policy history inside the caller's write transaction.
    func recordPolicyVersion(_ yaml: String, appliedAt milliseconds: Int64, in tx: any StoreWriting) throws {
        let digest = try SHA256.hash(Array(yaml.utf8)).hexString
        // The MAC covers the row's id; inside this write transaction the next id is max + 1
        // (rows are never deleted), so the row is written once, complete.
        let id = try tx.highestPolicyVersionID() + 1
        let mac = try StateMAC(keyRing: keyRing).policyVersion(id: id, appliedAt: milliseconds, yaml: yaml)
        try tx.insertPolicyVersion(PolicyVersionRecord(id: id, appliedAtMilliseconds: milliseconds, digest: digest, yaml: Array(yaml.utf8), mac: mac))
    }

    /// Records `old` as the policy in force before history was kept, if the history is empty
    /// (a vault created before the history existed), so its first change can still be diffed.
    func recordInitialPolicyIfMissing(_ old: String, in tx: any StoreWriting) throws {
        guard try tx.policyVersionCount() == 0 else { return }
        try recordPolicyVersion(old, appliedAt: 0, in: tx)
    }

    /// Every recorded policy version, oldest first, each checked against its MAC and digest.
    package func policyHistory() throws(VaultError) -> [PolicyVersion] {
        let mac: StateMAC
        do { mac = try StateMAC(keyRing: keyRing) } catch { throw .crypto(error) }
        return try store.read { tx in
            try tx.policyVersions().map { row in
                let id = row.id, applied = row.appliedAtMilliseconds, digest = row.digest
                let yaml = String(decoding: row.yaml, as: UTF8.self)
                let expected = try mac.policyVersion(id: id, appliedAt: applied, yaml: yaml)
                let textDigest = try SHA256.hash(Array(yaml.utf8)).hexString
                let intact = constantTimeEquals(expected, row.mac) && textDigest == digest
                return PolicyVersion(id: id, appliedAtMilliseconds: applied, digest: digest, yaml: yaml, intact: intact)
            }
        }
    }
}
