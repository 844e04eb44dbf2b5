import CofferCrypto
import CofferDemoData
import CofferSupport
import CofferTestSupport
import Foundation
import GRDB
import Testing
@testable import Coffer
@testable import CofferReview

/// A vault with demo customers and a period's worth of activity by every kind of user, and a
/// review package of today exported by an auditor. Built once; tests that change files copy it.
// @unchecked: every property is a `let` set in init; the suite's tests only read them.
final class ReviewFixture: @unchecked Sendable {
    let fixture: TestVault
    let auditor: Session, analyst: Session, sales: Session
    let package: String
    let result: ReviewExportResult
    let publicKeyPEM: String
    /// Plaintext values imported into the vault (names, emails, phones, addresses, references, notes).
    let plaintexts: [String]
    let adaID: Int64

    static let shared: ReviewFixture = { do { return try ReviewFixture() } catch { fatalError("review fixture: \(error)") } }()

    init() throws {
        fixture = try TestVault()
        let vault = fixture.vault, admin = fixture.admin
        let demo = fixture.directory + "/demo"
        _ = try DemoData.write(customers: 200, seed: 21, to: demo)
        _ = try vault.importCSV(.customers, path: demo + "/customers.csv", session: admin)
        adaID = try vault.put(sampleCustomer, session: admin).id
        analyst = try vault.authenticate(token: vault.addUser(name: "ana", role: "analyst", by: admin))
        sales = try vault.authenticate(token: vault.addUser(name: "sam", role: "sales", by: admin))
        auditor = try vault.authenticate(token: vault.addUser(name: "rita", role: "auditor", by: admin))
        // A day of work: single reads, a bulk export, a re-identification, denials, an erasure,
        // a failed sign-in, a policy change and a key rotation.
        _ = try vault.customer(reference: "CUS-0001", session: admin, purpose: "operations")
        _ = try vault.customer(reference: "CUS-0001", session: sales, purpose: "prospecting")
        _ = try vault.find(.email("ada@example.com"), session: sales, purpose: "prospecting")
        let view = fixture.directory + "/view.csv"
        try vault.exportView(to: view, session: analyst, purpose: "analytics")
        let pseudonym = String(try String(contentsOfFile: view, encoding: .utf8).split(separator: "\n")[1].split(separator: ",")[0])
        _ = try vault.reidentify([pseudonym], domain: "analytics", session: admin, purpose: "operations")
        _ = try? vault.keyStatus(session: analyst)
        _ = try? vault.customer(reference: "CUS-0001", session: analyst, purpose: "analytics")
        _ = try? vault.authenticate(token: "coffer_" + String(repeating: "0", count: 64))
        try vault.erase(reference: "CUS-0000002", session: admin, purpose: "data_subject_request")
        let original = try TestVault.policyYAML()
        let changed = original.replacingOccurrences(of: "      phone: plain\n      city: plain\n", with: "      city: plain\n")
        precondition(changed != original)
        try vault.applyPolicy(yaml: changed, file: "roles.yaml", by: admin)
        try vault.rotateKEK(session: admin)
        package = fixture.directory + "/package"
        let today = CivilDate.today
        result = try vault.exportReviewPackage(period: ReviewPeriod(from: today.adding(days: -1), to: today), to: package, session: auditor)
        publicKeyPEM = try vault.signingPublicKeyPEM(session: auditor)
        var values: [String] = []
        let reader = try CSVReader(path: demo + "/customers.csv")
        let header = try reader.next()!.fields
        let columns = ["customer_ref", "full_name", "email", "phone", "street_address", "notes"].map { header.firstIndex(of: $0)! }
        while let record = try reader.next() {
            values += columns.map { record.fields[$0].trimmingCharacters(in: .whitespaces) }.filter { $0.count >= 6 }
        }
        values += ["CUS-0001", "Ada Lovelace", "ada@example.com", "+44 20 7946 0958", "7946 0958", "12 St James's Square", "Prefers email"]
        plaintexts = values
    }

    func file(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: package + "/" + name)))
    }

    func lines(_ name: String) throws -> [String] {
        String(decoding: try file(name), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func summaryJSON() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try file(ReviewPackage.summary))) as! [String: Any]
    }

    /// A copy of the package to tamper with.
    func copy() throws -> String {
        let path = fixture.directory + "/copy-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: package, toPath: path)
        return path
    }
}

@Suite struct ReviewPackageTests {
    var shared: ReviewFixture { ReviewFixture.shared }
    static let allFiles = ReviewPackage.contentFiles + [ReviewPackage.manifest]

