import Foundation
import Testing
@testable import Coffer
@testable import Qualification

/// Scoring models load for the role that will run them; every invalid model is refused with
/// the `file:line` of the node at fault.
@Suite struct ModelLoadingTests {
    /// A valid model whose fit rules start on line 7 (one per line) and whose tiers follow.
    ///
    ///     1 name: test          5   fit:
    ///     2 version: 1          6     rules:
    ///     3 purpose: ...        7       - <rules[0]>
    ///     4 groups:             ...     tiers:, then one line per tier, then `tail`
    static func model(rules: [String] = ["{ field: industry, equals: Software, points: 10 }"],
                      tiers: [String] = ["{ name: A, min: 10 }", "{ name: B, max: 10 }"],
                      purpose: String = "qualification", tail: String = "") -> String {
        modelYAML(purpose: purpose, "groups:\n  fit:\n    rules:\n"
            + rules.map { "      - \($0)\n" }.joined()
            + "tiers:\n" + tiers.map { "  - \($0)\n" }.joined() + tail)
    }

    /// Loads `yaml` for the analyst and checks the refusal's line and message.
    func expectRefused(_ yaml: String, line: Int, _ fragments: String..., role: String = "analyst",
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = try Fixture.refusal(yaml, role: role, sourceLocation: sourceLocation)
        #expect(error.file == "model.yaml", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(error.description.hasPrefix("model.yaml:\(line): "), sourceLocation: sourceLocation)
    }

    // MARK: Shipped models

    @Test func theShippedB2BModelLoadsForTheAnalyst() throws {
        let model = try Fixture.model(try Fixture.text("policies/scoring/b2b.yaml"), file: "b2b.yaml")
        #expect(model.name == "b2b-leads" && model.version == "1" && model.purpose == "qualification")
        #expect(model.groups.map(\.name) == ["fit", "intent", "engagement", "risk"])
        #expect(model.groups.map { $0.rules.count } == [5, 6, 5, 3])
        #expect(model.grading.tierNames == ["A", "B", "C", "D"])
        #expect(model.scoreCap == ScoreCap(min: 0, max: 100))
        #expect(model.groups[2].decay?.field == "last_activity" && model.groups[2].decay?.halfLifeDays == 30)
        #expect(model.disqualifiers.map(\.reason) == ["no marketing consent", "marketing consent not recorded"])
        #expect(model.nextActions.count == 6 && model.defaultAction == "nurture with content")
        #expect(model.recontact?.field == "competitor_contract_end" && model.recontact?.leadMonths == 3)
        #expect(!model.usesValueAttributes)
        // Every field a run will decrypt is one the analyst sees in some form.
        let analyst = try Fixture.role("analyst")
        #expect(model.fields.allSatisfy { analyst.view(of: $0) != .redacted })
        #expect(model.fields.contains("competitor_contract_end") && model.fields.contains("last_activity"))
        #expect(model.digest.count == 64)
    }

    @Test func theShippedB2CModelLoadsForTheAnalyst() throws {
        let model = try Fixture.model(try Fixture.text("policies/scoring/b2c.yaml"), file: "b2c.yaml")
        #expect(model.name == "b2c-customers")
        guard case let .matrix(rows, columns) = model.grading else {
            Issue.record("b2c grades on a matrix")
            return
        }
        #expect(rows.groups == ["fit"] && columns.groups == ["engagement", "value"])
        #expect(model.grading.tierNames == ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"])
        #expect(model.groups.first { $0.name == "fit" }?.rules.first?.condition.input == .field("birth_date"))
    }

    @Test func theDigestIsTheSHA256OfTheFile() throws {
        let yaml = Self.model()
        let a = try Fixture.model(yaml), b = try Fixture.model(yaml + "# a comment changes the file\n")
        #expect(a.digest != b.digest)
        #expect(a.digest == (try Fixture.model(yaml)).digest)
    }

    // MARK: Keys, fields and operators

    @Test func anUnknownTopLevelKeyIsRefused() throws {
        try expectRefused(Self.model(tail: "colour: red\n"), line: 11, "unknown key 'colour'")
    }

