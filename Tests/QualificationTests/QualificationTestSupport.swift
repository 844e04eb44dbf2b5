import CofferSupport
import Foundation
import Testing
@_spi(Testing) @testable import Coffer
@testable import Qualification

/// The shipped schema and role policy, and helpers to load scoring models and build rows the
/// way the vault renders them (see `ViewedValue.render`).
enum Fixture {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOfFile: repositoryRoot + "/" + relativePath, encoding: .utf8)
    }

    /// A model file shipped with the tests (Resources/models).
    static func resource(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: name)
        return try #require(Bundle.module.url(forResource: url.deletingPathExtension().lastPathComponent, withExtension: url.pathExtension,
                                              subdirectory: "Resources/models")).path
    }

    static let schemaPath = repositoryRoot + "/policies/schema.yaml"
    static let rolesPath = repositoryRoot + "/policies/roles.yaml"

    static func schema() throws -> Schema {
        try Schema.load(yaml: text("policies/schema.yaml"), file: schemaPath)
    }

    static func policy() throws -> Policy {
        try Policy.load(yaml: text("policies/roles.yaml"), file: rolesPath, schema: schema())
    }

    static func role(_ name: String) throws -> RolePolicy {
        try #require(try policy()[name])
    }

    /// The one reading day of a test run: rows, engines and expectations all use it.
    static let today = CivilDate.today

    /// Loads `yaml` as `model.yaml` for `role` (analyst by default).
    static func model(_ yaml: String, role: String = "analyst", file: String = "model.yaml") throws -> ScoringModel {
        try ScoringModel.load(yaml: yaml, file: file, schema: schema(), role: self.role(role))
    }

    /// The refusal of `yaml` for `role`; fails the test when the model loads.
    static func refusal(_ yaml: String, role: String = "analyst", file: String = "model.yaml",
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyFileError {
        let schema = try schema(), rolePolicy = try self.role(role)
        return try #require(throws: PolicyFileError.self, sourceLocation: sourceLocation) {
            _ = try ScoringModel.load(yaml: yaml, file: file, schema: schema, role: rolePolicy)
        }
    }

    static func engine(_ yaml: String, role: String = "analyst") throws -> ScoringEngine {
        ScoringEngine(model: try model(yaml, role: role), schema: try schema(), today: today)
    }
}

/// A scoring model written inline: a header (name, version, purpose) and the rest.
func modelYAML(purpose: String = "qualification", _ body: String) -> String {
    "name: test\nversion: 1\npurpose: \(purpose)\n" + body
}

// MARK: Values as the vault renders them

enum View {
    /// A plain label: an enum value, a boolean ("true"), a string.
    static func label(_ text: String) -> ViewedValue { ViewedValue(form: .plain, label: text) }

    /// A plain number: an exact interval.
    static func number(_ x: Double) -> ViewedValue {
        ViewedValue(form: .plain, label: x == x.rounded() ? String(Int64(x)) : String(x), lower: x, upper: x)
    }

    /// A generalized band "[lower, upper]" (age bands and buckets: upper = next bound - 1).
    static func band(_ label: String, _ lower: Double?, _ upper: Double?) -> ViewedValue {
        ViewedValue(form: .generalized, label: label, lower: lower, upper: upper, isNumeric: true)
    }

    /// The age band of `width` years (default 10) holding `age`, e.g. "30-39".
    static func ageBand(_ low: Int, width: Int = 10) -> ViewedValue {
        band("\(low)-\(low + width - 1)", Double(low), Double(low + width - 1))
    }

    /// A date shown plain (admins): the day, and the age in whole years on `Fixture.today`.
    static func date(_ date: CivilDate) -> ViewedValue {
        let today = Fixture.today
        let hadBirthday = (today.month, today.day) >= (date.month, date.day)
        let age = Double(today.year - date.year - (hadBirthday ? 0 : 1))
        return ViewedValue(form: .plain, label: date.iso8601, lower: age, upper: age, days: date.daysSinceEpoch...date.daysSinceEpoch)
    }

    /// A date generalized to its month ("2026-03"): every day of that month.
    static func month(_ date: CivilDate) -> ViewedValue {
        let first = CivilDate(year: date.year, month: date.month, day: 1)
        let last = first.adding(months: 1).adding(days: -1)
        return ViewedValue(form: .generalized, label: String(first.iso8601.prefix(7)), days: first.daysSinceEpoch...last.daysSinceEpoch)
    }

    /// A stored value the view cannot show.
    static let unreadable = ViewedValue(form: .unreadable, label: "")
}

extension ScoringEngine {
    /// A row carrying `values` (by field name) in the order the model reads its fields.
    func row(_ values: [String: ViewedValue], reference: String? = "ps_test", outcome: DealOutcome? = nil) -> ScoringRow {
        for name in values.keys { precondition(model.fields.contains(name), "the model does not read \(name)") }
        return ScoringRow(reference: reference, values: model.fields.map { values[$0] }, outcome: outcome)
    }

    func score(_ values: [String: ViewedValue], reference: String? = "ps_test", outcome: DealOutcome? = nil) -> CustomerScore {
        score(row(values, reference: reference, outcome: outcome))
    }
}