    @Test func aFreshPackageVerifiesWithThePublicKeyAlone() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: shared.package).sorted()
        #expect(files == Self.allFiles.sorted())
        let result = ReviewPackage.verify(directory: shared.package, publicKeyPEM: shared.publicKeyPEM)
        #expect(result.isValid, "\(result.problems)")
        #expect(result.problems.isEmpty)
        let manifest = try #require(result.manifest)
        #expect(manifest.files.map(\.name) == ReviewPackage.contentFiles)
        #expect(manifest.entries == shared.result.entries && manifest.entries > 10)
        // The head is the export's own audit entry, and the checkpoint signs it.
        let head = try #require(try shared.fixture.vault.auditEntries(AuditQuery(action: .reviewExport)).last)
        #expect(manifest.head.seq == head.seq && manifest.head.mac == head.mac.hexString)
        let key = try Ed25519.PublicKey(pemRepresentation: shared.publicKeyPEM)
        #expect(manifest.checkpoint.seq == head.seq && manifest.checkpoint.isSigned(by: key))
        // Files are private to the exporting user.
        for name in Self.allFiles {
            #expect(try FileManager.default.attributesOfItem(atPath: shared.package + "/" + name)[.posixPermissions] as? Int == 0o600)
        }
    }

    @Test(arguments: allFiles) func changingAnyFileIsDetectedAndNamed(_ name: String) throws {
        let copy = try shared.copy()
        let path = copy + "/" + name
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Flip one byte in the middle (for the manifest: a hex digit of a file digest, so it stays JSON).
        let index = name == ReviewPackage.manifest
            ? String(decoding: bytes, as: UTF8.self).utf8.count - 40
            : bytes.count / 2
        bytes[index] = bytes[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM)
        #expect(!result.isValid)
        #expect(result.problems.contains { $0.hasPrefix(name) }, "\(result.problems)")
    }

    @Test(arguments: allFiles) func removingAnyFileIsDetectedAndNamed(_ name: String) throws {
        let copy = try shared.copy()
        try FileManager.default.removeItem(atPath: copy + "/" + name)
        let result = ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM)
        #expect(!result.isValid)
        #expect(result.problems.contains { $0.hasPrefix(name) && $0.contains("missing") }, "\(result.problems)")
    }

    @Test(arguments: ["notes.txt", ".hidden", "events.jsonl.bak"]) func addingAFileIsDetectedAndNamed(_ name: String) throws {
        let copy = try shared.copy()
        try Data("added".utf8).write(to: URL(fileURLWithPath: copy + "/" + name))
        let result = ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM)
        #expect(!result.isValid)
        #expect(result.problems == ["\(name) is not in the manifest (added after the package was signed)"])
    }

    @Test func aReplacedFileOrADirectoryInPlaceOfAFileIsDetected() throws {
        let copy = try shared.copy()
        try FileManager.default.removeItem(atPath: copy + "/events.csv")
        try FileManager.default.createDirectory(atPath: copy + "/events.csv", withIntermediateDirectories: false)
        try FileManager.default.removeItem(atPath: copy + "/report.html")
        try FileManager.default.createSymbolicLink(atPath: copy + "/report.html", withDestinationPath: shared.package + "/report.html")
        let problems = ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM).problems
        #expect(problems.contains("events.csv is not a regular file"))
        #expect(problems.contains("report.html is not a regular file"))
    }

    @Test func aRewrittenManifestDoesNotVerify() throws {
        let copy = try shared.copy()
        // Re-encode the manifest with one more entry claimed: valid JSON, bad signature.
        var manifest = try JSONDecoder().decode(ReviewManifest.self, from: Data(contentsOf: URL(fileURLWithPath: copy + "/MANIFEST.json")))
        manifest.entries += 1
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: copy + "/MANIFEST.json"))
        let result = ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM)
        #expect(result.problems == ["MANIFEST.json: the signature does not verify (the manifest was changed after signing)"])
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: copy + "/MANIFEST.json"))
        #expect(ReviewPackage.verify(directory: copy, publicKeyPEM: shared.publicKeyPEM).problems
                == ["MANIFEST.json is not a Coffer review manifest (it was changed or truncated)"])
    }

    @Test func anotherVaultsKeyOrAMalformedKeyFails() throws {
        let other = try TestVault()
        let otherKey = try other.vault.signingPublicKeyPEM(session: other.admin)
        let result = ReviewPackage.verify(directory: shared.package, publicKeyPEM: otherKey)
        #expect(!result.isValid)
        #expect(result.problems.first == "MANIFEST.json was signed with another key than the one given (another vault, or a replaced manifest)")
        #expect(result.problems.contains("MANIFEST.json: the audit checkpoint's signature does not verify"))
        let garbage = ReviewPackage.verify(directory: shared.package, publicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        #expect(garbage.problems == ["the public key is not an Ed25519 public key PEM (use the output of `coffer audit public-key`)"])
        #expect(ReviewPackage.verify(directory: shared.package + "/nope", publicKeyPEM: shared.publicKeyPEM).problems.first?.hasSuffix("is not a directory") == true)
    }

    @Test func noImportedPlaintextAppearsInAnyFile() throws {
        #expect(shared.plaintexts.count > 600)
        for name in Self.allFiles {
            let bytes = try shared.file(name)
            let text = String(decoding: bytes, as: UTF8.self)
            for value in shared.plaintexts {
                #expect(!text.contains(value), "\(name) contains an imported value")
            }
        }
    }

    @Test func eventsJSONLHoldsEveryEntryOfThePeriodExactly() throws {
        let entries = try shared.fixture.vault.auditEntries(AuditQuery()).filter { $0.seq <= shared.result.manifest.head.seq }
        let lines = try shared.lines(ReviewPackage.eventsJSONL)
        #expect(lines.count == entries.count && lines.count == shared.result.entries)
        for (line, entry) in zip(lines, entries) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["seq"] as? Int64 == entry.seq)
            #expect(object["actor"] as? String == entry.actor)
            #expect(object["role"] as? String == entry.role)
            #expect(object["action"] as? String == entry.action.rawValue)
            #expect(object["purpose"] as? String == entry.purpose)
            #expect(object["outcome"] as? String == entry.outcome.rawValue)
            #expect(object["fields"] as? [String] == entry.fields)
            #expect(object["customer_count"] as? Int64 == entry.customerCount)
            #expect(object["customers"] as? String == EventFormatter.ranges(entry.customers))
            #expect(object["detail"] as? String == entry.detail)
            #expect(object["mac"] as? String == entry.mac.hexString)
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            #expect(object["time"] as? String == iso.string(from: entry.time))
        }
        // The CSV has the same rows, a header first.
        let reader = try CSVReader(path: shared.package + "/" + ReviewPackage.eventsCSV)
        #expect(try reader.next()?.fields == EventFormatter.csvHeader)
        var rows = 0
        while let record = try reader.next() {
            #expect(record.fields.count == 11)
            #expect(Int64(record.fields[0]) == entries[rows].seq)
            #expect(record.fields[9] == EventFormatter.ranges(entries[rows].customers))
            rows += 1
        }
        #expect(rows == entries.count)
    }

    @Test func ocsfEventsCarryTheRequiredAttributesOfTheirClass() throws {
        var classes: [Int: Int] = [:]
        for line in try shared.lines(ReviewPackage.eventsOCSF) {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let classUID = try #require(event["class_uid"] as? Int)
            let activity = try #require(event["activity_id"] as? Int)
            classes[classUID, default: 0] += 1
            // Base event (OCSF 1.3): classification, occurrence, severity, metadata.
            #expect(event["type_uid"] as? Int == classUID * 100 + activity)
            #expect(event["category_uid"] as? Int == (classUID == 6003 ? 6 : 3))
            #expect((event["time"] as? Int64 ?? 0) > 1_600_000_000_000)
            #expect([1, 2, 3].contains(event["severity_id"] as? Int ?? -1))
            #expect([1, 2].contains(event["status_id"] as? Int ?? -1))
            #expect(event["activity_name"] as? String != nil)
            let metadata = try #require(event["metadata"] as? [String: Any])
            #expect(metadata["version"] as? String == "1.3.0")
            #expect(Int(metadata["uid"] as? String ?? "") != nil)
            let product = try #require(metadata["product"] as? [String: Any])
            #expect(product["name"] as? String == "Coffer" && product["vendor_name"] as? String == "Coffer")
            let unmapped = event["unmapped"] as? [String: Any] ?? [:]
            switch classUID {
            case 6003:
                #expect([1, 2, 3, 4].contains(activity))
                #expect(((event["actor"] as? [String: Any])?["user"] as? [String: Any])?["name"] as? String != nil)
                #expect((event["api"] as? [String: Any])?["operation"] as? String != nil)
                #expect(unmapped["coffer_action"] == nil)
                #expect((event["src_endpoint"] as? [String: Any])?["svc_name"] as? String == "coffer")
                if let resources = event["resources"] as? [[String: Any]] {
                    #expect(!resources.isEmpty && resources.allSatisfy { $0["type"] as? String != nil })
                }
            case 3004:
                #expect([1, 3, 4].contains(activity))
                let entity = try #require(event["entity"] as? [String: Any])
                #expect(entity["name"] as? String != nil || entity["uid"] as? String != nil)
                #expect(entity["type"] as? String != nil)
                #expect((event["actor"] as? [String: Any])?["user"] as? [String: Any] != nil)
                #expect(unmapped["coffer_action"] as? String != nil)
            case 3002:
                #expect(activity == 1)
                #expect((event["user"] as? [String: Any])?["name"] as? String != nil)
                #expect((event["service"] as? [String: Any])?["name"] as? String == "coffer")
                #expect(event["status_id"] as? Int == 2)
                #expect(unmapped["coffer_action"] as? String == "authenticate")
            default:
                Issue.record("unexpected class \(classUID)")
            }
        }
        // The day holds reads (API Activity), user/policy/key changes (Entity Management) and a failed sign-in (Authentication).
        #expect(classes[6003, default: 0] > 5 && classes[3004, default: 0] >= 6 && classes[3002] == 1)
        #expect(classes.values.reduce(0, +) == shared.result.entries)
    }

    @Test func theSummaryReportsTheDayFromEveryAngle() throws {
        let s = shared.result.summary
        #expect(s.auditChain.intact && s.auditChain.head.seq == shared.result.manifest.head.seq)
        #expect(s.totals.entries == shared.result.entries)
        #expect(s.totals.denied == 3)   // keys status and a read by the analyst, a bad token
        #expect(s.denials.listed.map(\.action.rawValue).sorted() == ["authenticate", "key_status", "read"])
        #expect(s.reidentifications.count == 1 && s.reidentifications.listed[0].actor == "admin")
        #expect(s.exports.listed.map(\.action.rawValue) == ["export"] && s.exports.customers == 201)
        #expect(s.erasures.count == 1 && s.erasures.listed[0].customers == "2")
        #expect(s.bulkReads.count == 1 && s.bulkReads.largest.first?.customerCount == 201)
        #expect(s.bulkReads.sizeHistogram.map(\.entries).reduce(0, +) >= 5)
        let ana = try #require(s.byActor.first { $0.actor == "ana" })
        #expect(ana.role == "analyst" && ana.customersRead == 201 && ana.denied == 2)
        #expect(s.byRole.contains { $0.name == "sales" && $0.customersRead == 2 })
        #expect(s.byPurpose.contains { $0.name == "prospecting" && $0.entries == 2 })
        // Keys: KEK v1 superseded but still covering everyone, v2 active; the other keys listed without material.
        let keks = s.keys.keys.filter { $0.kind == "kek" }
        #expect(keks.map(\.state) == ["decrypt_only", "active"])
        #expect(keks[0].customers == 200 && keks[0].overdue && s.keys.overdue == ["kek v1"])
        #expect(Set(s.keys.keys.map(\.kind)) == ["kek", "blind_index", "pseudonym", "audit", "signing"])
        #expect(s.keys.events.listed.map(\.action.rawValue) == ["key_rotate"])
        // Users: privileged admin, role changes (three users added).
        #expect(s.users.privileged == ["admin"])
        #expect(s.users.users.allSatisfy(\.intact) && s.users.inactive.isEmpty)
        #expect(s.users.roleChanges.listed.map(\.detail) == ["user ana role analyst", "user sam role sales", "user rita role auditor"])
        // The policy change with a readable diff taken from the history.
        let change = try #require(s.policy.changes.last)
        #expect(change.diff.contains("\n-      phone: plain\n"))
        #expect(!change.diff.split(separator: "\n").contains { $0.hasPrefix("+") && !$0.hasPrefix("+++") })
        #expect(s.policy.changes.first?.note == "the vault was created with this policy")
        #expect(s.policy.inForceDigest == shared.fixture.vault.policy.digest && change.newDigest == s.policy.inForceDigest)
        // summary.json is the same summary with snake_case keys.
        let json = try shared.summaryJSON()
        #expect((json["totals"] as? [String: Any])?["customers_read"] as? Int64 == s.totals.customersRead)
        #expect(((json["anomalies"] as? [String: Any])?["rules"] as? [Any])?.count == 3)
        #expect((json["settings"] as? [String: Any])?["work_hours_start"] as? Int == 7)
    }

    @Test func theReportIsSelfContainedAndNamesWhatMatters() throws {
        let html = String(decoding: try shared.file(ReviewPackage.report), as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script") && !html.contains("https://"))
        #expect(html.contains("Audit log intact"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        for text in ["Customers read per day, by role", "Denied attempts per day", "Top actors by customers read",
                     "Reads by number of customers", "-      phone: plain", "coffer review verify"] {
            #expect(html.contains(HTML.escape(text)), "\(text)")
        }
    }
}

