import CofferCrypto
import CofferSupport
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

extension TestVault {
    static var rolesPath: String { repositoryRoot + "/policies/roles.yaml" }

    static func policy(schema: Schema? = nil) throws -> Policy {
        try Policy.load(yaml: String(contentsOfFile: rolesPath, encoding: .utf8), file: rolesPath, schema: schema ?? Self.schema())
    }
}

@Suite struct PolicyTests {
    let schema: Schema
    let policy: Policy
    init() throws {
        schema = try TestVault.schema()
        policy = try TestVault.policy(schema: schema)
    }

    static let incomeBands = Generalization.bands([0, 25000, 50000, 75000, 100000, 150000, 250000])
    static let sizeBuckets = Generalization.buckets([1, 10, 50, 250, 1000, 5000])

    /// The shipped policy, cell by cell: every role × every schema field.
    static let expectedViews: [String: [String: FieldView]] = [
        "admin": [
            "customer_ref": .plain, "full_name": .plain, "email": .plain, "phone": .plain, "street_address": .plain,
            "postal_code": .plain, "city": .plain, "country": .plain, "birth_date": .plain, "gender": .plain,
            "occupation": .plain, "annual_income": .plain, "homeowner": .plain, "company": .plain, "job_title": .plain,
            "company_size": .plain, "industry": .plain, "budget": .plain, "decision_maker": .plain, "need": .plain,
            "purchase_timeline_days": .plain, "website_visits_30d": .plain, "email_opens_30d": .plain,
            "last_activity": .plain, "competitor_contract_end": .plain, "payment_delays": .plain, "disputes": .plain,
            "consent_marketing": .plain, "lead_source": .plain, "notes": .plain,
        ],
        "analyst": [
            "customer_ref": .pseudonym(domain: "analytics"), "full_name": .redacted, "email": .redacted, "phone": .redacted,
            "street_address": .redacted, "postal_code": .generalized(.prefix(2)), "city": .redacted, "country": .plain,
            "birth_date": .generalized(.ageBand(width: 10)), "gender": .redacted, "occupation": .redacted,
            "annual_income": .generalized(incomeBands), "homeowner": .plain, "company": .redacted, "job_title": .redacted,
            "company_size": .generalized(sizeBuckets), "industry": .plain, "budget": .plain, "decision_maker": .plain,
            "need": .plain, "purchase_timeline_days": .plain, "website_visits_30d": .plain, "email_opens_30d": .plain,
            "last_activity": .generalized(.month), "competitor_contract_end": .generalized(.month),
            "payment_delays": .plain, "disputes": .plain, "consent_marketing": .plain, "lead_source": .plain, "notes": .redacted,
        ],
        "sales": [
            "customer_ref": .plain, "full_name": .plain, "email": .plain, "phone": .plain, "street_address": .redacted,
            "postal_code": .redacted, "city": .plain, "country": .plain, "birth_date": .redacted, "gender": .redacted,
            "occupation": .redacted, "annual_income": .redacted, "homeowner": .redacted, "company": .plain, "job_title": .plain,
            "company_size": .plain, "industry": .plain, "budget": .redacted, "decision_maker": .plain, "need": .plain,
            "purchase_timeline_days": .plain, "website_visits_30d": .redacted, "email_opens_30d": .redacted,
            "last_activity": .plain, "competitor_contract_end": .redacted, "payment_delays": .redacted, "disputes": .redacted,
            "consent_marketing": .plain, "lead_source": .redacted, "notes": .redacted,
        ],
        "support": [
            "customer_ref": .plain, "full_name": .masked, "email": .masked, "phone": .masked, "street_address": .redacted,
            "postal_code": .redacted, "city": .redacted, "country": .plain, "birth_date": .redacted, "gender": .redacted,
            "occupation": .redacted, "annual_income": .redacted, "homeowner": .redacted, "company": .plain, "job_title": .redacted,
            "company_size": .redacted, "industry": .redacted, "budget": .redacted, "decision_maker": .redacted, "need": .redacted,
            "purchase_timeline_days": .redacted, "website_visits_30d": .redacted, "email_opens_30d": .redacted,
            "last_activity": .plain, "competitor_contract_end": .redacted, "payment_delays": .plain, "disputes": .plain,
            "consent_marketing": .plain, "lead_source": .redacted, "notes": .redacted,
        ],
        "auditor": [
            "customer_ref": .redacted, "full_name": .redacted, "email": .redacted, "phone": .redacted, "street_address": .redacted,
            "postal_code": .redacted, "city": .redacted, "country": .redacted, "birth_date": .redacted, "gender": .redacted,
            "occupation": .redacted, "annual_income": .redacted, "homeowner": .redacted, "company": .redacted, "job_title": .redacted,
            "company_size": .redacted, "industry": .redacted, "budget": .redacted, "decision_maker": .redacted, "need": .redacted,
            "purchase_timeline_days": .redacted, "website_visits_30d": .redacted, "email_opens_30d": .redacted,
            "last_activity": .redacted, "competitor_contract_end": .redacted, "payment_delays": .redacted, "disputes": .redacted,
            "consent_marketing": .redacted, "lead_source": .redacted, "notes": .redacted,
        ],
    ]

