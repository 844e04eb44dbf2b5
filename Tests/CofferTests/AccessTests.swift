import CofferCrypto
import CofferSupport
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

/// Users, authorization, views and audit through the vault facade, for every shipped role.
@Suite struct AccessTests {
    let fixture: TestVault
    var sessions: [String: Session] = [:]
    let roles = ["admin", "analyst", "sales", "support", "auditor"]
    /// A purpose each role accepts (nil: the role lists none).
    let purposes: [String: String?] = ["admin": "operations", "analyst": "qualification", "sales": "prospecting",
                                       "support": "support_case", "auditor": nil]

    init() throws {
        fixture = try TestVault()
        try fixture.vault.put(sampleCustomer.merging([
            "gender": "female", "occupation": "Engineer", "homeowner": "true", "company": "Analytical Engines Ltd",
            "job_title": "CTO", "company_size": "120", "industry": "Software", "budget": "50000", "decision_maker": "true",
            "need": "high", "purchase_timeline_days": "30", "website_visits_30d": "12", "email_opens_30d": "4",
            "last_activity": "2026-10-15", "competitor_contract_end": "2027-03-31", "payment_delays": "0", "disputes": "0",
            "consent_marketing": "true", "lead_source": "referral",
        ]) { $1 }, session: fixture.admin)
        for role in roles where role != "admin" {
            let token = try fixture.vault.addUser(name: "\(role)-user", role: role, by: fixture.admin)
            sessions[role] = try fixture.vault.authenticate(token: token)
        }
        sessions["admin"] = fixture.admin
    }

    private func lastEntry() throws -> AuditEntry {
        try #require(try fixture.vault.auditEntries(AuditQuery()).last)
    }