@Suite struct ReviewRulesTests {
    /// A vault with a quiet month of analyst reads and then a week holding one planted bulk
    /// reader, one off-hours read and bursts of denials.
    let fixture: TestVault
    let auditor: Session
    let period: ReviewPeriod

    static func at(_ day: CivilDate, _ hour: Int, _ minute: Int = 0) -> Int64 {
        Int64(day.daysSinceEpoch) * 86_400_000 + Int64(hour) * 3_600_000 + Int64(minute) * 60_000
    }

    init() throws {
        fixture = try TestVault()
        auditor = try fixture.vault.authenticate(token: fixture.vault.addUser(name: "rita", role: "auditor", by: fixture.admin))
        period = try ReviewPeriod(from: "2026-03-02", to: "2026-03-08")
    }

    func plant(_ actor: String, role: String = "analyst", action: AuditAction = .read, outcome: AuditEntry.Outcome = .ok,
               customers: Int64 = 1, at time: Int64, purpose: String = "analytics", fields: [String] = ["customer_ref"],
               detail: String = "") throws {
        let ids = customers > 0 ? CustomerIDSet(1...customers) : CustomerIDSet()
        let entry = AuditEntry(seq: 0, timeMilliseconds: time, actor: actor, role: role, action: action, purpose: purpose, outcome: outcome,
                               fields: fields, customers: ids, detail: detail, mac: [])
        _ = try fixture.vault.store.write { tx in try fixture.vault.append(entry, in: tx) }
    }