    static let expectedActions: [String: Set<Action>] = [
        "admin": [.read, .write, .import, .erase, .score, .reidentify, .export, .auditRead, .manageKeys, .manageUsers],
        "analyst": [.read, .score, .export],
        "sales": [.read],
        "support": [.read],
        "auditor": [.auditRead],
    ]

    static let expectedPurposes: [String: [String]?] = [
        "admin": ["operations", "data_subject_request", "support_case"],
        "analyst": ["qualification", "analytics"],
        "sales": ["prospecting", "account_management"],
        "support": ["support_case"],
        "auditor": nil,
    ]

    @Test func theShippedPolicyLoadsWithItsFiveRoles() throws {
        #expect(policy.roleNames == ["admin", "analyst", "sales", "support", "auditor"])
        #expect(Set(policy.roles.keys) == Set(policy.roleNames))
        #expect(policy["nobody"] == nil)
        let bytes = try #require(FileManager.default.contents(atPath: TestVault.rolesPath))
        #expect(policy.digest == (try SHA256.hash(Array(bytes)).hexString))
        #expect(policy.digest.count == 64)
        #expect(policy.source == String(decoding: bytes, as: UTF8.self))
        #expect(policy.schemaDigest == schema.digest)
    }

    @Test(arguments: ["admin", "analyst", "sales", "support", "auditor"])
    func everyFieldOfTheShippedPolicy(role: String) throws {
        let rolePolicy = try #require(policy[role])
        let expected = try #require(Self.expectedViews[role])
        // The table covers exactly the schema, so a new schema field fails here until it is decided.
        #expect(Set(expected.keys) == Set(schema.fieldNames))
        for field in schema.fieldNames {
            #expect(rolePolicy.view(of: field) == expected[field], "\(role).\(field)")
        }
        #expect(rolePolicy.visibleFields == schema.fieldNames.filter { expected[$0] != .redacted })
        #expect(rolePolicy.fieldViews == schema.fieldNames.map { expected[$0]! })
        #expect(rolePolicy.name == role)
    }

    @Test(arguments: ["admin", "analyst", "sales", "support", "auditor"])
    func everyActionOfTheShippedPolicy(role: String) throws {
        let rolePolicy = try #require(policy[role])
        let expected = try #require(Self.expectedActions[role])
        for action in Action.allCases {
            #expect(rolePolicy.allows(action) == expected.contains(action), "\(role) \(action.rawValue)")
        }
        #expect(rolePolicy.actions == expected)
        #expect(rolePolicy.purposes == Self.expectedPurposes[role]!)
    }