    @Test func everyRoleSeesExactlyWhatThePolicySaysFieldByField() throws {
        let policy = fixture.vault.policy
        let full = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        for role in roles {
            let session = try #require(sessions[role])
            let rolePolicy = try #require(policy[role])
            guard rolePolicy.allows(.read), rolePolicy.view(of: "customer_ref") == .plain else {
                // No read, or no references in clear (analysts: a lookup by reference would map
                // references to pseudonyms): the same answer as a missing customer, audited.
                #expect(throws: VaultError.customerNotFound) {
                    _ = try fixture.vault.customer(reference: "CUS-0001", session: session, purpose: purposes[role] ?? nil)
                }
                #expect(try lastEntry().outcome == .denied && (try lastEntry()).actor == "\(role)-user")
                // What the role sees is what its export shows, checked field by field.
                if rolePolicy.allows(.export) {
                    let out = fixture.directory + "/\(role).csv"
                    try fixture.vault.exportView(to: out, session: session, purpose: purposes[role] ?? nil)
                    let reader = try CSVReader(path: out)
                    let header = try #require(try reader.next()).fields
                    let values = try #require(try reader.next()).fields
                    #expect(header == rolePolicy.visibleFields)
                    for spec in fixture.vault.schema.fields {
                        let shown = header.firstIndex(of: spec.name).map { values[$0] }
                        switch rolePolicy.view(of: spec.name) {
                        case .redacted: #expect(shown == nil, "\(role).\(spec.name) must be absent")
                        case .plain: #expect(shown == full[spec.name], "\(role).\(spec.name) plain")
                        case .pseudonym: #expect(shown?.hasPrefix("ps_") == true, "\(role).\(spec.name) pseudonym")
                        case .masked, .generalized: #expect(shown != nil && shown != full[spec.name], "\(role).\(spec.name) transformed")
                        }
                    }
                }
                continue
            }
            guard rolePolicy.allows(.read) else {
                // Same answer as a missing customer, and the denial is audited.
                #expect(throws: VaultError.customerNotFound) {
                    _ = try fixture.vault.customer(reference: "CUS-0001", session: session, purpose: purposes[role] ?? nil)
                }
                let entry = try lastEntry()
                #expect(entry.outcome == .denied && entry.actor == "\(role)-user")
                continue
            }
            let view = try fixture.vault.customer(reference: "CUS-0001", session: session, purpose: purposes[role] ?? nil)
            for spec in fixture.vault.schema.fields {
                let stored = full[spec.name]
                let shown = view[spec.name]
                switch rolePolicy.view(of: spec.name) {
                case .redacted:
                    #expect(shown == nil, "\(role).\(spec.name) must be absent")
                case .plain:
                    #expect(shown == stored, "\(role).\(spec.name) plain")
                case .masked:
                    #expect(shown != nil && shown != stored, "\(role).\(spec.name) masked")
                case .pseudonym:
                    #expect(shown?.hasPrefix("ps_") == true && shown != stored, "\(role).\(spec.name) pseudonym")
                case .generalized:
                    #expect(shown != nil && shown != stored, "\(role).\(spec.name) generalized")
                }
            }
            // The read is audited with exactly the fields shown, and the internal id only where
            // the role identifies the customer.
            let entry = try lastEntry()
            #expect(entry.actor == session.name && entry.action == .read && entry.outcome == .ok)
            #expect(entry.fields == view.fields.map(\.name))
            #expect(view.id == (rolePolicy.view(of: "customer_ref") == .plain ? 1 : nil))
        }
    }

    @Test func everyRoleActionCellIsEnforcedAndDenialsAreAudited() throws {
        let csv = try fixture.file("c.csv", "customer_ref,full_name\nCUS-0002,Grace\n")
        for role in roles {
            let session = try #require(sessions[role])
            let allowed = try #require(fixture.vault.policy[role]).actions
            let purpose = purposes[role] ?? nil
            let attempts: [(Action, () throws -> Void)] = [
                // Single reads by reference are for roles that see references in clear; the
                // analyst's `read` is exercised through its export (see the view matrix test).
                (.read, {
                    if allowed.contains(.read), fixture.vault.policy[role]!.view(of: "customer_ref") != .plain { return }
                    _ = try fixture.vault.customer(reference: "CUS-0001", session: session, purpose: purpose)
                }),
                (.export, { try fixture.vault.exportView(to: fixture.directory + "/e.csv", session: session, purpose: purpose) }),
                (.reidentify, { _ = try fixture.vault.reidentify(["ps_x"], domain: "analytics", session: session, purpose: purpose) }),
                (.write, { try fixture.vault.put(["customer_ref": "CUS-0001", "city": "London"], session: session) }),
                (.import, { _ = try fixture.vault.importCSV(.customers, path: csv, session: session) }),
                (.auditRead, { _ = try fixture.vault.auditLog(AuditQuery(limit: 1), session: session, purpose: purpose) }),
                (.manageKeys, { _ = try fixture.vault.keyStatus(session: session) }),
                (.manageUsers, { _ = try fixture.vault.users(by: session) }),
                (.erase, { try fixture.vault.erase(reference: "CUS-0002", session: session, purpose: "operations") }),
            ]
            for (action, attempt) in attempts {
                let before = try fixture.vault.auditEntries(AuditQuery()).count
                if allowed.contains(action) {
                    do { try attempt() } catch { Issue.record("\(role) should be allowed to \(action.rawValue): \(error)") }
                } else {
                    #expect(throws: VaultError.self, "\(role) must not \(action)") { try attempt() }
                    let entries = try fixture.vault.auditEntries(AuditQuery())
                    #expect(entries.count == before + 1, "\(role) \(action) denial audited")
                    #expect(entries.last?.outcome == .denied && entries.last?.actor == "\(role)-user")
                }
            }
        }
    }

    @Test func purposesAreRequiredWhereTheRoleListsThem() throws {
        let analyst = try #require(sessions["analyst"])
        let out = fixture.directory + "/p.csv"
        #expect(throws: VaultError.purposeRequired(["qualification", "analytics"])) {
            try fixture.vault.exportView(to: out, session: analyst)
        }
        #expect(throws: VaultError.purposeNotAllowed(allowed: ["qualification", "analytics"])) {
            try fixture.vault.exportView(to: out, session: analyst, purpose: "ada@example.com")
        }
        // A purpose the policy does not know is recorded as <other>: free text never reaches the log.
        #expect(try lastEntry().outcome == .denied)
        #expect(try lastEntry().purpose == "<other>")
        try fixture.vault.exportView(to: out, session: analyst, purpose: "analytics")
        #expect(try lastEntry().purpose == "analytics")
    }

    @Test func lookupsByAFieldTheRoleCannotSeeAreRefused() throws {
        let analyst = try #require(sessions["analyst"])
        #expect(throws: VaultError.notPermitted("role analyst cannot look customers up by email")) {
            _ = try fixture.vault.find(.email("ada@example.com"), session: analyst, purpose: "analytics")
        }
        let support = try #require(sessions["support"])
        let found = try fixture.vault.find(.email(" ADA@example.com"), session: support, purpose: "support_case")
        #expect(found.first?["email"] == "a***@e***.com")
    }

    @Test func tokensAuthenticateUntilRevoked() throws {
        let token = try fixture.vault.addUser(name: "temp", role: "sales", by: fixture.admin)
        #expect(token.hasPrefix("coffer_") && Vault.userID(inToken: token) != nil && token.split(separator: "_").last?.count == 64)
        #expect(try fixture.vault.authenticate(token: token).role == "sales")
        // Only a hash is stored.
        #expect(!(try fixture.storedBytes()).contains(Array(token.utf8)))
        try fixture.vault.setRole(of: "temp", to: "support", by: fixture.admin)
        #expect(try fixture.vault.authenticate(token: token).role == "support")
        try fixture.vault.revokeUser("temp", by: fixture.admin)
        #expect(throws: VaultError.notAuthenticated) { _ = try fixture.vault.authenticate(token: token) }
        #expect(try lastEntry().detail == "revoked user")
        #expect(throws: VaultError.notAuthenticated) { _ = try fixture.vault.authenticate(token: nil) }
        #expect(throws: VaultError.notAuthenticated) { _ = try fixture.vault.authenticate(token: "coffer_" + String(repeating: "0", count: 64)) }
        #expect(try lastEntry().detail == "unknown token")
        #expect(throws: VaultError.self) { _ = try fixture.vault.addUser(name: "temp", role: "sales", by: fixture.admin) }
        #expect(throws: VaultError.self) { _ = try fixture.vault.addUser(name: "x", role: "janitor", by: fixture.admin) }
        #expect(throws: VaultError.self) { _ = try fixture.vault.addUser(name: "Bad Name", role: "sales", by: fixture.admin) }
        #expect(try fixture.vault.users(by: fixture.admin).map(\.name) == ["admin", "analyst-user", "auditor-user", "sales-user", "support-user", "temp"])
    }

    @Test func aFailingAuditWriteFailsTheReadAndReleasesNothing() throws {
        try fixture.vault.database.write { db in
            try db.execute(sql: "CREATE TEMP TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        var view: CustomerView?
        #expect(throws: VaultError.self) { view = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
        #expect(view == nil)
        #expect(throws: VaultError.self) { _ = try fixture.vault.find(.email("ada@example.com"), session: fixture.admin, purpose: "operations") }
        // A write whose audit entry cannot be written does not happen either.
        #expect(throws: VaultError.self) { try fixture.vault.put(["customer_ref": "CUS-0001", "city": "Paris"], session: fixture.admin) }
        try fixture.vault.database.write { db in try db.execute(sql: "DROP TRIGGER audit_down") }
        #expect(try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")["city"] == "London")
    }

    @Test func aReadOnlyDatabaseFailsClosed() throws {
        chmod(fixture.vault.databasePath, 0o400)
        chmod(fixture.vault.databasePath + "-wal", 0o400)
        defer {
            chmod(fixture.vault.databasePath, 0o600)
            chmod(fixture.vault.databasePath + "-wal", 0o600)
        }
        guard getuid() != 0 else { return } // root ignores file modes; the trigger test covers this path
        let reopened = try fixture.reopen()
        #expect(throws: VaultError.self) { _ = try reopened.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
    }

    @Test func checkpointsDetectTruncationAndRewrites() throws {
        let auditor = try #require(sessions["auditor"])
        let checkpoint = try fixture.vault.auditCheckpoint(session: auditor)
        let json = try JSONEncoder().encode(checkpoint)
        #expect(checkpoint.isSigned(by: fixture.vault.keyRing.signingKey.publicKey))
        #expect(try fixture.vault.verifyAudit(session: auditor, checkpointJSON: json).isIntact)
        // The PEM a reviewer exports verifies the checkpoint offline.
        let pem = try fixture.vault.signingPublicKeyPEM(session: auditor)
        #expect(checkpoint.isSigned(by: try Ed25519.PublicKey(pemRepresentation: pem)))
        var forged = checkpoint
        forged.seq += 1
        #expect(!forged.isSigned(by: try Ed25519.PublicKey(pemRepresentation: pem)))
        #expect(try fixture.vault.verifyAudit(session: auditor, checkpointJSON: JSONEncoder().encode(forged)).problem == "the checkpoint's signature does not verify")

        // Truncate the tail back past the checkpoint: the chain alone still verifies, the checkpoint does not.
        try fixture.vault.database.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE seq >= ?", arguments: [checkpoint.seq - 2]) }
        #expect(try fixture.vault.verifyAudit().isIntact)
        let truncated = try fixture.vault.verifyAudit(session: auditor, checkpointJSON: json)
        #expect(truncated.firstBadSeq == checkpoint.seq - 2)
        #expect(truncated.problem?.contains("truncated") == true)
    }

    @Test func aRewrittenTailIsDetectedByTheCheckpoint() throws {
        let auditor = try #require(sessions["auditor"])
        let checkpoint = try fixture.vault.auditCheckpoint(session: auditor)
        // An insider with the audit key (simulated here) rewrites the last entry consistently.
        try fixture.vault.database.write { db in
            let chain = try AuditChain(auditKey: fixture.vault.keyRing.auditKey, vaultID: fixture.vault.keyRing.vaultID)
            let previous = [UInt8](try Data.fetchOne(db, sql: "SELECT mac FROM audit_log WHERE seq = ?", arguments: [checkpoint.seq - 1])!)
            var entry = try Vault.entry(from: try Row.fetchOne(db, sql: "SELECT * FROM audit_log WHERE seq = ?", arguments: [checkpoint.seq])!)
            entry.detail = "nothing to see"
            let mac = try chain.mac(for: entry, previous: previous)
            try db.execute(sql: "UPDATE audit_log SET detail = ?, mac = ? WHERE seq = ?", arguments: [entry.detail, Data(mac), entry.seq])
            try db.execute(sql: "DELETE FROM audit_log WHERE seq > ?", arguments: [entry.seq])
        }
        let result = try fixture.vault.verifyAudit(session: auditor, checkpointJSON: JSONEncoder().encode(checkpoint))
        #expect(result.firstBadSeq == checkpoint.seq)
        #expect(result.problem == "entry \(checkpoint.seq) differs from the signed checkpoint: the chain was rewritten")
    }

    @Test func policyChangesAreValidatedAndAuditedWithTheirDigest() throws {
        let old = fixture.vault.policy.digest
        let text = try TestVault.policyYAML().replacingOccurrences(of: "      postal_code: { view: generalized, prefix: 2 }", with: "      postal_code: { view: generalized, prefix: 3 }")
        #expect(text != (try TestVault.policyYAML()))
        try fixture.vault.applyPolicy(yaml: text, file: "new.yaml", by: fixture.admin)
        #expect(fixture.vault.policy.digest != old)
        #expect(try lastEntry().detail == "policy \(old) -> \(fixture.vault.policy.digest)")
        // It survives a reopen (stored in the vault).
        #expect(try fixture.reopen().policy.digest == fixture.vault.policy.digest)
        // Invalid or admin-less policies are refused and change nothing.
        #expect(throws: VaultError.self) { try fixture.vault.applyPolicy(yaml: "roles:\n  x:\n    actions: [fly]\n", file: "bad.yaml", by: fixture.admin) }
        #expect(throws: VaultError.self) {
            try fixture.vault.applyPolicy(yaml: "roles:\n  x:\n    actions: [read]\n", file: "noadmin.yaml", by: fixture.admin)
        }
        let analyst = try #require(sessions["analyst"])
        #expect(throws: VaultError.self) { try fixture.vault.applyPolicy(yaml: text, file: "new.yaml", by: analyst) }
    }

    @Test func explainShowsARoleFieldByField() throws {
        #expect(throws: VaultError.self) { _ = try fixture.vault.explain(role: "support", customer: "CUS-0001", candidate: nil, by: fixture.admin) }
        let explanation = try fixture.vault.explain(role: "support", customer: "CUS-0001", candidate: nil, by: fixture.admin, purpose: "operations")
        #expect(explanation.fields.first { $0.name == "email" }?.view == "masked")
        #expect(explanation.fields.first { $0.name == "email" }?.value == "a***@e***.com")
        #expect(explanation.fields.first { $0.name == "notes" }?.view == "redacted")
        #expect(explanation.fields.first { $0.name == "notes" }?.value == nil)
    }

    @Test func accessStateEditedBySQLIsRefused() throws {
        // A user's role raised by SQL: the token stops working.
        let sales = try #require(sessions["sales"])
        try fixture.vault.database.write { db in try db.execute(sql: "UPDATE users SET role = 'admin' WHERE name = 'sales-user'") }
        #expect(throws: VaultError.notAuthenticated) { _ = try fixture.vault.users(by: sales) }
        // The stored policy edited by SQL: the vault refuses to open.
        try fixture.vault.database.write { db in
            try db.execute(sql: "UPDATE meta SET value = CAST(replace(CAST(value AS TEXT), 'analytics', 'analytix') AS BLOB) WHERE key = 'policy'")
        }
        #expect(throws: VaultError.corruptVault("the stored role policy was changed outside `coffer policy apply`")) { _ = try fixture.reopen() }
    }

    @Test func aSessionLosesItsRightsWhenItsUserIsRevokedOrDemoted() throws {
        let token = try fixture.vault.addUser(name: "boss", role: "admin", by: fixture.admin)
        let boss = try fixture.vault.authenticate(token: token)
        #expect(try fixture.vault.users(by: boss).count == 6)
        try fixture.vault.setRole(of: "boss", to: "sales", by: fixture.admin)
        #expect(throws: VaultError.notPermitted("role sales may not manage users")) { _ = try fixture.vault.users(by: boss) }
        try fixture.vault.revokeUser("boss", by: fixture.admin)
        #expect(throws: VaultError.notAuthenticated) { _ = try fixture.vault.customer(reference: "CUS-0001", session: boss, purpose: "prospecting") }
    }

    @Test func exportNeverDeletesWhatItDidNotCreate() throws {
        let directory = fixture.directory + "/precious"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "keep".write(toFile: directory + "/important.txt", atomically: true, encoding: .utf8)
        #expect(throws: VaultError.self) { try fixture.vault.exportView(to: directory, session: fixture.admin, purpose: "operations") }
        #expect(FileManager.default.fileExists(atPath: directory + "/important.txt"))
        #expect(throws: VaultError.self) { try fixture.vault.exportView(to: fixture.vaultPath, session: fixture.admin, purpose: "operations") }
        #expect(FileManager.default.fileExists(atPath: fixture.vault.databasePath))
    }

    @Test func noPlaintextValueReachesTheAuditLogOrAnError() throws {
        var messages: [String] = []
        for role in roles {
            let session = try #require(sessions[role])
            for attempt: () throws -> Void in [
                { _ = try fixture.vault.customer(reference: "CUS-0001", session: session, purpose: "operations") },
                { _ = try fixture.vault.find(.email("ada@example.com"), session: session, purpose: "operations") },
                { try fixture.vault.put(["customer_ref": "CUS-0001", "email": "not an email"], session: session) },
                { try fixture.vault.put(["customer_ref": "CUS-0001", "phone": "Ada Lovelace"], session: session) },
            ] {
                do { try attempt() } catch { messages.append("\(error)") }
            }
        }
        #expect(messages.count >= 10)
        let log = try fixture.vault.auditEntries(AuditQuery()).map { "\($0)" }.joined()
        let values = sampleCustomer.values.compactMap { $0 }.filter { $0.count >= 6 } + ["Analytical Engines", "not an email"]
        for value in values {
            #expect(!log.contains(value), "audit log holds a value")
            for message in messages { #expect(!message.contains(value), "an error holds a value") }
        }
    }
}