    func export(_ settings: ReviewSettings = ReviewSettings()) throws -> ReviewExportResult {
        try fixture.vault.exportReviewPackage(period: period, settings: settings, to: fixture.directory + "/pkg-" + UUID().uuidString, session: auditor)
    }

    @Test func aPlantedBulkReaderIsFlaggedAndNormalReadersAreNot() throws {
        let start = period.from.adding(days: -28)
        for d in 0..<35 {
            let day = start.adding(days: d)
            for (i, actor) in ["ann", "bob", "cat", "mallory"].enumerated() {
                try plant(actor, customers: Int64(40 + 5 * i + d % 7), at: Self.at(day, 10, i))
            }
        }
        // Mallory, usually ~55 a day, reads 5,000 customers on one day of the period.
        try plant("mallory", action: .export, customers: 5_000, at: Self.at(period.from.adding(days: 3), 11))
        // A newcomer with no baseline reads 900: below the minimum, not flagged.
        try plant("newbie", customers: 900, at: Self.at(period.from.adding(days: 2), 12))
        // A lone sales user with no history and no peers reads 1,500 in a day: nothing to compare
        // with, so listed as unbaselined, not flagged.
        try plant("greedy", role: "sales", customers: 1_500, at: Self.at(period.from.adding(days: 4), 9), purpose: "prospecting")
        let anomalies = try export().summary.anomalies
        let findings = anomalies.findings.filter { $0.rule == Anomalies.readVolume }
        #expect(findings.map(\.actor) == ["mallory"])
        let mallory = try #require(findings.last)
        // 5,000 distinct customers (her usual ones among them).
        #expect(mallory.when == "2026-03-05" && mallory.value == 5_000 && mallory.role == "analyst")
        #expect(mallory.threshold == 1_000)
        #expect(mallory.explanation.contains("its own median of") && mallory.explanation.contains("5000 distinct customers"))
        #expect(anomalies.unbaselined == [.init(actor: "greedy", role: "sales", day: "2026-03-06", customers: 1_500)])
        // A higher minimum does not let the bulk reader through.
        var settings = ReviewSettings()
        settings.minimumDailyReads = 2_000
        #expect(try export(settings).summary.anomalies.findings.filter { $0.rule == Anomalies.readVolume }.map(\.actor) == ["mallory"])
    }

    /// Plants one scoring run of `customers` customers (ids 1...customers) by `actor`.
    func score(_ actor: String, customers: Int64, at time: Int64) throws {
        try plant(actor, action: .score, customers: customers, at: time, purpose: "qualification")
    }

    @Test func ordinaryRepeatedScoringRunsAreNotFlagged() throws {
        // Fourteen scoring runs of the whole 10,000-customer view, spread over the period and a
        // few on one day, by an analyst with a little history; a second analyst scores too.
        for d in 1...3 { try score("ana", customers: 10_000, at: Self.at(period.from.adding(days: -d), 10)) }
        for d in 0..<7 { try score("ana", customers: 10_000, at: Self.at(period.from.adding(days: d), 10)) }
        for minute in 0..<7 { try score("ana", customers: 10_000, at: Self.at(period.from.adding(days: 4), 14, minute)) }
        try score("ben", customers: 10_000, at: Self.at(period.from.adding(days: 2), 11))
        let anomalies = try export().summary.anomalies
        #expect(anomalies.findings.filter { $0.rule == Anomalies.readVolume }.isEmpty)
        #expect(anomalies.unbaselined.isEmpty)
        // The same runs as an analyst's first week (no history, no peers): her first day has
        // nothing to compare with and is listed as unbaselined; the rest are not flagged.
        let fresh = try TestVault()
        let rita = try fresh.vault.authenticate(token: fresh.vault.addUser(name: "rita", role: "auditor", by: fresh.admin))
        for d in 0..<7 {
            for minute in 0..<2 {
                let entry = AuditEntry(seq: 0, timeMilliseconds: Self.at(period.from.adding(days: d), 10, minute), actor: "ana", role: "analyst",
                                       action: .score, purpose: "qualification", outcome: .ok, fields: ["customer_ref"],
                                       customers: CustomerIDSet(1...10_000), detail: "", mac: [])
                _ = try fresh.vault.store.write { tx in try fresh.vault.append(entry, in: tx) }
            }
        }
        let first = try fresh.vault.exportReviewPackage(period: period, to: fresh.directory + "/pkg", session: rita).summary.anomalies
        #expect(first.findings.filter { $0.rule == Anomalies.readVolume }.isEmpty)
        #expect(first.unbaselined == [.init(actor: "ana", role: "analyst", day: "2026-03-02", customers: 10_000)])
    }