// MARK: Files

/// A scratch directory removed when the value goes away.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "coffer-qtest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }

    func mode(_ name: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: file(name))[.posixPermissions] as? Int
    }
}

/// Records of a CSV file (header first).
func csvRecords(_ path: String) throws -> [[String]] {
    let reader = try CSVReader(path: path)
    var out: [[String]] = []
    while let record = try reader.next() { out.append(record.fields) }
    return out
}

// MARK: A vault with a few hand-made customers

/// A fresh vault from the shipped schema and roles holding `customers`, with an analyst, a
/// sales and an auditor user.
final class QualificationVault {
    let scratch: ScratchDirectory
    let vault: Vault
    let admin: Session
    let analyst: Session
    let sales: Session
    let auditor: Session

    /// Hand-made customers: identifiers that must never reach an analyst's output.
    static let customers: [[String: String]] = [
        ["customer_ref": "CUS-Q-1001", "full_name": "Henrietta Quartermaine", "email": "henrietta.q@example.org", "phone": "+44 20 7946 0101",
         "country": "GB", "birth_date": "1975-04-02", "company_size": "120", "industry": "Software", "budget": "12000", "decision_maker": "true",
         "need": "high", "purchase_timeline_days": "30", "website_visits_30d": "9", "email_opens_30d": "4", "consent_marketing": "true",
         "lead_source": "referral", "payment_delays": "0", "disputes": "0"],
        ["customer_ref": "CUS-Q-1002", "full_name": "Bartholomew Ekwueme", "email": "bart.ekwueme@example.net", "phone": "+1 415 555 0102",
         "country": "US", "birth_date": "1988-11-20", "company_size": "8", "industry": "Retail", "budget": "500", "decision_maker": "false",
         "need": "low", "purchase_timeline_days": "365", "website_visits_30d": "0", "email_opens_30d": "0", "consent_marketing": "true",
         "lead_source": "ads", "payment_delays": "3", "disputes": "1"],
        ["customer_ref": "CUS-Q-1003", "full_name": "Ottilie Vandersloot", "email": "ottilie@vandersloot.example", "phone": "+31 20 555 0103",
         "country": "NL", "birth_date": "1969-07-14", "company_size": "2400", "industry": "Healthcare", "budget": "3000",
         "need": "medium", "purchase_timeline_days": "60", "website_visits_30d": "2", "email_opens_30d": "1", "consent_marketing": "false",
         "lead_source": "event"],
        ["customer_ref": "CUS-Q-1004", "full_name": "Marisol Thackeray", "email": "marisol.t@example.com", "phone": "+49 30 555 0104",
         "country": "DE", "birth_date": "1992-01-30", "company_size": "60", "industry": "Manufacturing", "decision_maker": "true",
         "need": "high", "website_visits_30d": "6", "email_opens_30d": "3", "consent_marketing": "true", "lead_source": "partner"],
        ["customer_ref": "CUS-Q-1005", "full_name": "Cornelius Abernathy", "email": "c.abernathy@example.co.uk", "phone": "+44 161 555 0105",
         "country": "GB", "birth_date": "1981-09-09", "company_size": "700", "industry": "Financial Services", "budget": "20000",
         "decision_maker": "true", "need": "high", "purchase_timeline_days": "45", "website_visits_30d": "12", "email_opens_30d": "7",
         "consent_marketing": "true", "lead_source": "referral", "payment_delays": "0", "disputes": "0"],
        ["customer_ref": "CUS-Q-1006", "full_name": "Philippa Oyelaran", "email": "philippa.oyelaran@example.org", "phone": "+353 1 555 0106",
         "country": "IE", "birth_date": "1979-03-03", "company_size": "300", "industry": "Software", "budget": "8000", "decision_maker": "true",
         "need": "high", "purchase_timeline_days": "20", "website_visits_30d": "5", "email_opens_30d": "5", "consent_marketing": "true",
         "lead_source": "event", "payment_delays": "1", "disputes": "0"],
    ]

    init() throws {
        scratch = try ScratchDirectory()
        let (vault, token) = try Vault.create(at: scratch.file("vault"), schema: Fixture.schema(), policyYAML: Fixture.text("policies/roles.yaml"),
                                              policyFile: "roles.yaml", protection: .keyFile(path: scratch.file("vault.key")))
        self.vault = vault
        admin = try vault.authenticate(token: token)
        for customer in Self.customers { _ = try vault.put(customer.mapValues { Optional($0) }, session: admin) }
        analyst = try vault.authenticate(token: vault.addUser(name: "ana", role: "analyst", by: admin))
        sales = try vault.authenticate(token: vault.addUser(name: "sal", role: "sales", by: admin))
        auditor = try vault.authenticate(token: vault.addUser(name: "aud", role: "auditor", by: admin))
    }

    func entries(_ action: AuditAction) throws -> [AuditEntry] {
        try vault.auditEntries(AuditQuery(action: action))
    }

    /// Every identifying value of the hand-made customers (names, emails, phones, references).
    static var identifiers: [String] {
        customers.flatMap { c in ["customer_ref", "full_name", "email", "phone"].compactMap { c[$0] } }
    }
}
