import CofferCrypto
import CofferTestSupport
import Foundation
import GRDB
import Testing
@_spi(Benchmarks) @testable import Coffer

@Suite struct AuditChainTests {
    let fixture: TestVault

    init() throws {
        fixture = try TestVault()
        for i in 1...20 {
            try fixture.vault.audit(.named("alice", role: "analyst"), i % 2 == 0 ? .read : .find, purpose: "qualification",
                                    fields: ["email", "city"], customers: CustomerIDSet([Int64(i), Int64(i + 1)]), detail: "n=\(i)")
        }
    }

    private func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        try fixture.vault.database.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    @Test func anUntouchedChainVerifies() throws {
        let result = try fixture.vault.verifyAudit()
        #expect(result.isIntact)
        // Entry 1 records the vault's creation; the 20 reads follow.
        #expect(result.entries == 21)
        #expect(result.lastSeq == 21)
    }

    @Test func editingOneByteIsDetectedAtThatEntry() throws {
        try execute("UPDATE audit_log SET detail = 'n=9' WHERE seq = 7")
        let result = try fixture.vault.verifyAudit()
        #expect(result.firstBadSeq == 7)
        // Every column is covered, not only the text ones.
        try execute("UPDATE audit_log SET detail = 'n=6' WHERE seq = 7")
        #expect(try fixture.vault.verifyAudit().isIntact)
        for (column, value) in [("time_ms", "time_ms + 1"), ("actor", "'mallory'"), ("outcome", "'denied'"), ("customer_count", "customer_count + 1"),
                                ("customers", "x'0105'"), ("fields", "'email'"), ("purpose", "''"), ("role", "'admin'"), ("action", "'erase'")] {
            let original = try fixture.vault.database.read { db in try Row.fetchOne(db, sql: "SELECT \(column) FROM audit_log WHERE seq = 12")![0] as DatabaseValue }
            try execute("UPDATE audit_log SET \(column) = \(value) WHERE seq = 12")
            let result = try fixture.vault.verifyAudit()
            #expect(result.firstBadSeq == 12, "\(column): \(result)")
            try execute("UPDATE audit_log SET \(column) = ? WHERE seq = 12", [original])
        }
        #expect(try fixture.vault.verifyAudit().isIntact)
    }

    @Test func deletingAnEntryIsDetected() throws {
        try execute("DELETE FROM audit_log WHERE seq = 5")
        let result = try fixture.vault.verifyAudit()
        #expect(result.firstBadSeq == 6)
        #expect(result.problem == "entry 5 is missing (deleted)")
    }

    @Test func deletingAndRenumberingIsDetected() throws {
        try execute("DELETE FROM audit_log WHERE seq = 5")
        try execute("UPDATE audit_log SET seq = seq - 1 WHERE seq > 5")
        #expect(try fixture.vault.verifyAudit().firstBadSeq == 5)
    }

    @Test func swappingTwoEntriesIsDetected() throws {
        try execute("UPDATE audit_log SET seq = -1 WHERE seq = 9")
        try execute("UPDATE audit_log SET seq = 9 WHERE seq = 10")
        try execute("UPDATE audit_log SET seq = 10 WHERE seq = -1")
        #expect(try fixture.vault.verifyAudit().firstBadSeq == 9)
    }

    @Test func aForgedEntryIsDetected() throws {
        // Insert a plausible entry (copying another's MAC) in the middle.
        try execute("UPDATE audit_log SET seq = -seq WHERE seq >= 15")
        try execute("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
        try execute("""
            INSERT INTO audit_log (seq, time_ms, actor, role, action, purpose, outcome, fields, customer_count, customers, detail, mac)
            SELECT 15, time_ms, 'alice', role, action, purpose, outcome, fields, customer_count, customers, detail, mac FROM audit_log WHERE seq = 14
            """)
        #expect(try fixture.vault.verifyAudit().firstBadSeq == 15)
    }

    @Test func aChainRecomputedWithoutTheKeyIsDetected() throws {
        // Rewrite every MAC with a key of the attacker's choosing: the first entry fails.
        let forgedKey = try SymmetricKey.random()
        let chain = try AuditChain(auditKey: forgedKey, vaultID: fixture.vault.keyRing.vaultID)
        try fixture.vault.database.write { db in
            var previous = chain.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY seq") {
                var entry = try Vault.entry(from: row)
                entry.actor = "mallory"
                let mac = try chain.mac(for: entry, previous: previous)
                try db.execute(sql: "UPDATE audit_log SET actor = ?, mac = ? WHERE seq = ?", arguments: [entry.actor, Data(mac), entry.seq])
                previous = mac
            }
        }
        #expect(try fixture.vault.verifyAudit().firstBadSeq == 1)
    }

