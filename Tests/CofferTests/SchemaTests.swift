import CofferSupport
import CofferTestSupport
import Testing
@testable import Coffer

@Suite struct SchemaTests {
    @Test func theShippedSchemaLoads() throws {
        let schema = try TestVault.schema()
        #expect(schema.fields.count == 30)
        #expect(schema["email"]?.type == .email)
        #expect(schema["email"]?.blindIndex == true)
        #expect(schema["postal_code"]?.classification == .quasiIdentifier)
        #expect(schema["annual_income"]?.classification == .sensitive)
        #expect(schema["need"]?.values == ["high", "medium", "low"])
        let identifiers = schema.fields.filter { $0.classification == .identifier }.map(\.name)
        #expect(identifiers == ["customer_ref", "full_name", "email", "phone", "street_address"])
        let quasi = schema.fields.filter { $0.classification == .quasiIdentifier }.map(\.name)
        #expect(quasi == ["postal_code", "city", "country", "birth_date", "gender", "occupation", "homeowner", "company", "job_title"])
        #expect(schema.digest.count == 64)
    }

    static let base = """
        version: 1
        fields:
          customer_ref:
            type: string
            classification: identifier
            blind_index: true
            required: true
        """ + "\n"

    @Test(arguments: [
        ("  age:\n    type: number\n    classification: attribute\n", 9, "field 'age': unknown type 'number'; expected one of string, text, email, phone, date, integer, decimal, boolean, enum"),
        ("  age:\n    type: integer\n    classification: secret\n", 10, "field 'age': unknown classification 'secret'; expected one of identifier, quasi_identifier, sensitive, attribute"),
        ("  age:\n    type: integer\n", 8, "field 'age' has no classification"),
        ("  age:\n    classification: attribute\n", 8, "field 'age' has no type"),
        ("  age:\n    type: integer\n    classification: attribute\n    colour: red\n", 11, "field 'age': unknown key 'colour'"),
        ("  level:\n    type: enum\n    classification: attribute\n", 8, "field 'level': an enum needs a non-empty 'values' list"),
        ("  level:\n    type: enum\n    classification: attribute\n    values: [a, A]\n", 11, "field 'level': duplicate enum value"),
        ("  notes:\n    type: text\n    classification: sensitive\n    blind_index: true\n", 8, "field 'notes': free text cannot be blind-indexed"),
        ("  Bad-Name:\n    type: string\n    classification: attribute\n", 8, "field name 'Bad-Name' must be lowercase letters, digits and underscores"),
        ("  n:\n    type: integer\n    classification: attribute\n    min: 5\n    max: 1\n", 8, "field 'n': min is greater than max"),
        ("  flag:\n    type: boolean\n    classification: attribute\n    required: maybe\n", 11, "required must be true or false"),
    ])
    func invalidFieldsAreRefusedWithTheirLine(extra: String, line: Int, message: String) throws {
        let error = #expect(throws: PolicyFileError.self) {
            _ = try Schema.load(yaml: Self.base + extra, file: "schema.yaml")
        }
        #expect(error?.line == line)
        #expect(error?.message == message)
        #expect(error?.description == "schema.yaml:\(line): \(message)")
    }

    @Test func wholeFileProblemsAreRefused() throws {
        let cases: [(String, Int, String)] = [
            ("", 1, "the file is empty"),
            ("version: 1\n", 1, "the schema has no 'fields' section"),
            ("version: 2\nfields: {}\n", 1, "unsupported schema version; this Coffer reads version 1"),
            ("fields:\n  email:\n    type: email\n    classification: identifier\n", 2, "the schema must define 'customer_ref' (the customer's id in the source CRM)"),
            ("colour: red\n", 1, "unknown key 'colour'; expected 'version', 'phone_region' or 'fields'"),
            ("fields:\n  customer_ref:\n    type: string\n    classification: identifier\n", 2, "'customer_ref' must be a required string with blind_index: true"),
        ]
        for (text, line, message) in cases {
            let error = #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: text, file: "s.yaml") }
            #expect(error?.line == line, "\(message)")
            #expect(error?.message == message)
        }
    }

    @Test func aSchemaWithTooManyFieldsIsRefused() throws {
        var text = Self.base
        for i in 0..<255 { text += "  f\(i):\n    type: integer\n    classification: attribute\n" }
        let error = #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: text, file: "s.yaml") }
        #expect(error?.message == "a schema has at most 255 fields")
        #expect(error?.line == 8 + 254 * 3)
    }

    @Test func duplicateKeysAndBadYAMLAreRefusedWithALine() throws {
        let duplicate = Self.base + "  city:\n    type: string\n    classification: quasi_identifier\n  city:\n    type: string\n    classification: attribute\n"
        let error = #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: duplicate, file: "s.yaml") }
        #expect(error?.line == 8)
        #expect(error?.message.contains("duplicate key 'city'") == true)
        let broken = #expect(throws: PolicyFileError.self) { _ = try Schema.load(yaml: "fields:\n  a: [1, 2\n", file: "s.yaml") }
        #expect(broken?.message.hasPrefix("not valid YAML") == true)
        #expect((broken?.line ?? 0) > 0)
    }
}

