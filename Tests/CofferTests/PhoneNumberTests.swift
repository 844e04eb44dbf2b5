import CofferSupport
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer

@Suite struct PhoneNumberTests {
    /// National forms of each region the table covers, with trunk prefixes, and the international
    /// forms (+, 00, "(0)", a wrong trunk 0 after the country code) of the same numbers.
    @Test(arguments: [
        ("213-555-0142", "US", "+12135550142"), ("2135550142", "US", "+12135550142"), ("(213) 555-0142", "US", "+12135550142"),
        ("1 213 555 0142", "US", "+12135550142"), ("+1 (213) 555-0142", nil, "+12135550142"), ("011 44 121 496 0613", "US", "+441214960613"),
        ("416.555.0123", "CA", "+14165550123"),
        ("0121 496 0613", "GB", "+441214960613"), ("+44 121 496 0613", nil, "+441214960613"), ("0044 121 496 0613", "US", "+441214960613"),
        ("+44 (0)121 496 0613", nil, "+441214960613"), ("+44 0121 496 0613", nil, "+441214960613"), ("07700 900123", "GB", "+447700900123"),
        ("030 12345678", "DE", "+493012345678"), ("+49 (0)30 12345678", nil, "+493012345678"),
        ("01 23 45 67 89", "FR", "+33123456789"), ("01.23.45.67.89", "fr", "+33123456789"),
        ("91 123 4567", "ES", "+34911234567"), ("06 1234 5678", "IT", "+390612345678"), ("+39 06 1234 5678", nil, "+390612345678"),
        ("020 123 4567", "NL", "+31201234567"), ("22 123 45 67", "PL", "+48221234567"), ("044 123 4567", "UA", "+380441234567"),
        ("010-12345678", "CN", "+861012345678"), ("138 1234 5678", "CN", "+8613812345678"), ("03-1234-5678", "JP", "+81312345678"),
        ("022 1234 5678", "IN", "+912212345678"), ("(11) 91234-5678", "BR", "+5511912345678"), ("55 1234 5678", "MX", "+525512345678"),
        ("02 1234 5678", "AU", "+61212345678"), ("08-123 456 78", "SE", "+46812345678"), ("01 234 5678", "IE", "+35312345678"),
        ("21 123 4567", "PT", "+351211234567"), ("02-123-4567", "KR", "+8221234567"), ("+41 44 668 18 00", nil, "+41446681800"),
    ] as [(String, String?, String)])
    func normalizesToE164(input: String, region: String?, expected: String) throws {
        #expect(try PhoneNumbering.e164(input, region: region) == expected)
    }

    @Test(arguments: [
        ("213-555-014", "US", PhoneNumbering.Problem.wrongLength(region: "US", lengths: 10...10)),
        ("113-555-0142", "US", .invalidForRegion("US")),
        ("0121 49", "GB", .wrongLength(region: "GB", lengths: 7...10)),
        ("01 23 45 67", "FR", .wrongLength(region: "FR", lengths: 9...9)),
        ("+999 1234 5678", nil, .unknownCountryCode),
        ("0121 496 0613", nil, .noRegion),
        ("044 668 18 00", "CH", .regionNotCovered("CH")),
        ("213-555-CALL", "US", .notANumber),
        ("+1 213 555 0142 ext 5", nil, .notANumber),
        ("+44 1234567890123456", nil, .tooLong),
        ("", "US", .notANumber),
    ] as [(String, String?, PhoneNumbering.Problem)])
    func refusesInvalidNumbers(input: String, region: String?, problem: PhoneNumbering.Problem) {
        #expect(throws: problem) { _ = try PhoneNumbering.e164(input, region: region) }
    }

    @Test func schemaSetsTheRegionAndRefusesUnknownOnes() throws {
        let base = "fields:\n  customer_ref: {type: string, classification: identifier, blind_index: true, required: true}\n"
        let schema = try Schema.load(yaml: "phone_region: gb\n" + base + "  phone: {type: phone, classification: identifier}\n  fax: {type: phone, classification: identifier, region: DE}\n", file: "s.yaml")
        #expect(schema.phoneRegion == "GB")
        #expect(schema["phone"]?.region == "GB")
        #expect(schema["fax"]?.region == "DE")
        #expect(try schema["phone"]?.normalize("0121 496 0613") == "+441214960613")
        #expect(try schema["fax"]?.normalize("030 12345678") == "+493012345678")
        #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: "phone_region: XX\n" + base, file: "s.yaml") }
        #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: base + "  city: {type: string, classification: identifier, region: US}\n", file: "s.yaml") }
        #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: base + "  phone: {type: phone, classification: identifier, region_from: nowhere}\n", file: "s.yaml") }
        // Without any region, a national number is refused with the setting to add.
        let bare = try Schema.load(yaml: base + "  phone: {type: phone, classification: identifier}\n", file: "s.yaml")
        #expect(throws: ValueRejection(field: "phone", reason: PhoneNumbering.Problem.noRegion.description)) { _ = try bare["phone"]?.normalize("213-555-0142") }
        #expect(PhoneNumbering.Problem.noRegion.description.contains("phone_region"))
    }