    @Test func aSuddenSpikeOverTheActorsOwnHistoryIsFlagged() throws {
        // Ana reads about 300 customers a day for four weeks, and her history inside the period
        // counts too: a spike to 4,000 distinct customers on the period's sixth day is flagged.
        let start = period.from.adding(days: -28)
        for d in 0..<35 {
            try plant("ana", customers: 300 + Int64(d % 5), at: Self.at(start.adding(days: d), 10))
        }
        let spike = AuditEntry(seq: 0, timeMilliseconds: Self.at(period.from.adding(days: 5), 15), actor: "ana", role: "analyst",
                               action: .export, purpose: "analytics", outcome: .ok, fields: ["customer_ref"],
                               customers: CustomerIDSet(20_001...24_000), detail: "", mac: [])
        _ = try fixture.vault.store.write { tx in try fixture.vault.append(spike, in: tx) }
        let findings = try export().summary.anomalies.findings.filter { $0.rule == Anomalies.readVolume }
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.actor == "ana" && finding.when == "2026-03-07" && finding.value == 4_000 + 303)
        #expect(finding.threshold == 1_000)
        // With a lower floor the bar is her own history: 3 x her median of 302.
        var settings = ReviewSettings()
        settings.minimumDailyReads = 1
        let low = try export(settings).summary.anomalies.findings.filter { $0.rule == Anomalies.readVolume }
        #expect(low.map(\.when) == ["2026-03-07"] && low.first?.threshold == 906)
    }

    @Test func aBaselineAboveTheMinimumRaisesTheBar() throws {
        // Heavy readers (2,000 a day) are not flagged at 2,500, but are at 7,000 (> 3 x 2,000).
        let start = period.from.adding(days: -28)
        for d in 0..<28 {
            try plant("heavy", customers: 2_000, at: Self.at(start.adding(days: d), 10))
            try plant("heavy2", customers: 2_000, at: Self.at(start.adding(days: d), 10))
        }
        try plant("heavy", customers: 2_500, at: Self.at(period.from, 10))
        try plant("heavy2", customers: 7_000, at: Self.at(period.from, 10))
        let findings = try export().summary.anomalies.findings.filter { $0.rule == Anomalies.readVolume }
        #expect(findings.map(\.actor) == ["heavy2"])
        #expect(findings.first?.threshold == 6_000)
    }

    @Test func readsOutsideWorkingHoursAreFlagged() throws {
        try plant("ann", customers: 3, at: Self.at(period.from, 10))
        try plant("bob", customers: 2, at: Self.at(period.from, 2, 30))
        try plant("bob", customers: 1, at: Self.at(period.from.adding(days: 1), 19, 5))
        // Denied or audit-only entries at night are not reads of customer data.
        try plant("cat", outcome: .denied, customers: 0, at: Self.at(period.from, 3))
        try plant("cat", action: .auditRead, customers: 0, at: Self.at(period.from, 3))
        let summary = try export().summary
        let findings = summary.anomalies.findings.filter { $0.rule == Anomalies.offHours }
        #expect(findings.map(\.actor) == ["bob"])
        #expect(findings.first?.value == 2 && findings.first?.samples.count == 2)
        #expect(findings.first?.when == "2026-03-02T02:30:00.000Z")
        #expect(summary.byActor.first { $0.actor == "bob" }?.offHoursReads == 2)
        var wide = ReviewSettings()
        try wide.setWorkHours("00-24")
        #expect(try export(wide).summary.anomalies.findings.filter { $0.rule == Anomalies.offHours }.isEmpty)
    }

    @Test func repeatedDenialsAreFlaggedOncePerBurst() throws {
        let day = period.from.adding(days: 2)
        for minute in 0..<6 { try plant("eve", role: "sales", action: .read, outcome: .denied, customers: 0, at: Self.at(day, 10, minute)) }
        for minute in 0..<4 { try plant("dan", role: "sales", action: .read, outcome: .denied, customers: 0, at: Self.at(day, 11, minute)) }
        for hour in 8..<14 { try plant("fay", role: "sales", action: .read, outcome: .denied, customers: 0, at: Self.at(day, hour)) }
        let findings = try export().summary.anomalies.findings.filter { $0.rule == Anomalies.repeatedDenials }
        #expect(findings.count == 1)
        let eve = try #require(findings.first)
        #expect(eve.actor == "eve" && eve.value == 6 && eve.threshold == 5 && eve.when == "2026-03-04T10:00:00.000Z")
        #expect(eve.samples.count == 5)
    }

    @Test func onlyThePeriodIsExported() throws {
        try plant("ann", customers: 3, at: Self.at(period.from.adding(days: -1), 23, 59))
        try plant("ann", customers: 4, at: Self.at(period.from, 0))
        try plant("ann", customers: 5, at: Self.at(period.to, 23, 59))
        try plant("ann", customers: 6, at: Self.at(period.to.adding(days: 1), 0))
        let result = try export()
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: result.directory + "/events.jsonl")), as: UTF8.self)
            .split(separator: "\n")
        #expect(lines.count == 2 && result.entries == 2)
        #expect(lines[0].contains("\"customers\":\"1-4\"") && lines[1].contains("\"customers\":\"1-5\""))
        #expect(result.summary.days.count == 7 && result.summary.days.map(\.entries).reduce(0, +) == 2)
    }

    @Test func csvCellsThatASpreadsheetWouldRunAreNeutralized() throws {
        let hostile = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
        for (i, text) in hostile.enumerated() {
            // The action is typed (no free text can reach its column); every text column is planted.
            try plant(text, role: text, action: .read, customers: 1, at: Self.at(period.from, 10, i), purpose: text, fields: [text], detail: text)
        }
        try plant("<script>alert(1)</script>", at: Self.at(period.from, 11), detail: "<img src=x onerror=alert(1)>")
        let result = try export()
        let reader = try CSVReader(path: result.directory + "/events.csv")
        _ = try reader.next()
        var neutralized = 0
        while let record = try reader.next() {
            for cell in record.fields {
                #expect(!(cell.first.map { "=+-@\t\r".contains($0) } ?? false), "cell \(cell.debugDescription) would run")
            }
            if let actor = hostile.firstIndex(where: { "'" + $0 == record.fields[2] }) {
                // Every text column of the row is neutralized, quoted where CSV needs it, and reads back as written.
                for column in [2, 3, 5, 7, 10] { #expect(record.fields[column] == "'" + hostile[actor]) }
                neutralized += 1
            }
        }
        #expect(neutralized == hostile.count)
        #expect(EventFormatter.csvCell("=1+1") == "'=1+1")
        #expect(EventFormatter.csvCell("a,=b") == "\"a,=b\"")
        #expect(EventFormatter.csvCell("plain") == "plain")
        #expect(EventFormatter.csvCell("-") == "'-")
        // The HTML report escapes the same names.
        let html = try String(contentsOfFile: result.directory + "/report.html", encoding: .utf8)
        #expect(!html.contains("<script>alert") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // And the JSON files still parse.
        for name in [ReviewPackage.eventsJSONL, ReviewPackage.eventsOCSF] {
            for line in try String(contentsOfFile: result.directory + "/" + name, encoding: .utf8).split(separator: "\n") {
                #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
            }
        }
    }
}

@Suite struct ReviewAccessTests {
    let fixture: TestVault
    let sales: Session, analyst: Session, auditor: Session
    let adaID: Int64

    init() throws {
        fixture = try TestVault()
        adaID = try fixture.vault.put(sampleCustomer, session: fixture.admin).id
        try fixture.vault.put(["customer_ref": "CUS-0002", "full_name": "Charles Babbage", "email": "cb@example.com"], session: fixture.admin)
        sales = try fixture.vault.authenticate(token: fixture.vault.addUser(name: "sam", role: "sales", by: fixture.admin))
        analyst = try fixture.vault.authenticate(token: fixture.vault.addUser(name: "ana", role: "analyst", by: fixture.admin))
        auditor = try fixture.vault.authenticate(token: fixture.vault.addUser(name: "rita", role: "auditor", by: fixture.admin))
    }

