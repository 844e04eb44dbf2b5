import Foundation
import Testing
@testable import Coffer
@testable import Qualification

/// The defaults built into the binary are the files in `policies/`, byte for byte, and work together.
@Suite struct BuiltInDefaultsTests {
    @Test func theBuiltInTextsAreThePolicyFiles() throws {
        #expect(BuiltInPolicies.schemaYAML == (try Fixture.text("policies/schema.yaml")), "run scripts/embed-defaults")
        #expect(BuiltInPolicies.rolesYAML == (try Fixture.text("policies/roles.yaml")), "run scripts/embed-defaults")
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Fixture.repositoryRoot + "/policies/scoring").filter { $0.hasSuffix(".yaml") }
        #expect(Set(BuiltInModels.files.keys) == Set(shipped), "run scripts/embed-defaults")
        for (name, text) in BuiltInModels.files {
            #expect(text == (try Fixture.text("policies/scoring/" + name)), "run scripts/embed-defaults")
        }
        let mappings = try FileManager.default.contentsOfDirectory(atPath: Fixture.repositoryRoot + "/policies/mappings").filter { $0.hasSuffix(".yaml") }
        #expect(Set(BuiltInPolicies.mappings.keys) == Set(mappings), "run scripts/embed-defaults")
        for (name, text) in BuiltInPolicies.mappings {
            #expect(text == (try Fixture.text("policies/mappings/" + name)), "run scripts/embed-defaults")
        }
    }

    @Test func theBuiltInMappingsLoadOnTheBuiltInSchema() throws {
        let schema = try Schema.load(yaml: BuiltInPolicies.schemaYAML, file: "schema.yaml")
        #expect(Set(BuiltInPolicies.mappings.keys) == ["hubspot.yaml", "salesforce.yaml", "odoo.yaml"])
        for (name, text) in BuiltInPolicies.mappings {
            let mapping = try ImportMapping(yaml: text, file: name, schema: schema)
            #expect(mapping.kind == .customers)
            #expect(mapping.rules.contains { $0.target.name == "customer_ref" })
        }
    }

    @Test func theBuiltInModelsLoadForTheAnalystOnTheBuiltInSchemaAndPolicy() throws {
        let schema = try Schema.load(yaml: BuiltInPolicies.schemaYAML, file: "schema.yaml")
        let policy = try Policy.load(yaml: BuiltInPolicies.rolesYAML, file: "roles.yaml", schema: schema)
        let analyst = try #require(policy["analyst"])
        #expect(BuiltInModels.files.count == 2)
        for (name, text) in BuiltInModels.files {
            let model = try ScoringModel.load(yaml: text, file: name, schema: schema, role: analyst)
            #expect(!model.fields.isEmpty)
        }
    }
}