    @Test func importReadsEachRowInItsCountryAndRejectsWithTheReason() throws {
        let fixture = try TestVault()
        let csv = """
            customer_ref,full_name,phone,country
            CUS-1,Ada,0121 496 0613,GB
            CUS-2,Grace,(213) 555-0142,
            CUS-3,Hedy,030 12345678,DE
            CUS-4,Bad,0121 49,GB
            CUS-5,Worse,+999 1234 5678,US
            CUS-6,Letters,213-555-CALL,US

            """
        let report = try fixture.vault.importCSV(.customers, path: try fixture.file("p.csv", csv), session: fixture.admin)
        #expect(report.inserted == 3)
        #expect(report.rejections.map(\.line) == [5, 6, 7])
        #expect(report.rejections[0].reason == "phone: " + PhoneNumbering.Problem.wrongLength(region: "GB", lengths: 7...10).description)
        #expect(report.rejections[1].reason == "phone: " + PhoneNumbering.Problem.unknownCountryCode.description)
        #expect(report.rejections[2].reason == "phone: " + PhoneNumbering.Problem.notANumber.description)
        for rejection in report.rejections { #expect(!rejection.reason.contains("496") && !rejection.reason.contains("CALL")) }
        // Stored in E.164; national and international forms find the same customer.
        let ada = try fixture.vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")
        #expect(ada["phone"] == "+441214960613")
        for (query, region) in [("+44 121 496 0613", nil), ("0121 496 0613", "GB"), ("0044 121 4960613", nil)] as [(String, String?)] {
            #expect(try fixture.vault.find(.phone(query), region: region, session: fixture.admin, purpose: "operations").map(\.id) == [ada.id])
        }
        let grace = try fixture.vault.customer(reference: "CUS-2", session: fixture.admin, purpose: "operations")
        for query in ["213-555-0142", "2135550142", "+1 (213) 555-0142"] {
            #expect(try fixture.vault.find(.phone(query), session: fixture.admin, purpose: "operations").map(\.id) == [grace.id])
        }
        // A miss names the normalized form looked for; a national number is read in the schema's region.
        #expect(throws: VaultError.noMatch(field: "phone", lookedFor: "+12135550199")) {
            _ = try fixture.vault.find(.phone("213 555 0199"), session: fixture.admin, purpose: "operations")
        }
        // A put reads the number in the country it is given with.
        try fixture.vault.put(["customer_ref": "CUS-7", "full_name": "Marie", "phone": "01 23 45 67 89", "country": "FR"], session: fixture.admin)
        #expect(try fixture.vault.customer(reference: "CUS-7", session: fixture.admin, purpose: "operations")["phone"] == "+33123456789")
        #expect(throws: VaultError.self) { try fixture.vault.put(["customer_ref": "CUS-8", "full_name": "X", "phone": "0121 496 0613"], session: fixture.admin) }
    }