    var today: ReviewPeriod { try! ReviewPeriod(from: CivilDate.today, to: CivilDate.today) }

    func lastEntry() throws -> AuditEntry { try #require(try fixture.vault.auditEntries(AuditQuery()).last) }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.directory).filter { $0.contains("partial") || $0.hasPrefix("pkg") }
    }

    @Test func theServiceRefusesWithTheReviewsOwnTypedError() async throws {
        let service = VaultService(vault: fixture.vault)
        let auditor = Caller(session: self.auditor)
        let file = try fixture.file("taken", "not a directory")
        await #expect(throws: ReviewError.packageTargetNotADirectory(path: file)) {
            try await service.perform(ExportReviewPackage(period: today, to: file), as: auditor)
        }
        await #expect(throws: ReviewError.vault(.notPermitted("role sales may not audit read"))) {
            try await service.perform(ExportReviewPackage(period: today, to: fixture.directory + "/pkg"), as: Caller(session: sales))
        }
        let exported = try await service.perform(ExportReviewPackage(period: today, to: fixture.directory + "/pkg-ok"), as: auditor)
        #expect(ReviewPackage.verify(directory: exported.directory, publicKeyPEM: try await service.perform(SigningPublicKey(), as: auditor)).isValid)
    }

    @Test(arguments: ["sales", "analyst"]) func rolesWithoutAuditReadCannotExportAndAreAudited(_ role: String) throws {
        let session = role == "sales" ? sales : analyst
        #expect(throws: ReviewError.vault(.notPermitted("role \(role) may not audit read"))) {
            try fixture.vault.exportReviewPackage(period: today, to: fixture.directory + "/pkg", session: session)
        }
        let entry = try lastEntry()
        #expect(entry.action == .reviewExport && entry.outcome == .denied && entry.actor == session.name)
        #expect(try leftovers().isEmpty)
    }

    /// `body` is refused with `expected`, whose description words the problem without a flag.
    func expectRefusal(_ expected: ReviewError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try body() }
        #expect(!expected.description.contains("--"), "\(expected.description)", sourceLocation: sourceLocation)
    }

    @Test func badInputIsRefusedBeforeAnythingIsWritten() throws {
        expectRefusal(.notADate(.first, text: "2026-02-30")) { _ = try ReviewPeriod(from: "2026-02-30", to: "2026-03-01") }
        expectRefusal(.notADate(.last, text: "03/01/2026")) { _ = try ReviewPeriod(from: "2026-02-01", to: "03/01/2026") }
        let (first, last) = (CivilDate(iso8601: "2026-03-02")!, CivilDate(iso8601: "2026-03-01")!)
        expectRefusal(.periodReversed(from: first, to: last)) { _ = try ReviewPeriod(from: "2026-03-02", to: "2026-03-01") }
        #expect(ReviewError.periodReversed(from: first, to: last).description
            == "the first day of the period 2026-03-02 is after the last day of the period 2026-03-01; give the first day of the period, then the last")
        let (old, recent) = (CivilDate(iso8601: "2000-01-01")!, CivilDate(iso8601: "2026-01-01")!)
        expectRefusal(.periodTooLong(from: old, to: recent, maximumDays: ReviewPeriod.maximumDays)) {
            _ = try ReviewPeriod(from: "2000-01-01", to: "2026-01-01")
        }
        var settings = ReviewSettings()
        expectRefusal(.settingOutOfRange(.workHours)) { try settings.setWorkHours("19-07") }
        expectRefusal(.workHoursMalformed("7h-19h")) { try settings.setWorkHours("7h-19h") }
        settings = ReviewSettings()
        settings.denialThreshold = 1
        expectRefusal(.settingOutOfRange(.denialThreshold)) {
            _ = try fixture.vault.exportReviewPackage(period: today, settings: settings, to: fixture.directory + "/pkg", session: auditor)
        }
        // An existing, non-empty output directory is refused and left as it was.
        let occupied = fixture.directory + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: occupied + "/mine.txt"))
        expectRefusal(.packageTargetNotEmpty(path: occupied)) {
            _ = try fixture.vault.exportReviewPackage(period: today, to: occupied, session: auditor)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied) == ["mine.txt"])
        let file = try fixture.file("plain.txt", "x")
        expectRefusal(.packageTargetNotADirectory(path: file)) {
            _ = try fixture.vault.exportReviewPackage(period: today, to: file, session: auditor)
        }
        expectRefusal(.packageParentMissing(parent: fixture.directory + "/missing", target: fixture.directory + "/missing/pkg")) {
            _ = try fixture.vault.exportReviewPackage(period: today, to: fixture.directory + "/missing/pkg", session: auditor)
        }
        #expect(try leftovers().isEmpty)
        // An empty directory is fine.
        let empty = fixture.directory + "/pkg-empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        _ = try fixture.vault.exportReviewPackage(period: today, to: empty + "/", session: auditor)
        #expect(ReviewPackage.verify(directory: empty, publicKeyPEM: try fixture.vault.signingPublicKeyPEM(session: auditor)).isValid)
        #expect(try leftovers() == ["pkg-empty"])
    }

    @Test func periodsInEverydayWordsAndPeriodsThatHaveNotEnded() throws {
        let day = CivilDate(year: 2026, month: 3, day: 10)
        let march = try ReviewPeriod(month: "2026-03")
        #expect(march.from == CivilDate(year: 2026, month: 3, day: 1) && march.to == CivilDate(year: 2026, month: 3, day: 31))
        #expect(try ReviewPeriod(from: "2026-02", to: "yesterday", today: day).to == CivilDate(year: 2026, month: 3, day: 9))
        #expect(try ReviewPeriod(from: nil, to: nil, month: "2026-02").days == 28)
        expectRefusal(.monthWithDays) { _ = try ReviewPeriod(from: "today", to: nil, month: "2026-02") }
        expectRefusal(.periodMissing) { _ = try ReviewPeriod(from: nil, to: nil, month: nil) }
        expectRefusal(.dayMissing(.last)) { _ = try ReviewPeriod(from: "today", to: nil, month: nil) }
        expectRefusal(.dayMissing(.first)) { _ = try ReviewPeriod(from: nil, to: "today", month: nil) }
        expectRefusal(.notAMonth("2026-3")) { _ = try ReviewPeriod(month: "2026-3") }
        // A period ending today is allowed (it covers the log up to the export); later is refused.
        try ReviewPeriod(from: day, to: day).checkEnded(today: day)
        expectRefusal(.periodInFuture(to: march.to, today: day)) { try march.checkEnded(today: day) }
        let tomorrow = try ReviewPeriod(from: CivilDate.today, to: CivilDate.today.adding(days: 1))
        expectRefusal(.periodInFuture(to: tomorrow.to, today: .today)) {
            _ = try fixture.vault.exportReviewPackage(period: tomorrow, to: fixture.directory + "/pkg", session: auditor)
        }
        #expect(try leftovers().isEmpty)
    }

    @Test func eachSettingOutOfRangeIsRefusedByName() throws {
        for setting in ReviewSettings.Setting.allCases {
            var settings = ReviewSettings()
            #expect(settings.isValid(setting))
            switch setting {
            case .rotationPeriodDays: settings.rotationPeriodDays = 0
            case .inactiveDays: settings.inactiveDays = 0
            case .workHours: settings.workHoursEnd = 25
            case .bulkReadMinimum: settings.bulkReadMinimum = 1
            case .baselineDays: settings.baselineDays = 367
            case .volumeFactor: settings.volumeFactor = .infinity
            case .minimumDailyReads: settings.minimumDailyReads = 0
            case .denialThreshold: settings.denialThreshold = 1
            case .denialWindowMinutes: settings.denialWindowMinutes = 1_441
            }
            #expect(ReviewSettings.Setting.allCases.filter { !settings.isValid($0) } == [setting])
            expectRefusal(.settingOutOfRange(setting)) { try settings.validate() }
            #expect(ReviewError.settingOutOfRange(setting).description == "\(setting.name) must be \(setting.requirement)")
        }
    }

    @Test func aTamperedLogRefusesTheExportAndLeavesNothing() throws {
        try fixture.vault.database.write { db in try db.execute(sql: "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3") }
        #expect(throws: ReviewError.vault(.auditTampered("entry 3 does not match its MAC (edited, forged, reordered, or the entry before it changed)"))) {
            try fixture.vault.exportReviewPackage(period: today, to: fixture.directory + "/pkg", session: auditor)
        }
        #expect(try leftovers().isEmpty)
    }

    @Test func aSubjectReportListsEveryAccessAndIsAudited() throws {
        _ = try fixture.vault.customer(reference: "CUS-0001", session: fixture.admin, purpose: "operations")
        _ = try fixture.vault.customer(reference: "CUS-0001", session: sales, purpose: "prospecting")
        _ = try fixture.vault.customer(reference: "CUS-0002", session: sales, purpose: "prospecting")
        try fixture.vault.exportView(to: fixture.directory + "/view.csv", session: analyst, purpose: "analytics")
        let report = try fixture.vault.subjectAccessReport(reference: "CUS-0001", session: fixture.admin, purpose: "data_subject_request")
        #expect(report.customerID == adaID && report.chainIntact)
        #expect(report.accesses.map(\.action.rawValue) == ["write", "read", "read", "export"])
        #expect(report.accesses.map(\.actor) == ["admin", "admin", "sam", "ana"])
        #expect(report.accesses.map(\.purpose) == ["", "operations", "prospecting", "analytics"])
        #expect(report.accesses[2].fields.contains("email") && !report.accesses[2].fields.contains("notes"))
        #expect(report.accesses[3].customerCount == 2 && report.accesses.allSatisfy { $0.customers.isEmpty })
        // The report itself is an audited access to that customer.
        let entry = try lastEntry()
        #expect(entry.seq == report.auditEntry && entry.action == .reviewSubject && entry.customers == CustomerIDSet([adaID]))
        #expect(entry.purpose == "data_subject_request" && entry.detail == "4 accesses listed")
        #expect(!entry.detail.contains("CUS-0001"))
    }

    @Test func aSubjectReportNeedsBothPermissionsAndLeaksNothingWithoutThem() throws {
        for (session, missing) in [(sales, "audit read"), (analyst, "audit read"), (auditor, "reidentify")] {
            for reference in ["CUS-0001", "CUS-9999"] {
                #expect(throws: VaultError.notPermitted("role \(session.role) may not \(missing)")) {
                    _ = try fixture.vault.subjectAccessReport(reference: reference, session: session)
                }
                let entry = try lastEntry()
                #expect(entry.action == .reviewSubject && entry.outcome == .denied && entry.customers.count == 0)
            }
        }
        #expect(throws: VaultError.purposeRequired(["operations", "data_subject_request", "support_case"])) {
            _ = try fixture.vault.subjectAccessReport(reference: "CUS-0001", session: fixture.admin)
        }
        #expect(throws: VaultError.customerNotFound) {
            _ = try fixture.vault.subjectAccessReport(reference: "CUS-9999", session: fixture.admin, purpose: "data_subject_request")
        }
        let entry = try lastEntry()
        #expect(entry.action == .reviewSubject && entry.outcome == .failed && entry.detail == "no such customer")
    }

    @Test func theProcessingRecordFollowsSchemaAndPolicy() throws {
        let record = try fixture.vault.processingRecord(session: auditor)
        #expect(try lastEntry().action == .reviewProcessingRecord)
        let identifiers = try #require(record.categories.first { $0.classification == "identifier" })
        #expect(identifiers.fields.map(\.name) == ["customer_ref", "full_name", "email", "phone", "street_address"])
        #expect(identifiers.fields.filter(\.blindIndexed).map(\.name) == ["customer_ref", "email", "phone"])
        let analystAccess = try #require(record.recipients.first { $0.role == "analyst" })
        #expect(analystAccess.purposes == ["qualification", "analytics"])
        #expect(analystAccess.access["identifier"] == ["customer_ref: pseudonym (domain analytics)"])
        #expect(analystAccess.access["quasi_identifier"]?.contains("birth_date: generalized (age band of 10 years)") == true)
        #expect(record.recipients.first { $0.role == "auditor" }?.access.isEmpty == true)
        #expect(record.purposes.contains("data_subject_request"))
        #expect(record.measures.map(\.name).contains("Pseudonymization"))
        #expect(record.measures.first { $0.name == "Pseudonymization" }?.description.contains("customer_ref (analyst)") == true)
        #expect(record.markdown.hasPrefix("# Record of processing activities"))
        #expect(record.html.contains("<h2>Retention</h2>"))
        #expect(throws: VaultError.notPermitted("role sales may not audit read")) { _ = try fixture.vault.processingRecord(session: sales) }
    }

    @Test func policyHistoryIsKeptAndAnEditedRowIsReported() throws {
        let original = try TestVault.policyYAML()
        let changed = original.replacingOccurrences(of: "    actions: [read]\n    purposes: [prospecting, account_management]",
                                                    with: "    actions: [read, export]\n    purposes: [prospecting, account_management]")
        try fixture.vault.applyPolicy(yaml: changed, file: "roles.yaml", by: fixture.admin)
        let history = try fixture.vault.policyHistory()
        #expect(history.map(\.yaml) == [original, changed] && history.allSatisfy(\.intact))
        #expect(history[1].digest == fixture.vault.policy.digest)
        // Append-only at the SQL level...
        #expect(throws: (any Error).self) {
            try fixture.vault.database.write { db in try db.execute(sql: "DELETE FROM policy_history") }
        }
        let diff = try #require(try fixture.vault.exportReviewPackage(period: today, to: fixture.directory + "/pkg1", session: auditor).summary.policy.changes.last?.diff)
        #expect(diff.contains("-    actions: [read]\n+    actions: [read, export]"))
        // ... and a row edited anyway (trigger dropped) fails its MAC: reported, never diffed.
        try fixture.vault.database.write { db in
            try db.execute(sql: "DROP TRIGGER policy_history_no_update")
            try db.execute(sql: "UPDATE policy_history SET yaml = ? WHERE id = 1", arguments: [Data(original.replacingOccurrences(of: "auditor", with: "auditer").utf8)])
        }
        let policy = try fixture.vault.exportReviewPackage(period: today, to: fixture.directory + "/pkg2", session: auditor).summary.policy
        #expect(policy.alteredHistoryRows == [1])
        #expect(policy.changes.last?.diff == "" && policy.changes.last?.note.contains("not in the vault's history") == true)
    }
}

