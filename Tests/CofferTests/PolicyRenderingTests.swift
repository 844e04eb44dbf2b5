import CofferCrypto
import CofferTestSupport
import Testing
@testable import Coffer

@Suite struct PolicyRenderingTests {
    let schema: Schema
    let pseudonymizer: Pseudonymizer
    static let key: [UInt8] = (0..<32).map { UInt8($0) }
    static let today = CivilDate(year: 2026, month: 3, day: 15)

    init() throws {
        schema = try TestVault.schema()
        pseudonymizer = try Pseudonymizer(key: SymmetricKey(copying: Self.key))
    }

    func render(_ field: String, _ value: String, _ view: FieldView, asOf: CivilDate = today) throws -> String? {
        try ViewRenderer.render(value, field: #require(schema[field]), view: view, pseudonymizer: pseudonymizer, asOf: asOf)
    }

    func generalize(_ field: String, _ value: String, _ g: Generalization, asOf: CivilDate = today) throws -> GeneralizedValue? {
        ViewRenderer.generalize(value, field: try #require(schema[field]), g, asOf: asOf)
    }

    // MARK: Masking

    @Test(arguments: [
        ("email", "jane.doe@example.com", "j***@e***.com"),
        ("email", "a@x.io", "a***@x***.io"),
        ("email", "bob@mail.example.co.uk", "b***@m***.uk"),
        ("email", "élodie@exemple.fr", "é***@e***.fr"),
        ("email", "o'brien+news@a.b.c.de", "o***@a***.de"),
        ("phone", "+1 (415) 555-0134", "*** *** 0134"),
        ("phone", "+44 20 7946 0958", "*** *** 0958"),
        ("phone", "1234567", "*** *** 4567"),
        ("phone", "+380.44.123.45.67", "*** *** 4567"),
        // Fewer than 7 digits (never valid) shows no digit at all.
        ("phone", "123456", "*** *** ****"),
        ("phone", "12", "*** *** ****"),
        ("full_name", "Ada Lovelace", "A. L."),
        ("full_name", "Олена Коваленко", "О. К."),
        ("full_name", "张伟", "张."),
        ("full_name", "Cher", "C."),
        ("full_name", "Jean-Luc  Picard", "J. P."),
        ("full_name", "maría de la Ñuñez", "m. d. l. Ñ."),
        ("full_name", "👩🏽‍💻 Ada", "👩🏽‍💻. A."),
        ("customer_ref", "CUST-000123", "C***"),
        ("customer_ref", "X", "X***"),
        ("street_address", "221B Baker Street", "2***"),
        ("notes", "Called on Monday", "C***"),
    ])
    func masking(field: String, value: String, expected: String) throws {
        #expect(try render(field, value, .masked) == expected)
    }

    @Test func maskingATypeThatCannotBeMaskedShowsNothing() throws {
        #expect(try render("homeowner", "true", .masked) == nil)
        #expect(try render("company_size", "42", .masked) == nil)
        #expect(try render("birth_date", "1990-01-01", .masked) == nil)
        #expect(try render("country", "UA", .masked) == nil)
        #expect(try render("email", "not-an-email", .masked) == nil)
    }

    @Test func nameFieldsAreRecognizedByName() throws {
        let first = FieldSpec(name: "first_name", type: .string, classification: .identifier)
        let plain = FieldSpec(name: "nickname", type: .string, classification: .identifier)
        #expect(ViewRenderer.mask("Ada", field: first) == "A.")
        #expect(ViewRenderer.mask("Ada", field: plain) == "A***")
    }

    // MARK: Plain, redacted, pseudonym

    @Test func plainIsTheValueAndRedactedIsNothing() throws {
        #expect(try render("email", "ada@example.com", .plain) == "ada@example.com")
        #expect(try render("email", "ada@example.com", .redacted) == nil)
        #expect(try render("annual_income", "58250.50", .plain) == "58250.50")
    }

    @Test func pseudonymsAreKeyedPerDomainAndField() throws {
        let a = try render("customer_ref", "CUST-000123", .pseudonym(domain: "analytics"))
        #expect(a == (try render("customer_ref", "CUST-000123", .pseudonym(domain: "analytics"))))
        #expect(a != (try render("customer_ref", "CUST-000124", .pseudonym(domain: "analytics"))))
        #expect(a != (try render("customer_ref", "CUST-000123", .pseudonym(domain: "marketing"))))
        // Same value in another field: another token.
        #expect(a != (try render("company", "CUST-000123", .pseudonym(domain: "analytics"))))
        // Another key: another token.
        let other = try Pseudonymizer(key: SymmetricKey(copying: [UInt8](repeating: 0xab, count: 32)))
        #expect(a != (try other.token(domain: "analytics", field: "customer_ref", value: "CUST-000123")))
        // A fresh instance with the same key agrees (nothing depends on cache state).
        let again = try Pseudonymizer(key: SymmetricKey(copying: Self.key))
        #expect(a == (try again.token(domain: "analytics", field: "customer_ref", value: "CUST-000123")))
    }

    @Test func pseudonymsFollowTheDocumentedConstruction() throws {
        let token = try pseudonymizer.token(domain: "analytics", field: "customer_ref", value: "CUST-000123")
        let domainKey = try HKDF.deriveKey(from: SymmetricKey(copying: Self.key), info: "coffer/pseudonym/v1/analytics")
        let mac = try HMACSHA256.authenticate(Array("customer_ref\u{1F}CUST-000123".utf8), key: domainKey)
        #expect(token == "ps_" + Pseudonymizer.base32(mac[0..<16]))
        // Pinned so that a change of construction (which would orphan every exported pseudonym) is noticed.
        #expect(token == "ps_zvi6ddrp5goc23kzducggwtgt4")
        #expect(token.count == 29)
        #expect(token.dropFirst(3).allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
    }

    @Test func base32MatchesRFC4648() {
        let vectors = [("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"), ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi")]
        for (input, output) in vectors {
            #expect(Pseudonymizer.base32(Array(input.utf8)[...]) == output)
        }
    }

    @Test func phonePseudonymsIgnoreFormatting() throws {
        let view = FieldView.pseudonym(domain: "crm")
        #expect(try render("phone", "+1 (415) 555-0134", view) == (try render("phone", "+1 415.555.0134", view)))
        #expect(try render("phone", "+1 (415) 555-0134", view) != (try render("phone", "+1 (415) 555-0135", view)))
    }

    @Test func tokensNeverContainTheValue() throws {
        let view = FieldView.pseudonym(domain: "analytics")
        for value in ["ada@example.com", "CUST-0001", "+44 20 7946 0958", "Ada Lovelace", "SW1A 1AA"] {
            for field in ["email", "customer_ref", "phone", "full_name", "postal_code"] {
                let token = try #require(try render(field, value, view))
                #expect(!token.contains(value))
                #expect(!token.lowercased().contains(value.lowercased()))
            }
        }
    }

    // MARK: Generalization

    @Test(arguments: [
        // (birth date, as of, width, label)
        ("1990-03-15", "2026-03-15", 10, "30-39"),
        ("1996-03-15", "2026-03-14", 10, "20-29"), // 30th birthday tomorrow
        ("1996-03-15", "2026-03-15", 10, "30-39"), // 30th birthday today
        ("1996-03-16", "2026-03-15", 10, "20-29"),
        ("2000-02-29", "2030-02-28", 10, "20-29"), // leap-day birth: a year older on 1 March in common years
        ("2000-02-29", "2030-03-01", 10, "30-39"),
        ("1996-02-29", "2026-02-28", 10, "20-29"),
        ("1996-02-29", "2026-03-01", 10, "30-39"),
        ("1996-02-29", "2016-02-29", 10, "20-29"),
        ("1996-02-29", "2016-02-28", 10, "10-19"),
        ("2026-03-15", "2026-03-15", 10, "0-9"),   // born today
        ("1990-03-15", "2026-03-15", 5, "35-39"),
        ("1990-03-15", "2026-03-15", 1, "36"),
        ("1926-01-01", "2026-03-15", 10, "100-109"),
    ])
    func ageBands(birth: String, asOf: String, width: Int, label: String) throws {
        let date = try #require(CivilDate(iso8601: asOf))
        #expect(try render("birth_date", birth, .generalized(.ageBand(width: width)), asOf: date) == label)
    }

    @Test func ageBandIntervalsAndImpossibleAges() throws {
        #expect(try generalize("birth_date", "1990-03-15", .ageBand(width: 10)) == GeneralizedValue(label: "30-39", lower: 30, upper: 40))
        #expect(try render("birth_date", "2026-03-16", .generalized(.ageBand(width: 10))) == nil) // born after asOf
        #expect(try render("birth_date", "1990-02-30", .generalized(.ageBand(width: 10))) == nil)
        #expect(try render("birth_date", "yesterday", .generalized(.ageBand(width: 10))) == nil)
        #expect(try render("birth_date", "1990-03-15", .generalized(.ageBand(width: 0))) == nil)
    }

    @Test(arguments: [
        ("2026-01-01", "2026-01", "2026-Q1"),
        ("2026-03-31", "2026-03", "2026-Q1"),
        ("2026-04-01", "2026-04", "2026-Q2"),
        ("2026-06-30", "2026-06", "2026-Q2"),
        ("2026-07-01", "2026-07", "2026-Q3"),
        ("2026-09-30", "2026-09", "2026-Q3"),
        ("2026-10-01", "2026-10", "2026-Q4"),
        ("2026-12-31", "2026-12", "2026-Q4"),
        ("2024-02-29", "2024-02", "2024-Q1"),
        ("0999-11-05", "0999-11", "0999-Q4"),
    ])
    func monthsAndQuarters(date: String, month: String, quarter: String) throws {
        #expect(try render("last_activity", date, .generalized(.month)) == month)
        #expect(try render("last_activity", date, .generalized(.quarter)) == quarter)
    }

    @Test func unparsableDatesGeneralizeToNothing() throws {
        #expect(try render("last_activity", "2026-13-01", .generalized(.month)) == nil)
        #expect(try render("last_activity", "", .generalized(.quarter)) == nil)
    }

    static let income = Generalization.bands([0, 25000, 50000, 75000, 100000, 150000, 250000])

    @Test(arguments: [
        ("0", "0-24999.99"),
        ("0.01", "0-24999.99"),
        ("24999.99", "0-24999.99"),
        ("25000", "25000-49999.99"),
        ("25000.00", "25000-49999.99"),
        ("58250.50", "50000-74999.99"),
        ("74999.995", "50000-74999.99"),
        ("75000", "75000-99999.99"),
        ("149999.99", "100000-149999.99"),
        ("150000", "150000-249999.99"),
        ("249999.99", "150000-249999.99"),
        ("250000", "250000+"),
        ("9999999", "250000+"),
        ("-0.01", "<0"),
        ("-5000", "<0"),
    ])
    func incomeBands(value: String, label: String) throws {
        #expect(try render("annual_income", value, .generalized(Self.income)) == label)
    }

    @Test func bandIntervals() throws {
        #expect(try generalize("annual_income", "75000", Self.income) == GeneralizedValue(label: "75000-99999.99", lower: 75000, upper: 100000))
        #expect(try generalize("annual_income", "300000", Self.income) == GeneralizedValue(label: "250000+", lower: 250000, upper: nil))
        #expect(try generalize("annual_income", "-1", Self.income) == GeneralizedValue(label: "<0", lower: nil, upper: 0))
        #expect(try generalize("company_size", "12", .buckets([1, 10, 50])) == GeneralizedValue(label: "10-49", lower: 10, upper: 50))
    }

    @Test func bandsWithCentsAndBandsOfIntegers() throws {
        let cents = Generalization.bands([-10.5, 0, 0.5, 0.51])
        #expect(try render("budget", "-11", .generalized(cents)) == "<-10.50")
        #expect(try render("budget", "-10.5", .generalized(cents)) == "-10.50 to -0.01")
        #expect(try render("budget", "-0.01", .generalized(cents)) == "-10.50 to -0.01")
        #expect(try render("budget", "0.25", .generalized(cents)) == "0-0.49")
        #expect(try render("company_size", "-3", .generalized(.buckets([-10, -1, 0]))) == "-10 to -2")
        #expect(try render("company_size", "-1", .generalized(.buckets([-10, -1, 0]))) == "-1")
        #expect(try render("budget", "0.5", .generalized(cents)) == "0.50")
        #expect(try render("budget", "0.509", .generalized(cents)) == "0.50")
        #expect(try render("budget", "0.51", .generalized(cents)) == "0.51+")
        let whole = Generalization.bands([0, 10, 11, 20])
        #expect(try render("company_size", "5", .generalized(whole)) == "0-9")
        #expect(try render("company_size", "10", .generalized(whole)) == "10")
        #expect(try render("company_size", "15", .generalized(whole)) == "11-19")
        #expect(try render("company_size", "20", .generalized(whole)) == "20+")
    }

    static let sizes = Generalization.buckets([1, 10, 50, 250, 1000, 5000])

    @Test(arguments: [
        ("0", "<1"), ("1", "1-9"), ("9", "1-9"), ("10", "10-49"), ("49", "10-49"), ("50", "50-249"),
        ("250", "250-999"), ("999", "250-999"), ("1000", "1000-4999"), ("4999", "1000-4999"), ("5000", "5000+"),
        ("9223372036854775807", "5000+"),
    ])
    func companySizeBuckets(value: String, label: String) throws {
        #expect(try render("company_size", value, .generalized(Self.sizes)) == label)
    }

    @Test func unparsableNumbersGeneralizeToNothing() throws {
        #expect(try render("company_size", "12.5", .generalized(Self.sizes)) == nil)
        #expect(try render("company_size", "", .generalized(Self.sizes)) == nil)
        #expect(try render("annual_income", "lots", .generalized(Self.income)) == nil)
        #expect(try render("annual_income", "nan", .generalized(Self.income)) == nil)
        #expect(try render("annual_income", "inf", .generalized(Self.income)) == nil)
        #expect(try render("annual_income", "5", .generalized(.bands([]))) == nil)
        #expect(try render("company_size", "5", .generalized(.buckets([]))) == nil)
        // Bounds no loader accepts are clamped, not trapped on.
        #expect(try render("company_size", "5", .generalized(.bands([-1e300, 1e300]))) == "-40000000000000000 to 39999999999999999")
    }

    @Test(arguments: [
        ("SW1A 1AA", 2, "SW*"),
        ("SW1", 2, "SW*"),
        ("SW", 2, "*"),  // as long as the prefix: would show the whole value
        ("S", 2, "*"),
        ("75008", 3, "750*"),
        ("東京都港区", 2, "東京*"),
    ])
    func postalCodePrefixes(value: String, n: Int, label: String) throws {
        #expect(try render("postal_code", value, .generalized(.prefix(n))) == label)
    }

    // MARK: A whole record through the shipped roles

    static let record: [String: String] = [
        "customer_ref": "CUST-000123", "full_name": "Олена Коваленко", "email": "olena.k@example.com.ua",
        "phone": "+380 44 123 4567", "street_address": "вул. Хрещатик, 1", "postal_code": "01001", "city": "Kyiv",
        "country": "UA", "birth_date": "1987-11-02", "gender": "female", "occupation": "Engineer",
        "annual_income": "75000", "homeowner": "true", "company": "Acme", "job_title": "CTO", "company_size": "250",
        "industry": "Software", "budget": "12000.50", "decision_maker": "true", "need": "high",
        "purchase_timeline_days": "30", "website_visits_30d": "12", "email_opens_30d": "4",
        "last_activity": "2026-03-14", "competitor_contract_end": "2026-07-01", "payment_delays": "0", "disputes": "1",
        "consent_marketing": "true", "lead_source": "referral", "notes": "Prefers email",
    ]

    func shown(role: String) throws -> [String: String] {
        let policy = try TestVault.policy(schema: schema)
        let rolePolicy = try #require(policy[role])
        var out: [String: String] = [:]
        for field in schema.fields {
            let value = try #require(Self.record[field.name], "\(field.name)")
            out[field.name] = try ViewRenderer.render(value, field: field, view: rolePolicy.view(of: field.name),
                                                      pseudonymizer: pseudonymizer, asOf: Self.today)
        }
        return out
    }

    @Test func whatEachShippedRoleSeesOfOneCustomer() throws {
        #expect(try shown(role: "admin") == Self.record)
        #expect(try shown(role: "analyst") == [
            "customer_ref": "ps_zvi6ddrp5goc23kzducggwtgt4", "postal_code": "01*", "country": "UA", "birth_date": "30-39",
            "annual_income": "75000-99999.99", "homeowner": "true", "company_size": "250-999", "industry": "Software",
            "budget": "12000.50", "decision_maker": "true", "need": "high", "purchase_timeline_days": "30",
            "website_visits_30d": "12", "email_opens_30d": "4", "last_activity": "2026-03",
            "competitor_contract_end": "2026-07", "payment_delays": "0", "disputes": "1", "consent_marketing": "true",
            "lead_source": "referral",
        ])
        #expect(try shown(role: "sales") == [
            "customer_ref": "CUST-000123", "full_name": "Олена Коваленко", "email": "olena.k@example.com.ua",
            "phone": "+380 44 123 4567", "city": "Kyiv", "country": "UA", "company": "Acme", "job_title": "CTO",
            "company_size": "250", "industry": "Software", "decision_maker": "true", "need": "high",
            "purchase_timeline_days": "30", "last_activity": "2026-03-14", "consent_marketing": "true",
        ])
        #expect(try shown(role: "support") == [
            "customer_ref": "CUST-000123", "full_name": "О. К.", "email": "o***@e***.ua", "phone": "*** *** 4567",
            "country": "UA", "company": "Acme", "last_activity": "2026-03-14", "payment_delays": "0", "disputes": "1",
            "consent_marketing": "true",
        ])
        #expect(try shown(role: "auditor") == [:])
    }
}