    /// A vault written before E.164: phones stored as typed, indexed over their digits, no marker.
    @Test func reindexMigratesAnOldVault() throws {
        let fixture = try TestVault()
        let vault = fixture.vault
        let spec = try #require(vault.schema["phone"])
        let columns = ["customer_ref", "full_name", "phone", "country"].map { vault.schema[$0]! }
        let rows = [
            CustomerUpsert(line: 0, reference: "CUS-1", values: ["CUS-1", "Ada", "0121 496 0613", "GB"]),
            CustomerUpsert(line: 0, reference: "CUS-2", values: ["CUS-2", "Grace", "+1 (213) 555-0142", "US"]),
            CustomerUpsert(line: 0, reference: "CUS-3", values: ["CUS-3", "Nobody", "12 34", nil]),
        ]
        _ = try vault.store.write { tx in try vault.upsertCustomers(rows, columns: columns, workers: vault.makeWorkers(), in: tx) }
        try vault.database.write { db in try db.execute(sql: "DELETE FROM meta WHERE key = 'phone_index'") }
        #expect(spec.blindIndexForm(ofNormalized: "0121 496 0613") == "01214960613")
        // Phone lookups are refused until the index is recomputed; other lookups are not.
        #expect(throws: VaultError.reindexRequired) { _ = try vault.find(.phone("+44 121 496 0613"), session: fixture.admin, purpose: "operations") }
        // Only an administrator (manage_keys) may reindex.
        let analyst = try vault.authenticate(token: vault.addUser(name: "ana", role: "analyst", by: fixture.admin))
        #expect(throws: VaultError.self) { _ = try vault.reindexPhones(session: analyst, region: nil) }

        let report = try vault.reindexPhones(session: fixture.admin, region: nil)
        #expect(report == ReindexReport(customers: 3, rewritten: 2, notNormalized: [3]))
        #expect(try vault.customer(reference: "CUS-1", session: fixture.admin, purpose: "operations")["phone"] == "+441214960613")
        #expect(try vault.find(.phone("0121 496 0613"), region: "GB", session: fixture.admin, purpose: "operations").map(\.id) == [1])
        #expect(try vault.find(.phone("213-555-0142"), session: fixture.admin, purpose: "operations").map(\.id) == [2])
        // The number that cannot be normalized is kept but out of the index.
        #expect(try vault.customer(reference: "CUS-3", session: fixture.admin, purpose: "operations")["phone"] == "12 34")
        let entries = try vault.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blind_index WHERE customer_id = 3 AND field = ?", arguments: [vault.schema.index(of: "phone")!]) }
        #expect(entries == 0)
        let audit = try #require(vault.auditEntries(AuditQuery(action: .reindex)).last)
        #expect(audit.actor == "admin" && audit.detail.contains("2 rewritten"))
        // Idempotent: a second run changes nothing.
        #expect(try vault.reindexPhones(session: fixture.admin, region: nil) == ReindexReport(customers: 3, rewritten: 0, notNormalized: [3]))
    }
}

@Suite struct ErasureRecordTests {
    @Test func erasureNeedsAPurposeAndLeavesARecordWithoutPII() throws {
        let fixture = try TestVault()
        let vault = fixture.vault
        try vault.put(sampleCustomer, session: fixture.admin)
        _ = try vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        #expect(throws: VaultError.purposeRequired(["operations", "data_subject_request", "support_case"])) {
            try vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: nil)
        }
        #expect(throws: VaultError.purposeNotAllowed(allowed: ["operations", "data_subject_request", "support_case"])) {
            try vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: "curiosity")
        }
        #expect(try vault.customerCount() == 1)
        let record = try vault.erase(reference: "CUS-0001", session: fixture.admin, purpose: "data_subject_request")
        #expect(record.customerID == 1 && record.actor == "admin" && record.role == "admin" && record.purpose == "data_subject_request")
        #expect(record.erasedAt.hasSuffix("Z"))
        let entry = try #require(vault.auditEntries(AuditQuery(action: .erase)).last)
        #expect(entry.seq == record.auditEntry && entry.customers.contains(1))
        // The stored record holds no reference, in the database file or its logs.
        let bytes = try fixture.storedBytes()
        for secret in ["CUS-0001", "Ada Lovelace", "ada@example.com"] { #expect(bytes.firstRange(of: Array(secret.utf8)) == nil, "\(secret)") }
        let rows = try vault.database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM erasures") }
        #expect(rows.count == 1)
        #expect((rows[0]["ref_digest"] as Data).count == CryptoWorker.indexDigestByteCount)
        // The audit trail and the record still answer for the erased customer.
        let trail = try vault.customerAuditTrail(AuditQuery(), reference: "CUS-0001", session: fixture.admin, purpose: "data_subject_request")
        #expect(trail.customerID == 1 && trail.erasure == record)
        #expect(trail.entries.map(\.action).contains(.read) && trail.entries.last?.action == .erase)
        #expect(try vault.auditLog(AuditQuery(), customerReference: "CUS-0001", session: fixture.admin, purpose: "operations").count == trail.entries.count + 1) // + the trail's own audit_read entry
        // A record edited by SQL no longer matches the chain and is refused.
        try vault.database.write { db in
            try db.execute(sql: "DROP TRIGGER erasures_no_update")
            try db.execute(sql: "UPDATE erasures SET actor = 'mallory'")
        }
        #expect(throws: VaultError.self) { _ = try vault.customerAuditTrail(AuditQuery(), reference: "CUS-0001", session: fixture.admin, purpose: "operations") }
    }
}