    @Test func theStoreScanLendsEveryStoredEntryInOrderAndStopsWhenAsked() throws {
        // A seq outside 1...n (tampering) is scanned too: the verifier must see it.
        try execute("UPDATE audit_log SET seq = -7 WHERE seq = 7")
        let (listed, scanned, firstThree) = try fixture.vault.store.read { tx in
            var listed: [AuditEntry] = []
            try tx.auditEntries(actor: nil, action: nil, outcome: nil, sinceMilliseconds: nil, untilMilliseconds: nil, newestFirst: false) { listed.append($0); return true }
            var scanned: [AuditEntry] = []
            try tx.scanAuditEntries { row in
                func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
                let fields = text(row.fields)
                scanned.append(AuditEntry(seq: row.seq, timeMilliseconds: row.timeMilliseconds, actor: text(row.actor), role: text(row.role),
                                          action: try #require(AuditAction(rawValue: text(row.action))), purpose: text(row.purpose),
                                          outcome: try #require(AuditEntry.Outcome(rawValue: text(row.outcome))),
                                          fields: fields.isEmpty ? [] : fields.split(separator: ",").map(String.init),
                                          customers: try #require(CustomerIDSet(encoded: Array(row.customers))),
                                          detail: text(row.detail), mac: Array(row.mac)))
                return true
            }
            var seqs: [Int64] = []
            try tx.scanAuditEntries { row in
                seqs.append(row.seq)
                return seqs.count < 3
            }
            return (listed, scanned, seqs)
        }
        #expect(scanned.count == 21 && scanned.first?.seq == -7)
        #expect(scanned == listed)
        #expect(firstThree == [-7, 1, 2])
    }

    @Test func truncatingTheTailIsOnlyVisibleAgainstACheckpoint() throws {
        try execute("DELETE FROM audit_log WHERE seq > 17")
        // Without a checkpoint a shorter chain is still a valid chain.
        #expect(try fixture.vault.verifyAudit().isIntact)
    }

    @Test func queriesFilterByActorActionAndCustomer() throws {
        try fixture.vault.audit(.named("bob", role: "admin"), .export, customers: CustomerIDSet(1...1_000_000), detail: "bulk")
        #expect(try fixture.vault.auditEntries(AuditQuery(actor: "bob")).count == 1)
        #expect(try fixture.vault.auditEntries(AuditQuery(action: .read)).count == 10)
        let touching3 = try fixture.vault.auditEntries(AuditQuery(customerID: 3))
        #expect(touching3.map(\.seq) == [3, 4, 22])
        // A million-customer read is one entry with a few bytes of ids, not a million rows.
        let bulk = try #require(touching3.last)
        #expect(bulk.customerCount == 1_000_000)
        #expect(bulk.customers.encoded().count < 8)
        #expect(try fixture.vault.verifyAudit().isIntact)
        // Newest first: a limit keeps the newest; the customer filter applies before the limit.
        #expect(try fixture.vault.auditEntries(AuditQuery(customerID: 3, limit: 2, newestFirst: true)).map(\.seq) == [22, 4])
        #expect(try fixture.vault.auditEntries(AuditQuery(limit: 2)).map(\.seq) == [1, 2])
        try fixture.vault.audit(.named("eve", role: "sales"), .read, outcome: .denied, detail: "no")
        try fixture.vault.audit(.named("eve", role: "sales"), .read, outcome: .failed, detail: "no")
        #expect(try fixture.vault.auditEntries(AuditQuery(outcome: .denied)).map(\.actor) == ["eve"])
        #expect(try fixture.vault.auditEntries(AuditQuery(outcome: .failed)).map(\.seq) == [24])
        #expect(try fixture.vault.auditEntries(AuditQuery(outcome: .ok)).count == 22)
    }