    @Test func anUnknownKeyInAGroupIsRefused() throws {
        let yaml = modelYAML("groups:\n  fit:\n    weight: 2\n    rules:\n      - { field: industry, equals: Software, points: 1 }\ntiers:\n  - { name: A }\n")
        try expectRefused(yaml, line: 6, "unknown key 'weight' in group fit")
    }

    @Test func anUnknownFieldIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, equals: Software, points: 10 }", "{ field: shoe_size, range: { min: 40 }, points: 5 }"]),
                          line: 8, "unknown field 'shoe_size'")
    }

    @Test(arguments: ["email", "full_name", "occupation", "phone", "notes", "gender"])
    func aRuleOnAFieldTheAnalystSeesRedactedIsRefused(field: String) throws {
        try expectRefused(Self.model(rules: ["{ field: industry, equals: Software, points: 10 }", "{ field: \(field), missing: false, points: 5 }"]),
                          line: 8, "field \(field) is redacted for the analyst role")
    }

    @Test func aDisqualifierOrNextActionOnARedactedFieldIsRefusedToo() throws {
        try expectRefused(Self.model(tail: "disqualifiers:\n  - { field: email, missing: true, reason: no email }\n"),
                          line: 12, "email is redacted")
        try expectRefused(Self.model(tail: "next_actions:\n  - when: { field: occupation, missing: true }\n    action: ask\n"),
                          line: 12, "occupation is redacted")
    }

    @Test func anUnknownOperatorIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, like: Soft, points: 10 }"]), line: 7, "unknown operator or key 'like'")
    }

    @Test func twoOperatorsInOneRuleAreRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, equals: Software, in: [Retail], points: 10 }"]),
                          line: 7, "exactly one operator")
    }

    @Test func aRuleWithoutOperatorOrFieldIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, points: 10 }"]), line: 7, "needs one operator")
        try expectRefused(Self.model(rules: ["{ equals: Software, points: 10 }"]), line: 7, "needs 'field'")
    }

    @Test func aRuleWithoutPointsIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, equals: Software, points: 10 }", "{ field: need, equals: high }"]),
                          line: 8, "needs 'points'")
    }

    @Test func aRangeWithMinAboveMaxIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: budget, range: { min: 10, max: 5 }, points: 10 }"]),
                          line: 7, "min 10 is above max 5")
        try expectRefused(Self.model(rules: ["{ field: budget, range: {}, points: 10 }"]), line: 7, "needs min, max or both")
        try expectRefused(Self.model(rules: ["{ field: budget, range: { above: 3 }, points: 10 }"]), line: 7, "not 'above'")
    }

    @Test func aRangeOnANonNumericViewIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: industry, range: { min: 1 }, points: 10 }"]), line: 7, "'range' needs a number", "use equals or in")
        // The analyst sees last_activity as a month: no numeric range on it either.
        try expectRefused(Self.model(rules: ["{ field: last_activity, overlaps: { min: 1 }, points: 10 }"]), line: 7, "'overlaps' needs a number")
    }

    @Test func labelsTheRoleNeverSeesAreRefused() throws {
        // company_size is bucketed for the analyst: 50-249, never 50-200.
        try expectRefused(Self.model(rules: ["{ field: company_size, equals: \"50-200\", points: 10 }"]),
                          line: 7, "never sees '50-200' for company_size", "50-249")
        try expectRefused(Self.model(rules: ["{ field: need, in: [high, urgent], points: 10 }"]), line: 7, "never sees 'urgent' for need")
        try expectRefused(Self.model(rules: ["{ field: homeowner, equals: maybe, points: 10 }"]), line: 7, "true or false")
        try expectRefused(Self.model(rules: ["{ field: annual_income, equals: \"50000-60000\", points: 10 }"]), line: 7, "never sees '50000-60000'")
    }

    @Test func equalsOnAPseudonymIsRefused() throws {
        try expectRefused(Self.model(rules: ["{ field: customer_ref, equals: CUS-0001, points: 10 }"]),
                          line: 7, "customer_ref is a pseudonym for the analyst role", "only 'missing'")
        // ... while testing that it is there is fine.
        #expect(throws: Never.self) { try Fixture.model(Self.model(rules: ["{ field: customer_ref, missing: false, points: 1 }"])) }
    }

    // MARK: Tiers and matrices

    @Test func overlappingTiersAreRefused() throws {
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10 }", "{ name: B, min: 5, max: 15 }", "{ name: C, max: 5 }"]),
                          line: 10, "tiers B and A overlap")
    }

    @Test func aGapBetweenTiersIsRefused() throws {
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10 }", "{ name: B, max: 5 }"]), line: 10, "from 5 to 10 have no tier")
    }

    @Test func aTierNamedTwiceIsRefused() throws {
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10 }", "{ name: A, max: 10 }"]), line: 10, "tier A is named twice")
    }

    @Test func theTopTierHasNoMaxAndTheBottomTierNoMin() throws {
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10, max: 50 }", "{ name: B, max: 10 }"]), line: 9, "top tier A must have no max")
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10 }", "{ name: B, min: 0, max: 10 }"]), line: 10, "bottom tier B must have no min")
        try expectRefused(Self.model(tiers: ["{ name: A, min: 10, max: 5 }", "{ name: B, max: 10 }"]), line: 9, "min must be below max")
    }

    static let matrixGroups = "groups:\n  fit:\n    rules:\n      - { field: industry, equals: Software, points: 10 }\n"
        + "  engagement:\n    rules:\n      - { field: website_visits_30d, range: { min: 5 }, points: 10 }\n"

    static func matrix(rows: String = "[fit]", columns: String = "[engagement]") -> String {
        "matrix:\n  rows:\n    groups: \(rows)\n    tiers: [{ name: A, min: 5 }, { name: B, max: 5 }]\n"
            + "  columns:\n    groups: \(columns)\n    tiers: [{ name: \"1\", min: 5 }, { name: \"2\", max: 5 }]\n"
    }

    @Test func tiersAndAMatrixTogetherAreRefused() throws {
        // Lines 11-17: the matrix; 18-19: tiers.
        try expectRefused(modelYAML(Self.matrixGroups + Self.matrix() + "tiers:\n  - { name: A }\n"), line: 12, "either 'tiers' or 'matrix'")
    }

    @Test func aModelWithoutTiersOrMatrixIsRefused() throws {
        try expectRefused(modelYAML(Self.matrixGroups), line: 1, "needs 'tiers'", "'matrix'")
    }

    @Test func aMatrixWithOneGroupOnBothAxesIsRefused() throws {
        try expectRefused(modelYAML(Self.matrixGroups + Self.matrix(columns: "[engagement, fit]")), line: 12, "group fit is on both axes")
    }

    @Test func aMatrixNamingAnUnknownGroupIsRefused() throws {
        try expectRefused(modelYAML(Self.matrixGroups + Self.matrix(columns: "[engagment]")), line: 16, "no group engagment in the model")
    }

    @Test func aValidMatrixLoads() throws {
        let model = try Fixture.model(modelYAML(Self.matrixGroups + Self.matrix()))
        #expect(model.grading.tierNames == ["A1", "A2", "B1", "B2"])
    }

    // MARK: Actions, decay, recontact, purpose

    @Test func aNextActionNamingAnUnknownTierIsRefused() throws {
        try expectRefused(Self.model(tail: "next_actions:\n  - when: [{ tier: [A] }]\n    action: call\n  - when: [{ tier: [Z] }]\n    action: wait\n"),
                          line: 14, "no tier Z in the model", "tiers: A, B")
        try expectRefused(Self.model(tail: "next_actions:\n  - when: [{ tier: A, field: need, missing: true }]\n    action: call\n"),
                          line: 12, "its own list item")
        try expectRefused(Self.model(tail: "next_actions:\n  - when: [{ tier: A }]\n"), line: 12, "needs 'action'")
    }

    @Test func decayNeedsADateField() throws {
        let group = "groups:\n  engagement:\n    decay: { field: DECAY, half_life_days: HALF }\n    rules:\n      - { field: website_visits_30d, range: { min: 5 }, points: 10 }\ntiers:\n  - { name: A }\n"
        func yaml(_ field: String, _ half: String) -> String {
            modelYAML(group.replacingOccurrences(of: "DECAY", with: field).replacingOccurrences(of: "HALF", with: half))
        }
        #expect(throws: Never.self) { try Fixture.model(yaml("last_activity", "30")) }
        try expectRefused(yaml("budget", "30"), line: 6, "decay needs a date field")
        // The analyst sees birth_date as an age band, which names no day.
        try expectRefused(yaml("birth_date", "30"), line: 6, "decay needs a date field")
        try expectRefused(yaml("last_activity", "0"), line: 6, "half_life_days must be above 0")
        try expectRefused(yaml("last_activity", "-7"), line: 6, "half_life_days must be above 0")
        try expectRefused(yaml("last_activity", "soon"), line: 6, "half_life_days must be a number")
    }

    @Test func recontactNeedsADateField() throws {
        try expectRefused(Self.model(tail: "recontact:\n  field: purchase_timeline_days\n  lead_months: 3\n"),
                          line: 12, "recontact needs a date field")
        try expectRefused(Self.model(tail: "recontact:\n  field: competitor_contract_end\n  lead_months: -1\n"),
                          line: 13, "lead_months must be between 0 and 120")
        #expect(throws: Never.self) { try Fixture.model(Self.model(tail: "recontact:\n  field: competitor_contract_end\n  lead_months: 2\n")) }
    }

    @Test func aPurposeTheRoleMayNotUseIsRefused() throws {
        try expectRefused(Self.model(purpose: "marketing"), line: 3, "purpose 'marketing' is not one the analyst role may use", "qualification, analytics")
        try expectRefused(Self.model(purpose: "qualification"), line: 3, "not one the admin role may use", role: "admin")
    }

    @Test func tierByMustBeKnown() throws {
        try expectRefused(Self.model(tail: "tier_by: average\n"), line: 11, "tier_by must be lower, upper or midpoint")
    }

    // MARK: YAML

    @Test func invalidYAMLIsRefusedWithItsLine() throws {
        let error = try Fixture.refusal(modelYAML("groups:\n  fit:\n    rules: [ { field: industry\n"))
        #expect(error.message.hasPrefix("not valid YAML"), "\(error)")
        #expect(error.line >= 6, "\(error)")
        #expect(try Fixture.refusal("").message == "the file is empty")
    }

    @Test func duplicateKeysAreRefused() throws {
        // Like the schema and role policy loaders (PolicyTests), the line is the key's first
        // occurrence, where YAML parsing notices the clash.
        try expectRefused(Self.model(tail: "name: again\n"), line: 1, "not valid YAML: duplicate key 'name'")
        try expectRefused(Self.model(rules: ["{ field: industry, equals: Software, points: 10, points: 20 }"]), line: 7, "duplicate key 'points'")
    }

    // MARK: Roles

    @Test func theSameModelLoadsForAnAdminButNotForTheAnalystWhenItUsesEmail() throws {
        let path = try Fixture.resource("email-rule.yaml")
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        // The shipped admin role may not use the purpose qualification; give it that purpose so
        // that only the views differ.
        let shipped = try Fixture.role("admin")
        let admin = RolePolicy(name: shipped.name, actions: shipped.actions, purposes: (shipped.purposes ?? []) + ["qualification"],
                               fieldNames: shipped.fieldNames, fieldViews: shipped.fieldViews)
        let model = try ScoringModel.load(yaml: yaml, file: path, schema: Fixture.schema(), role: admin)
        #expect(model.fields == ["industry", "email"])
        let error = try Fixture.refusal(yaml, file: path)
        #expect(error.description == "\(path):12: field email is redacted for the analyst role: a rule on it could never see a value; remove the rule or change the role's policy")
    }
}