    @Test func theIntentOfTheShippedRolesHolds() throws {
        let analyst = try #require(policy["analyst"])
        for field in schema.fields where field.classification == .identifier {
            // Analysts see no identifier in clear: pseudonymized or absent.
            #expect(analyst.view(of: field.name) != .plain && analyst.view(of: field.name) != .masked, "\(field.name)")
        }
        for field in schema.fields where field.classification == .quasiIdentifier {
            #expect(analyst.view(of: field.name) != .masked, "\(field.name)")
        }
        #expect(policy["auditor"]?.visibleFields == [])
        #expect(policy["support"]?.visibleFields.filter { schema[$0]?.classification == .identifier } == ["customer_ref", "full_name", "email", "phone"])
    }

    @Test func purposesAreRequiredOnlyWhenListed() throws {
        let analyst = try #require(policy["analyst"])
        #expect(analyst.accepts(purpose: "qualification"))
        #expect(!analyst.accepts(purpose: "support_case"))
        #expect(!analyst.accepts(purpose: nil))
        let auditor = try #require(policy["auditor"])
        #expect(auditor.accepts(purpose: nil))
        #expect(auditor.accepts(purpose: "anything"))
    }

    @Test func aFieldAddedToTheSchemaIsRedactedForEveryRoleThatDoesNotNameIt() throws {
        let extended = try Schema.load(yaml: schema.source + """
              loyalty_tier:
                type: enum
                classification: attribute
                values: [gold, silver]
            """ + "\n", file: "schema.yaml")
        let policy = try TestVault.policy(schema: extended)
        for role in ["analyst", "sales", "support", "auditor"] {
            #expect(policy[role]?.view(of: "loyalty_tier") == .redacted, "\(role)")
            #expect(policy[role]?.visibleFields.contains("loyalty_tier") == false)
        }
        // Only an explicit wildcard grants it.
        #expect(policy["admin"]?.view(of: "loyalty_tier") == .plain)
        // A name no schema has is redacted even under a wildcard.
        #expect(policy["admin"]?.view(of: "salary") == .redacted)
        #expect(self.policy["analyst"]?.view(of: "loyalty_tier") == .redacted)
    }

    @Test func aRoleWithoutFieldsSeesNothingAndAnEmptyActionListAllowsNothing() throws {
        let policy = try Policy.load(yaml: "roles:\n  suspended:\n    actions: []\n", file: "p.yaml", schema: schema)
        let role = try #require(policy["suspended"])
        #expect(role.actions.isEmpty)
        #expect(role.visibleFields.isEmpty)
        #expect(schema.fieldNames.allSatisfy { role.view(of: $0) == .redacted })
        #expect(role.purposes == nil)
    }

    @Test func operatorsCanAddRolesWithEveryViewForm() throws {
        let text = """
            version: 1
            roles:
              marketing:
                description: Campaign planning.
                actions: [read, export]
                purposes: [campaigns]
                fields:
                  "*": redacted
                  email: { view: pseudonym, domain: marketing-2026 }
                  phone: { view: masked }
                  postal_code: { view: generalized, prefix: 3 }
                  birth_date: { view: generalized, age_band: 5 }
                  last_activity: { view: generalized, date: quarter }
                  budget: { view: generalized, bands: [0, 999.5, 10000] }
                  company_size: { view: generalized, bands: [1, 100] }
                  country: { view: plain }
                  notes: { view: redacted }
            """
        let role = try #require(try Policy.load(yaml: text, file: "p.yaml", schema: schema)["marketing"])
        #expect(role.view(of: "email") == .pseudonym(domain: "marketing-2026"))
        #expect(role.view(of: "phone") == .masked)
        #expect(role.view(of: "postal_code") == .generalized(.prefix(3)))
        #expect(role.view(of: "birth_date") == .generalized(.ageBand(width: 5)))
        #expect(role.view(of: "last_activity") == .generalized(.quarter))
        #expect(role.view(of: "budget") == .generalized(.bands([0, 999.5, 10000])))
        #expect(role.view(of: "company_size") == .generalized(.bands([1, 100])))
        #expect(role.view(of: "country") == .plain)
        #expect(role.view(of: "notes") == .redacted)
        #expect(role.view(of: "full_name") == .redacted)
        #expect(role.visibleFields == ["email", "phone", "postal_code", "country", "birth_date", "company_size", "budget", "last_activity"])
        #expect(role.view(of: "budget").description == "generalized (bands from 0, 999.50, 10000)")
        #expect(role.view(of: "email").description == "pseudonym (domain marketing-2026)")
    }