@Suite struct ValueValidationTests {
    let schema: Schema
    init() throws { schema = try TestVault.schema() }

    func normalize(_ field: String, _ value: String) throws -> String? {
        try #require(schema[field]).normalize(value)
    }

    @Test func validValuesAreNormalized() throws {
        #expect(try normalize("email", "  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com")
        #expect(try normalize("phone", " +1 (415) 555-0134 ") == "+14155550134")
        #expect(try normalize("phone", "(415) 555-0134") == "+14155550134")
        #expect(schema["phone"]!.blindIndexForm(ofNormalized: "+1 (415) 555-0134") == "14155550134")
        #expect(try normalize("birth_date", "1990-02-28") == "1990-02-28")
        #expect(try normalize("annual_income", "58250.50") == "58250.50")
        #expect(try normalize("company_size", "0042") == "42")
        #expect(try normalize("homeowner", "Yes") == "true")
        #expect(try normalize("consent_marketing", "0") == "false")
        #expect(try normalize("need", "HIGH") == "high")
        #expect(try normalize("country", "ua") == "UA")
        #expect(try normalize("full_name", "  Олена Коваленко ") == "Олена Коваленко")
        #expect(try normalize("full_name", "张伟") == "张伟")
        #expect(try normalize("notes", "line one,\n\"two\"") == "line one,\n\"two\"")
        #expect(try normalize("email", "   ") == nil)
        // NFC: a decomposed é becomes the precomposed one.
        #expect(try normalize("full_name", "Rene\u{301}") == "Ren\u{E9}")
    }

    @Test(arguments: [
        ("email", "ada.example.com", "not a valid email address"),
        ("email", "ada@example", "not a valid email address"),
        ("email", "a b@example.com", "not a valid email address"),
        ("email", "ada@@example.com", "not a valid email address"),
        ("phone", "12345", "wrong length for US: a national number there has 10 digits after the trunk prefix"),
        ("phone", "+44 20 7946 09x8", "not a phone number (digits, with an optional leading + or 00, spaces, dashes, dots, slashes and parentheses)"),
        ("phone", "+1234567890123456", "longer than the 15 digits of an international number"),
        ("phone", "+999 123 4567", "unknown country calling code after + (or 00)"),
        ("birth_date", "1990-02-30", "not a valid date (use YYYY-MM-DD)"),
        ("birth_date", "30/01/1990", "not a valid date (use YYYY-MM-DD)"),
        ("annual_income", "58,250", "not a decimal number (digits with an optional '.' part, no thousands separators)"),
        ("annual_income", "1e5", "not a decimal number (digits with an optional '.' part, no thousands separators)"),
        ("annual_income", "-5", "below the minimum 0"),
        ("company_size", "12.5", "not an integer"),
        ("homeowner", "perhaps", "not a boolean (use true or false)"),
        ("need", "urgent", "not one of the allowed values (high, medium, low)"),
        ("country", "XX", "not one of the 65 allowed values in the schema"),
        ("full_name", "two\nlines", "line breaks are not allowed (use a text field)"),
        ("full_name", "bell\u{7}", "contains control characters"),
    ])
    func invalidValuesAreRejectedWithoutEchoingThem(field: String, value: String, reason: String) throws {
        let error = #expect(throws: ValueRejection.self) { _ = try normalize(field, value) }
        #expect(error?.reason == reason)
        #expect(error?.field == field)
        #expect(error?.description.contains(value) == false)
    }

    @Test func tooLongValuesAreRejected() throws {
        let error = #expect(throws: ValueRejection.self) { _ = try normalize("full_name", String(repeating: "a", count: 257)) }
        #expect(error?.reason == "longer than 256 characters")
    }

    @Test func civilDateArithmeticRoundTrips() throws {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let date = CivilDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            #expect(CivilDate(iso8601: date.description) == date || date.year < 1)
        }
        #expect(CivilDate(iso8601: "2024-02-29") != nil)
        #expect(CivilDate(iso8601: "2023-02-29") == nil)
        #expect(CivilDate(iso8601: "1970-01-01")?.daysSinceEpoch == 0)
    }
}