@Suite struct ReviewFormatTests {
    @Test func recordsReadBackFromCanonicalBytesEqualTheEntry() throws {
        let entry = AuditEntry(seq: 42, timeMilliseconds: 1_790_000_000_123, actor: "ana", role: "analyst", action: .read,
                               purpose: "analytics", outcome: .ok, fields: ["email", "city"], customers: CustomerIDSet([1, 2, 3, 9, 1_000_000]),
                               detail: "d \"q\" \\ \n", mac: Array(repeating: 7, count: 32))
        let message = [UInt8](repeating: 0xaa, count: 32) + entry.canonicalBytes()
        try message.withUnsafeBytes { raw in
            try entry.mac.withUnsafeBytes { mac in
                let record = try #require(AuditRecord(message: raw, prefixLength: 32, mac: mac))
                #expect(record.seq == 42 && record.timeMilliseconds == entry.timeMilliseconds && record.customerCount == 5)
                #expect(AuditRecord.string(record.fields) == "email,city" && AuditRecord.string(record.detail) == entry.detail)
                var formatter = EventFormatter()
                let line = ByteBuffer()
                formatter.appendJSONLine(record, to: line)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.array)) as? [String: Any])
                #expect(object["customers"] as? String == "1-3,9,1000000")
                #expect(object["detail"] as? String == entry.detail)
                #expect(object["time"] as? String == "2026-09-21T14:13:20.123Z")
                #expect(object["mac"] as? String == String(repeating: "07", count: 32))
                #expect(AuditRecord(message: UnsafeRawBufferPointer(rebasing: raw.dropLast()), prefixLength: 32, mac: mac) == nil)
            }
        }
    }

    @Test func timesAndNumbersFormatExactly() {
        var formatter = EventFormatter()
        for (ms, text) in [(Int64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_000, "2000-02-29T00:00:00.000Z"),
                           (-1, "1969-12-31T23:59:59.999Z"), (1_795_406_768_023, "2026-11-23T04:06:08.023Z")] {
            let out = ByteBuffer(capacity: 1)
            formatter.appendTime(ms, to: out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == text)
        }
        for value: Int64 in [0, 7, 10, 99, 100, 1_234_567_890, -45, .max, .min] {
            let out = ByteBuffer(capacity: 1)
            out.appendDecimal(value)
            #expect(String(decoding: out.bytes, as: UTF8.self) == String(value))
        }
        let json = ByteBuffer(capacity: 1)
        json.appendJSONString("a\u{01}\"\\\té")
        #expect(String(decoding: json.bytes, as: UTF8.self) == "\"a\\u0001\\\"\\\\\\té\"")
        json.removeAll()
        json.appendPadded(7, width: 3)
        [UInt8]([0x00, 0xab, 0xff]).withUnsafeBytes { json.appendHex($0) }
        #expect(String(decoding: json.bytes, as: UTF8.self) == "00700abff")
    }

    @Test func largeFilesAreWrittenWholeAndHashedExactly() throws {
        let directory = NSTemporaryDirectory() + "coffer-writer-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Several staging blocks (4 MiB) and an odd tail, in uneven pieces.
        let writer = try HashingFileWriter(path: directory + "/big", name: "big")
        var expected: [UInt8] = []
        var seed: UInt64 = 7
        for piece in 0..<40 {
            let buffer = ByteBuffer(capacity: 1)
            for _ in 0..<(250_000 + piece * 7_919) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1
                buffer.append(UInt8(truncatingIfNeeded: seed >> 56))
            }
            expected += buffer.array
            try writer.write(buffer)
        }
        let file = try writer.finish()
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/big")))
        #expect(written.count == expected.count && written == expected)
        #expect(file.bytes == Int64(expected.count) && expected.count > 3 * (4 << 20))
        #expect(file.sha256 == (try SHA256.hash(expected)).hexString)
        #expect(throws: VaultError.self) { _ = try HashingFileWriter(path: directory + "/big", name: "big") }
    }

    @Test func policyDiffsShowChangedLinesWithContext() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 5\n", with: "line 5 changed\n").replacingOccurrences(of: "line 18\n", with: "")
        let diff = PolicyDiff.unified(old: old, new: new, oldLabel: "a", newLabel: "b")
        #expect(diff == """
            --- a
            +++ b
            @@
             line 3
             line 4
            -line 5
            +line 5 changed
             line 6
             line 7
            @@
             line 16
             line 17
            -line 18
             line 19
             line 20
            """)
        #expect(PolicyDiff.unified(old: old, new: old, oldLabel: "a", newLabel: "b") == "")
    }
}