    // MARK: Malformed files

    /// `version: 1 / roles: / r: / actions: [read] / fields:`; case lines start at line 6.
    static func fields(_ lines: String) -> String {
        "version: 1\nroles:\n  r:\n    actions: [read]\n    fields:\n" + lines
    }

    /// `version: 1 / roles: / r:`; case lines start at line 4.
    static func role(_ lines: String) -> String {
        "version: 1\nroles:\n  r:\n" + lines
    }

    static let actionList = "read, write, import, erase, score, reidentify, export, audit_read, manage_keys, manage_users"
    static let viewList = "plain, masked, pseudonym, generalized or redacted"
    static let simpleName = "must be a simple name (lowercase letters, digits, '_' or '-', starting with a letter)"

    static let malformed: [(String, Int, String)] = [
        // Whole file
        ("", 1, "the file is empty"),
        ("# nothing but a comment\n", 1, "the file is empty"),
        ("- admin\n", 1, "the policy must be a mapping"),
        ("version: 1\n", 1, "the policy has no 'roles' section"),
        ("version: 2\nroles:\n  r:\n    actions: [read]\n", 1, "unsupported policy version; this Coffer reads version 1"),
        ("version: 1\nroles:\n  r:\n    actions: [read]\ncolour: red\n", 5, "unknown key 'colour'; expected 'version' or 'roles'"),
        ("version: 1\nroles: {}\n", 2, "'roles' is empty"),
        ("version: 1\nroles: [admin]\n", 2, "roles must be a mapping"),
        ("version: 1\nroles:\n  r:\n    actions: [read]\n  r:\n    actions: [write]\n", 3, "not valid YAML: duplicate key 'r'"),
        ("version: 1\nroles:\n  r:\n    actions: [read\n", 5, "not valid YAML: did not find expected ',' or ']'"),
        // Roles
        ("version: 1\nroles:\n  Sales Team:\n    actions: [read]\n", 3, "role name 'Sales Team' \(simpleName)"),
        (role("    actions: [read]\n    colour: red\n"), 5, "role 'r': unknown key 'colour'; expected actions, purposes, fields or description"),
        (role("    fields: {}\n"), 3, "role 'r' has no 'actions' list"),
        (role("    actions: read\n"), 4, "role 'r': actions must be a list"),
        (role("    actions: [read, delete]\n"), 4, "role 'r': unknown action 'delete'; expected one of \(actionList)"),
        (role("    actions:\n      - read\n      - auditread\n"), 6, "role 'r': unknown action 'auditread'; expected one of \(actionList)"),
        (role("    actions: [read, READ]\n"), 4, "role 'r': unknown action 'READ'; expected one of \(actionList)"),
        (role("    actions:\n      - read\n      - score\n      - read\n"), 7, "role 'r': duplicate action 'read'"),
        (role("    actions: [read]\n    purposes: []\n"), 5, "role 'r': 'purposes' is empty; leave it out to require no purpose"),
        (role("    actions: [read]\n    purposes: [qualification, qualification]\n"), 5, "role 'r': duplicate purpose 'qualification'"),
        (role("    actions: [read]\n    purposes: [Lead Scoring]\n"), 5, "role 'r': purpose 'Lead Scoring' \(simpleName)"),
        (role("    actions: [read]\n    fields: [email]\n"), 5, "role 'r': fields must be a mapping"),
        // Fields
        (fields("      salary: plain\n"), 6, "role 'r': unknown field 'salary'; the schema has no such field"),
        (fields("      email: plain\n      Email: plain\n"), 7, "role 'r': unknown field 'Email'; the schema has no such field"),
        (fields("      email: plain\n      phone: plain\n      email: masked\n"), 6, "not valid YAML: duplicate key 'email'"),
        // Views
        (fields("      email: hidden\n"), 6, "role 'r', field 'email': unknown view 'hidden'; expected \(viewList)"),
        (fields("      email:\n        view: Plain\n"), 7, "role 'r', field 'email': unknown view 'Plain'; expected \(viewList)"),
        (fields("      email:\n      phone: plain\n"), 6, "role 'r', field 'email': unknown view ''; expected \(viewList)"),
        (fields("      email: [plain]\n"), 6, "role 'r', field 'email': a view is a name (\(viewList)) or a mapping with 'view'"),
        (fields("      email: { domain: crm }\n"), 6, "role 'r', field 'email': the view mapping has no 'view' key"),
        (fields("      email: { view: masked, style: stars }\n"), 6, "role 'r', field 'email': unknown key 'style' in the view"),
        (fields("      email: { view: plain, domain: crm }\n"), 6, "role 'r', field 'email': 'domain' only applies to pseudonym views"),
        (fields("      postal_code:\n        view: masked\n        prefix: 2\n"), 8, "role 'r', field 'postal_code': 'prefix' only applies to generalized views"),
        (fields("      email:\n        view: pseudonym\n        domain: crm\n        age_band: 10\n"), 9, "role 'r', field 'email': 'age_band' only applies to generalized views"),
        (fields("      \"*\": masked\n"), 6, "role 'r', field '*': the wildcard can only be plain or redacted"),
        (fields("      \"*\": { view: pseudonym, domain: all }\n"), 6, "role 'r', field '*': the wildcard can only be plain or redacted"),
        (fields("      \"*\": { view: generalized, prefix: 1 }\n"), 6, "role 'r', field '*': the wildcard can only be plain or redacted"),
        (fields("      *: plain\n"), 6, "not valid YAML: did not find expected alphabetic or numeric character"),
        // Masked: only where part of a value can be shown
        (fields("      homeowner: masked\n"), 6, "role 'r', field 'homeowner': masked only applies to string, text, email and phone fields, not to boolean fields"),
        (fields("      company_size: masked\n"), 6, "role 'r', field 'company_size': masked only applies to string, text, email and phone fields, not to integer fields"),
        (fields("      budget: { view: masked }\n"), 6, "role 'r', field 'budget': masked only applies to string, text, email and phone fields, not to decimal fields"),
        (fields("      birth_date: masked\n"), 6, "role 'r', field 'birth_date': masked only applies to string, text, email and phone fields, not to date fields"),
        (fields("      country: masked\n"), 6, "role 'r', field 'country': masked only applies to string, text, email and phone fields, not to enum fields"),
        // Pseudonyms
        (fields("      customer_ref: pseudonym\n"), 6, "role 'r', field 'customer_ref': pseudonym needs a domain, e.g. { view: pseudonym, domain: analytics }"),
        (fields("      customer_ref:\n        view: pseudonym\n"), 7, "role 'r', field 'customer_ref': pseudonym needs a 'domain' (equal values get equal tokens only within one domain)"),
        (fields("      customer_ref: { view: pseudonym, domain: Analytics Team }\n"), 6, "role 'r', field 'customer_ref': pseudonym domain 'Analytics Team' \(simpleName)"),
        (fields("      customer_ref:\n        view: pseudonym\n        domain: a/b\n"), 8, "role 'r', field 'customer_ref': pseudonym domain 'a/b' \(simpleName)"),
        (fields("      customer_ref: { view: pseudonym, domain: \"\" }\n"), 6, "role 'r', field 'customer_ref': pseudonym domain '' \(simpleName)"),
        (fields("      homeowner: { view: pseudonym, domain: crm }\n"), 6, "role 'r', field 'homeowner': pseudonym does not apply to boolean fields"),
        (fields("      notes: { view: pseudonym, domain: crm }\n"), 6, "role 'r', field 'notes': pseudonym does not apply to text fields"),
        // Generalized
        (fields("      birth_date: generalized\n"), 6, "role 'r', field 'birth_date': generalized needs one of age_band, bands, buckets, prefix or date, e.g. { view: generalized, prefix: 2 }"),
        (fields("      birth_date:\n        view: generalized\n"), 7, "role 'r', field 'birth_date': generalized needs one of age_band, bands, buckets, prefix or date"),
        (fields("      birth_date:\n        view: generalized\n        age_band: 10\n        date: month\n"), 9, "role 'r', field 'birth_date': give only one of age_band, bands, buckets, prefix or date"),
        (fields("      postal_code:\n        view: generalized\n        age_band: 10\n"), 8, "role 'r', field 'postal_code': 'age_band' only applies to date fields, not to string fields"),
        (fields("      birth_date: { view: generalized, age_band: 0 }\n"), 6, "role 'r', field 'birth_date': age_band must be a whole number of years from 1 to 100"),
        (fields("      birth_date: { view: generalized, age_band: -10 }\n"), 6, "role 'r', field 'birth_date': age_band must be a whole number of years from 1 to 100"),
        (fields("      birth_date: { view: generalized, age_band: ten }\n"), 6, "role 'r', field 'birth_date': age_band must be a whole number of years from 1 to 100"),
        (fields("      birth_date: { view: generalized, age_band: 2.5 }\n"), 6, "role 'r', field 'birth_date': age_band must be a whole number of years from 1 to 100"),
        (fields("      company: { view: generalized, date: month }\n"), 6, "role 'r', field 'company': 'date' only applies to date fields, not to string fields"),
        (fields("      company_size: { view: generalized, date: quarter }\n"), 6, "role 'r', field 'company_size': 'date' only applies to date fields, not to integer fields"),
        (fields("      last_activity: { view: generalized, date: week }\n"), 6, "role 'r', field 'last_activity': date must be month or quarter, not 'week'"),
        (fields("      birth_date: { view: generalized, prefix: 4 }\n"), 6, "role 'r', field 'birth_date': 'prefix' only applies to string fields, not to date fields"),
        (fields("      email: { view: generalized, prefix: 4 }\n"), 6, "role 'r', field 'email': 'prefix' only applies to string fields, not to email fields"),
        (fields("      notes: { view: generalized, prefix: 4 }\n"), 6, "role 'r', field 'notes': 'prefix' only applies to string fields, not to text fields"),
        (fields("      postal_code: { view: generalized, prefix: 0 }\n"), 6, "role 'r', field 'postal_code': prefix must be a whole number of characters from 1 to 64"),
        // Bands and buckets
        (fields("      postal_code: { view: generalized, bands: [0, 10] }\n"), 6, "role 'r', field 'postal_code': 'bands' only applies to integer and decimal fields, not to string fields"),
        (fields("      homeowner: { view: generalized, bands: [0, 1] }\n"), 6, "role 'r', field 'homeowner': 'bands' only applies to integer and decimal fields, not to boolean fields"),
        (fields("      birth_date: { view: generalized, bands: [1950, 1970] }\n"), 6, "role 'r', field 'birth_date': 'bands' only applies to integer and decimal fields, not to date fields"),
        (fields("      annual_income: { view: generalized, bands: [] }\n"), 6, "role 'r', field 'annual_income': bands is empty; list the lower bounds, e.g. [0, 10, 50]"),
        (fields("      annual_income: { view: generalized, bands: 25000 }\n"), 6, "role 'r', field 'annual_income': bands must be a list"),
        (fields("      annual_income:\n        view: generalized\n        bands:\n          - 0\n          - 25000\n          - 25000\n"), 11, "role 'r', field 'annual_income': bands: 25000 repeats the previous bound (bounds must be strictly increasing)"),
        (fields("      annual_income:\n        view: generalized\n        bands:\n          - 0\n          - 50000\n          - 25000\n"), 11, "role 'r', field 'annual_income': bands: 25000 is below the previous bound 50000 (negative band width; bounds must be strictly increasing)"),
        (fields("      annual_income:\n        view: generalized\n        bands:\n          - 0\n          - lots\n"), 10, "role 'r', field 'annual_income': bands: 'lots' is not a number (digits with at most 2 decimals)"),
        (fields("      annual_income: { view: generalized, bands: [0, 0.125] }\n"), 6, "role 'r', field 'annual_income': bands: '0.125' is not a number (digits with at most 2 decimals)"),
        (fields("      annual_income: { view: generalized, bands: [0, 1e5] }\n"), 6, "role 'r', field 'annual_income': bands: '1e5' is not a number (digits with at most 2 decimals)"),
        (fields("      annual_income: { view: generalized, bands: [0, 25_000] }\n"), 6, "role 'r', field 'annual_income': bands: '25_000' is not a number (digits with at most 2 decimals)"),
        (fields("      annual_income: { view: generalized, bands: [0, 100000000000000] }\n"), 6, "role 'r', field 'annual_income': bands: '100000000000000' is not a number (digits with at most 2 decimals)"),
        (fields("      annual_income: { view: generalized, bands: [0, [1, 2]] }\n"), 6, "role 'r', field 'annual_income': each bands bound must be a single value"),
        (fields("      company_size: { view: generalized, bands: [1, 10.5] }\n"), 6, "role 'r', field 'company_size': bands: '10.5' is not a whole number (bands of an integer field)"),
        (fields("      annual_income: { view: generalized, buckets: [0, 10] }\n"), 6, "role 'r', field 'annual_income': 'buckets' only applies to integer fields, not to decimal fields"),
        (fields("      company_size: { view: generalized, buckets: [] }\n"), 6, "role 'r', field 'company_size': buckets is empty; list the lower bounds, e.g. [0, 10, 50]"),
        (fields("      company_size: { view: generalized, buckets: [1, 2.5] }\n"), 6, "role 'r', field 'company_size': buckets: '2.5' is not a whole number"),
        (fields("      company_size:\n        view: generalized\n        buckets: [1, 10,\n          10, 50]\n"), 9, "role 'r', field 'company_size': buckets: 10 repeats the previous bound (bounds must be strictly increasing)"),
        (fields("      company_size: { view: generalized, buckets: [50, 10] }\n"), 6, "role 'r', field 'company_size': buckets: 10 is below the previous bound 50 (negative band width; bounds must be strictly increasing)"),
    ]

    @Test(arguments: malformed)
    func malformedPoliciesAreRefusedWithTheirLine(text: String, line: Int, message: String) throws {
        let error = #expect(throws: PolicyFileError.self) {
            _ = try Policy.load(yaml: text, file: "roles.yaml", schema: schema)
        }
        #expect(error?.line == line)
        #expect(error?.message == message)
        #expect(error?.description == "roles.yaml:\(line): \(message)")
    }

    @Test func everyMalformedCaseDiffersFromALoadableFileInOneWay() throws {
        // The bases of the malformed cases load, so each refusal comes from its own lines.
        _ = try Policy.load(yaml: Self.fields("      email: plain\n"), file: "p.yaml", schema: schema)
        _ = try Policy.load(yaml: Self.role("    actions: [read]\n"), file: "p.yaml", schema: schema)
    }
}
