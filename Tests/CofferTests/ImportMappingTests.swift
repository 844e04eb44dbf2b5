import CofferSupport
import CofferTestSupport
import Foundation
import Testing
@testable import Coffer

/// `--map`: CRM exports as they come, each transform on its own, the shipped presets on sample
/// files written from their vendors' documented column names, and the mapping file's own errors.
@Suite struct ImportMappingTests {
    let fixture: TestVault
    init() throws { fixture = try TestVault() }

    func mapping(_ yaml: String, file: String = "map.yaml") throws -> ImportOptions.MappingSource {
        ImportOptions.MappingSource(yaml: yaml, file: fixture.directory + "/" + file)
    }

    func get(_ reference: String) throws -> CustomerView {
        try fixture.vault.customer(reference: reference, session: fixture.admin, purpose: "operations")
    }

    // MARK: Transforms

    @Test func renameTemplateCaseAndTrim() throws {
        let source = try fixture.file("crm.csv", """
            Record ID,First Name,Last Name,E-Mail,Town,Ignored Column
            17,  Ada , Lovelace ,ADA@Example.COM,  LONDON  ,whatever
            18,Grace,,grace@example.com,new york,x

            """)
        let map = try mapping("""
            fields:
              customer_ref: "CRM-{Record ID}"
              full_name: "{First Name} {Last Name}"
              email: { from: e-mail, case: lower }
              city: { from: Town, case: title }
            """)
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 2 && report.rejected == 0)
        let ada = try get("CRM-17")
        #expect(ada["full_name"] == "Ada Lovelace" && ada["email"] == "ada@example.com" && ada["city"] == "London")
        // An empty last name leaves no dangling space.
        let grace = try get("CRM-18")
        #expect(grace["full_name"] == "Grace" && grace["city"] == "New York")
    }

    @Test func splitTakesAPartFromEitherEnd() throws {
        let source = try fixture.file("s.csv", "id,Company,Who\n1,\"Acme GmbH, Anna Berg\",\"Berg, Anna\"\n2,Solo,\n")
        let map = try mapping("""
            fields:
              customer_ref: "{id}"
              company: { from: Company, split: { separator: ",", part: 1 } }
              full_name: { from: Company, split: { separator: ",", part: -1 } }
            """)
        _ = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(try get("1")["company"] == "Acme GmbH")
        #expect(try get("1")["full_name"] == "Anna Berg")
        #expect(try get("2")["company"] == "Solo")
        #expect(try get("2")["full_name"] == "Solo")
    }

    @Test func dateLayoutsDecimalCommaAndBooleanWords() throws {
        let source = try fixture.file("d.csv", """
            ref;Geburtstag;Letzte Aktivität;Budget;Newsletter;Einkommen
            A;05.03.1984;2024-03-05 14:22;1.234,56;ja;"85.000"
            B;5.3.1984;03/05/2024;12,5;nein;
            C;1984-03-05;05.03.2024 14:22;"2 500,00";是;
            D;31.02.1984;yesterday;12,5;否;

            """)
        let map = try mapping("""
            fields:
              customer_ref: ref
              full_name: "Kunde {ref}"
              birth_date: { from: Geburtstag, date: "%d.%m.%Y" }
              last_activity: { from: Letzte Aktivität, date: ["%Y-%m-%d %H:%M", "%m/%d/%Y", "%d.%m.%Y %H:%M"] }
              budget: { from: Budget, decimal: comma }
              annual_income: { from: Einkommen, decimal: comma }
              consent_marketing: { from: Newsletter, true: [ja, 是], false: [nein, 否] }
            """)
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 2)
        let a = try get("A"), b = try get("B")
        #expect(a["birth_date"] == "1984-03-05" && a["last_activity"] == "2024-03-05" && a["budget"] == "1234.56")
        #expect(a["annual_income"] == "85000" && a["consent_marketing"] == "true")
        #expect(b["birth_date"] == "1984-03-05" && b["last_activity"] == "2024-03-05" && b["budget"] == "12.5" && b["consent_marketing"] == "false")
        // Every bad field of a row is reported, each with the layout it was read with.
        #expect(report.rejections.map(\.line) == [4, 5])
        #expect(report.rejections[0].reason == "birth_date: not a date in the layout %d.%m.%Y")
        #expect(report.rejections[1].reason == "birth_date: not a date in the layout %d.%m.%Y; last_activity: not a date in the layout %Y-%m-%d %H:%M or %m/%d/%Y or %d.%m.%Y %H:%M")
    }

    @Test func enumValueMapsAndWhatUnknownValuesBecome() throws {
        let source = try fixture.file("e.csv", "ref,Source,Need,Gender\n1,Trade show,HIGH,f\n2,Carrier pigeon,low,x\n3,,medium,\n")
        func run(unknown: String) throws -> ImportReport {
            let map = try mapping("""
                fields:
                  customer_ref: ref
                  full_name: "Customer {ref}"
                  lead_source: { from: Source, values: { Trade Show: event }, unknown: \(unknown) }
                  need: Need
                  gender: { from: Gender, values: { f: female, m: male } }
                """)
            return try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        }
        // reject (the default): the schema's check names the allowed values; both bad fields are listed.
        let rejected = try run(unknown: "reject")
        #expect(rejected.rejections.map(\.line) == [3])
        #expect(rejected.rejections[0].reason == "lead_source: not one of the allowed values (web, referral, event, partner, outbound, ads); gender: not one of the allowed values (female, male, nonbinary, undisclosed)")
        #expect(try get("1")["lead_source"] == "event" && (try get("1")["need"]) == "high" && (try get("1")["gender"]) == "female")
        // missing: the field is left empty, the row imported.
        let missing = try run(unknown: "missing")
        #expect(missing.rejections.map(\.line) == [3])
        #expect(missing.rejections[0].reason.hasPrefix("gender:"))
        // a named value.
        _ = try run(unknown: "outbound")
        #expect(try get("3")["lead_source"] == nil)
    }

    @Test func unknownSetToAValueUsesIt() throws {
        let source = try fixture.file("u.csv", "ref,Source\n1,Carrier pigeon\n")
        let map = try mapping("fields:\n  customer_ref: ref\n  full_name: \"Customer {ref}\"\n  lead_source: { from: Source, unknown: partner }\n")
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 1)
        #expect(try get("1")["lead_source"] == "partner")
    }

    // MARK: Header

    @Test func aRuleWithoutItsColumnIsSkippedWithANoteButAMissingReferenceRefusesTheFile() throws {
        let map = try mapping("fields:\n  customer_ref: \"{Record ID}\"\n  job_title: Job Title\n  city: City\n  full_name: \"{City} office\"\n")
        let partial = try fixture.file("p.csv", "Record ID,City\n9,Oslo\n")
        let report = try fixture.vault.importCSV(.customers, path: partial, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 1)
        #expect(report.notes.contains("\(fixture.directory)/map.yaml: no column for job_title (Job Title) in this file; that field is not imported"))

        let before = try fixture.vault.customerCount()
        let noReference = try fixture.file("n.csv", "Id,City\n9,Oslo\n")
        let error = #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: noReference, session: fixture.admin, options: ImportOptions(mapping: map))
        }
        #expect(error?.description == "\(noReference):1: the header has no column 'Record ID', which \(fixture.directory)/map.yaml reads for customer_ref (line 2); export that column too, or edit the mapping")
        #expect(try fixture.vault.customerCount() == before)
    }

    @Test func aMappingWithoutAReferenceRuleIsRefused() throws {
        let map = try mapping("fields:\n  city: City\n")
        let source = try fixture.file("c.csv", "City\nOslo\n")
        let error = #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        }
        #expect(error?.description.contains("no rule for 'customer_ref'") == true)
    }

    @Test func aMappingForOrdersIsRefusedForCustomers() throws {
        let map = try mapping("kind: orders\nfields:\n  customer_ref: Ref\n  order_date: Date\n  amount: Total\n  product_category: Cat\n")
        let source = try fixture.file("o.csv", "Ref\nX\n")
        let error = #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        }
        #expect(error?.description.contains("maps orders, not customers") == true)
    }

    @Test func ordersImportThroughAMappingToo() throws {
        _ = try fixture.vault.importCSV(.customers, path: try fixture.file("c.csv", "customer_ref,full_name\nCUS-1,Ada\n"), session: fixture.admin)
        let orders = try fixture.file("o.csv", "Kunde;Datum;Summe;Kategorie\nCUS-1;05.03.2024;1.299,00;Software\n")
        let map = try mapping("""
            kind: orders
            fields:
              customer_ref: Kunde
              order_date: { from: Datum, date: "%d.%m.%Y" }
              amount: { from: Summe, decimal: comma }
              product_category: { from: Kategorie, case: lower }
            """)
        let report = try fixture.vault.importCSV(.orders, path: orders, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 1 && report.rejected == 0)
        #expect(report.dialect == "utf-8, semicolon-separated")
    }

    // MARK: The mapping file's own errors

    @Test(arguments: [
        ("fields:\n  shoe_size: Size\n", 2, "'shoe_size' is not a customers field"),
        ("kind: leads\nfields:\n  customer_ref: id\n", 1, "kind must be one of customers, orders, outcomes, not 'leads'"),
        ("fields:\n  customer_ref: id\n  birth_date: { from: Born, date: \"%d.%q.%Y\" }\n", 3, "unknown directive %q"),
        ("fields:\n  customer_ref: id\n  birth_date: { from: Born, date: \"%d.%m\" }\n", 3, "needs a year (%Y or %y), a month (%m or %b) and a day (%d)"),
        ("fields:\n  customer_ref: id\n  city: { from: Town, date: \"%d.%m.%Y\" }\n", 3, "applies to date fields, not to string fields"),
        ("fields:\n  customer_ref: id\n  city: { from: Town, decimal: comma }\n", 3, "applies to decimal and integer fields"),
        ("fields:\n  customer_ref: id\n  city: { from: Town, true: [ja] }\n", 3, "applies to boolean fields"),
        ("fields:\n  customer_ref: id\n  need: { from: N, unknown: urgent }\n", 3, "must be reject, missing or one of need's values (high, medium, low), not 'urgent'"),
        ("fields:\n  customer_ref: id\n  need: { from: N, values: { Hot: urgent } }\n", 3, "'Hot' maps to 'urgent', which is not one of need's values"),
        ("fields:\n  customer_ref: { from: id, unknown: missing }\n", 2, "applies to enum fields"),
        ("fields:\n  customer_ref: \"{id\"\n", 2, "'{' without a closing '}'"),
        ("fields:\n  customer_ref: { from: a, template: \"{b}\" }\n", 2, "give either from or template, not both"),
        ("fields:\n  customer_ref: { case: lower }\n", 2, "needs from: COLUMN or template"),
        ("fields:\n  customer_ref: { from: id, colour: red }\n", 2, "unknown key"),
        ("fields:\n  customer_ref: id\n  city: { from: Town, case: shouting }\n", 3, "must be lower, upper or title, not 'shouting'"),
        ("fields:\n  customer_ref: id\n  city: { from: Town, split: { separator: \",\", part: 0 } }\n", 3, "needs a non-empty separator and a part"),
        ("fields:\n  customer_ref: id\n  homeowner: { from: H, true: [ja], false: [ja] }\n", 3, "a word is in both true and false"),
        ("colour: blue\nfields:\n  customer_ref: id\n", 1, "unknown key 'colour'"),
        ("kind: customers\n", 1, "no fields: section"),
    ] as [(String, Int, String)])
    func mappingFileErrorsNameTheFileAndLine(yaml: String, line: Int, message: String) throws {
        let source = try fixture.file("x.csv", "id\n1\n")
        let error = #expect(throws: VaultError.self) {
            try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: try mapping(yaml)))
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("\(fixture.directory)/map.yaml:\(line):"), "\(text)")
        #expect(text.contains(message), "\(text)")
        #expect(try fixture.vault.customerCount() == 0)
    }

    // MARK: Presets

    /// A HubSpot contacts export as Excel in Germany saves it: semicolons, windows-1252, dates
    /// re-formatted to German, the documented default property labels as the header.
    static let hubSpotExcelGerman: [UInt8] = windows1252("""
        Record ID;First Name;Last Name;Email;Phone Number;Company Name;Job Title;City;Postal Code;Country/Region;Industry;Last Activity Date;Original Source;Unsubscribed from all email;Lifecycle Stage\r
        101;René;Müller;Rene.Mueller@Example.de;+49 30 1234567;Müller & Söhne GmbH;Geschäftsführer;Köln;50667;Deutschland;Maschinenbau;05.03.2024 14:22;Offline Sources;nein;customer\r
        102;Zoë;O'Brien;zoe@example.ie;+353 1 234 5678;Acme;CTO;Dublin;D02;Ireland;Software;2024-02-01 09:00;Organic Search;ja;lead\r
        103;Jürgen;Groß;j.gross@example.at;+43 1 234567;;;Wien;1010;Österreich;;;Carrier Pigeon;;lead\r

        """)

    static func windows1252(_ text: String) -> [UInt8] {
        TextEncoding.windows1252.encode(utf8: Array(text.utf8))
    }

    @Test func hubSpotExportSavedByExcelInGermanyImportsWithoutHandEditing() throws {
        let path = fixture.directory + "/hubspot-contacts.csv"
        try Data(Self.hubSpotExcelGerman).write(to: URL(fileURLWithPath: path))
        let map = ImportOptions.MappingSource(yaml: try String(contentsOfFile: TestVault.repositoryRoot + "/policies/mappings/hubspot.yaml", encoding: .utf8), file: "hubspot.yaml")
        let report = try fixture.vault.importCSV(.customers, path: path, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 3 && report.rejected == 0, "\(report.rejections)")
        #expect(report.dialect == "windows-1252, semicolon-separated")
        #expect(report.notes.first?.hasPrefix("detected encoding windows-1252, semicolon as the delimiter") == true)
        let rene = try get("HS-101")
        #expect(rene["full_name"] == "René Müller" && rene["email"] == "rene.mueller@example.de" && rene["city"] == "Köln")
        #expect(rene["company"] == "Müller & Söhne GmbH" && rene["country"] == "DE" && rene["last_activity"] == "2024-03-05")
        #expect(rene["lead_source"] == "event" && rene["consent_marketing"] == "true" && rene["job_title"] == "Geschäftsführer")
        let zoe = try get("HS-102")
        #expect(zoe["full_name"] == "Zoë O'Brien" && zoe["country"] == "IE" && zoe["lead_source"] == "web" && zoe["consent_marketing"] == "false")
        let jurgen = try get("HS-103")
        #expect(jurgen["lead_source"] == nil && jurgen["country"] == "AT" && jurgen["company"] == nil)
    }

    @Test func salesforceReportExportImports() throws {
        let source = try fixture.file("salesforce.csv", """
            "Contact ID","First Name","Last Name","Title","Account Name","Email","Phone","Mailing Street","Mailing City","Mailing Zip/Postal Code","Mailing Country Code","Birthdate","Lead Source","Email Opt Out","Description"
            "0035g00000AbCdE","Jane","Doe","VP Sales","Globex","jane.doe@globex.com","(415) 555-0100","1 Market St","San Francisco","94105","us","3/5/1980","Trade Show","0","Met at booth"
            "0035g00000AbCdF","Ravi","Kumar","CFO","Initech","ravi@initech.in","+91 22 5555 0100","","Mumbai","400001","IN","","Phone Inquiry","1",""

            """)
        let map = ImportOptions.MappingSource(yaml: try String(contentsOfFile: TestVault.repositoryRoot + "/policies/mappings/salesforce.yaml", encoding: .utf8), file: "salesforce.yaml")
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 2 && report.rejected == 0, "\(report.rejections)")
        let jane = try get("SF-0035g00000AbCdE")
        #expect(jane["full_name"] == "Jane Doe" && jane["country"] == "US" && jane["birth_date"] == "1980-03-05")
        #expect(jane["lead_source"] == "event" && jane["consent_marketing"] == "true" && jane["company"] == "Globex" && jane["notes"] == "Met at booth")
        let ravi = try get("SF-0035g00000AbCdF")
        #expect(ravi["lead_source"] == nil && ravi["consent_marketing"] == "false" && ravi["job_title"] == "CFO")
    }

    @Test func odooExportImports() throws {
        let source = try fixture.file("res_partner.csv", """
            "ID","Name","Email","Phone","Street","City","Zip","Country","Related Company","Job Position"
            "42","Anna Berg","anna@berg.be","+32 2 555 01 00","Rue Haute 1","Bruxelles","1000","Belgique","Berg SA, Anna Berg","Directrice"
            "43","Tom Peeters","","","","Gent","9000","België","",""

            """)
        let map = ImportOptions.MappingSource(yaml: try String(contentsOfFile: TestVault.repositoryRoot + "/policies/mappings/odoo.yaml", encoding: .utf8), file: "odoo.yaml")
        let report = try fixture.vault.importCSV(.customers, path: source, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(report.inserted == 2 && report.rejected == 0, "\(report.rejections)")
        let anna = try get("ODOO-42")
        #expect(anna["full_name"] == "Anna Berg" && anna["company"] == "Berg SA" && anna["country"] == "BE" && anna["job_title"] == "Directrice")
        #expect(try get("ODOO-43")["country"] == "BE")
    }

    // MARK: Rejects, in the source's dialect

    @Test func aRejectsFileKeepsTheSourceDialectAndRoundTripsThroughTheSameMapping() throws {
        let path = fixture.directory + "/export.csv"
        try Data(Self.windows1252("Nr;Name;Mail\n1;René;rene@example.de\n2;Zoë;kaputt\n")).write(to: URL(fileURLWithPath: path))
        let map = try mapping("fields:\n  customer_ref: Nr\n  full_name: Name\n  email: Mail\n")
        let rejects = fixture.directory + "/rejects.csv"
        let report = try fixture.vault.importCSV(.customers, path: path, session: fixture.admin, options: ImportOptions(mapping: map, rejectsPath: rejects))
        #expect(report.inserted == 1 && report.rejected == 1)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: rejects)))
        #expect(written == Self.windows1252("Nr;Name;Mail;coffer_reject_reason\n2;Zoë;kaputt;email: not a valid email address\n"))
        // Fix the row in place, keep the reason column, import the rejects file again.
        try Data(Self.windows1252("Nr;Name;Mail;coffer_reject_reason\n2;Zoë;zoe@example.de;email: not a valid email address\n"))
            .write(to: URL(fileURLWithPath: rejects))
        let again = try fixture.vault.importCSV(.customers, path: rejects, session: fixture.admin, options: ImportOptions(mapping: map))
        #expect(again.inserted == 1 && again.rejected == 0)
        #expect(try get("2")["full_name"] == "Zoë")
    }
}