    @Test func theFirstBadEntryIsNamedAcrossParallelBatches() throws {
        // Enough entries for several batches on both checking threads.
        try fixture.vault.appendSyntheticAuditEntries(30_000)
        #expect(try fixture.vault.verifyAudit().isIntact)
        #expect(try fixture.vault.verifyAudit().entries == 30_021)
        for bad in [[25_000], [12_345, 25_000], [9_000, 12_345], [30_021], [8_192, 8_193], [5, 29_999]] {
            try fixture.vault.database.write { db in
                for seq in bad { try db.execute(sql: "UPDATE audit_log SET detail = 'x' WHERE seq = ?", arguments: [seq]) }
            }
            let result = try fixture.vault.verifyAudit()
            #expect(result.firstBadSeq == Int64(bad.min()!), "\(bad)")
            try fixture.vault.database.write { db in
                for seq in bad {
                    try db.execute(sql: "UPDATE audit_log SET detail = ? WHERE seq = ?", arguments: [seq <= 21 ? "n=\(seq - 1)" : "", seq])
                }
            }
            #expect(try fixture.vault.verifyAudit().isIntact, "\(bad) restored")
        }
        try fixture.vault.database.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq = 17000") }
        #expect(try fixture.vault.verifyAudit().firstBadSeq == 17_001)
    }

    @Test func customerIDSetsRoundTrip() throws {
        let ids: [Int64] = [1, 2, 3, 10, 11, 500, 501, 502, 503, 1_000_000]
        let set = CustomerIDSet(ids)
        #expect(set.ids == ids)
        #expect(set.runs.count == 4)
        #expect(CustomerIDSet(encoded: set.encoded()) == set)
        for id in ids { #expect(set.contains(id)) }
        for id: Int64 in [0, 4, 9, 12, 499, 504, 999_999, 1_000_001] { #expect(!set.contains(id)) }
        #expect(CustomerIDSet(encoded: [0x80]) == nil)
        #expect(CustomerIDSet(encoded: [1, 0]) == nil)
    }

    @Test func theAuditLogHoldsNoCustomerValues() throws {
        try fixture.vault.put(sampleCustomer, session: fixture.admin)
        let text = try fixture.vault.database.read { db in
            try Row.fetchAll(db, sql: "SELECT actor, role, action, purpose, fields, detail FROM audit_log").map { "\($0)" }.joined()
        }
        for value in sampleCustomer.values.compactMap({ $0 }) { #expect(!text.contains(value)) }
    }
}

@Suite struct AuditActionTests {
    /// The raw values are what every chain MAC covers and what earlier logs hold: renaming one
    /// would make old entries unreadable, so the list is pinned here.
    @Test func rawValuesAreTheOnesTheLogHolds() {
        #expect(AuditAction.allCases.map(\.rawValue) == [
            "vault_create", "authenticate", "authorize", "read", "find", "write", "import", "erase", "export", "privacy_check",
            "reidentify", "handoff", "score", "icp", "calibrate", "user_add", "user_list", "user_set_role", "user_revoke",
            "user_reinstate", "user_reset_token",
            "policy_apply", "policy_explain", "key_status", "key_rotate", "key_rewrap", "key_retire", "audit_read", "audit_verify",
            "audit_checkpoint", "audit_public_key", "review_export", "review_subject", "review_processing_record",
            "reindex",
        ])
        #expect(AuditAction(rawValue: "drop_table") == nil)
    }

    /// Which actions read customer data, and which a reviewer lists one by one.
    @Test func reviewClassification() {
        let reads = AuditAction.allCases.filter(\.readsCustomerData).map(\.rawValue)
        #expect(reads == ["read", "find", "export", "privacy_check", "reidentify", "handoff", "score", "icp", "calibrate", "policy_explain"])
        #expect(AuditAction.export.reviewCategory == .export && AuditAction.erase.reviewCategory == .erasure)
        #expect(AuditAction.handoff.reviewCategory == .handoff && AuditAction.reidentify.reviewCategory == .reidentification)
        #expect([AuditAction.userAdd, .userSetRole, .userRevoke, .userReinstate, .userResetToken].allSatisfy { $0.reviewCategory == .roleChange })
        #expect([AuditAction.policyApply, .vaultCreate].allSatisfy { $0.reviewCategory == .policyChange })
        #expect([AuditAction.keyRotate, .keyRetire, .keyRewrap].allSatisfy { $0.reviewCategory == .keyEvent })
        #expect([AuditAction.reviewExport, .read, .score, .auditRead].allSatisfy { $0.reviewCategory == nil })
    }
}
