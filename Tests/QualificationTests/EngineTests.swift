import Foundation
import Testing
@_spi(Testing) import Coffer
@testable import Qualification

/// The engine on rows built by hand, as the vault renders them for a role.
@Suite struct EngineTests {
    static let today = Fixture.today

    // MARK: Band-aware rules

    static func bandModel(tierBy: String = "lower") -> String {
        modelYAML("""
            tier_by: \(tierBy)
            groups:
              fit:
                rules:
                  - { field: birth_date, range: { min: 35 }, points: 10 }
                  - { field: company_size, in: ["50-249"], points: 15 }
                  - { field: homeowner, equals: true, points: 10 }
            tiers:
              - { name: A, min: 20 }
              - { name: B, min: 10, max: 20 }
              - { name: C, max: 10 }

            """)
    }

    @Test func aBandStraddlingTheThresholdIsIndeterminateAndTheLowerBoundSetsTheTier() throws {
        let engine = try Fixture.engine(Self.bandModel())
        let score = engine.score(["birth_date": View.ageBand(30), "company_size": View.band("50-249", 50, 249), "homeowner": View.label("false")])
        #expect(score.verdicts == [.indeterminate, .match, .noMatch])
        #expect(score.low == 15 && score.high == 25)
        #expect(score.isIndeterminate)
        #expect(score.tier == "B" && score.tierBound == "lower" && score.score == 15)
        #expect(score.reasons.map { $0.text() } == ["company_size 50-249: +15", "birth_date 30-39: 0..+10 (indeterminate)"])
        // The QCL shows the interval.
        let fields = QCLRow(score: score, coarse: false).fields
        #expect(Array(fields[1...5]) == ["15", "15", "25", "B", "lower"])
    }

    @Test(arguments: [("upper", "A", 25.0), ("midpoint", "A", 20.0), ("lower", "B", 15.0)])
    func tierByNamesTheBoundThatSetsTheTier(policy: String, tier: String, scoreRead: Double) throws {
        let engine = try Fixture.engine(Self.bandModel(tierBy: policy))
        #expect(engine.model.tierBound.rawValue == policy)
        let score = engine.score(["birth_date": View.ageBand(30), "company_size": View.band("50-249", 50, 249), "homeowner": View.label("false")])
        #expect(score.tier == tier && score.tierBound == policy && score.score == scoreRead)
        #expect(score.low == 15 && score.high == 25)
    }

    @Test func anIntervalWithinOneTierIsExact() throws {
        let engine = try Fixture.engine(Self.bandModel())
        let score = engine.score(["birth_date": View.ageBand(30), "company_size": View.band("50-249", 50, 249), "homeowner": View.label("true")])
        #expect(score.low == 25 && score.high == 35 && score.tier == "A" && score.tierBound == "exact")
    }

    @Test func bandsWhollyInsideOrOutsideAreDecided() throws {
        let engine = try Fixture.engine(Self.bandModel())
        let inside = engine.score(["birth_date": View.ageBand(40), "company_size": View.band("50-249", 50, 249)])
        #expect(inside.verdicts == [.match, .match, .missing])
        #expect(inside.low == 25 && inside.high == 25 && inside.tier == "A" && inside.tierBound == "exact")
        #expect(inside.reasons.contains { $0.text() == "birth_date 40-49: +10" })
        let outside = engine.score(["birth_date": View.ageBand(20), "company_size": View.band("10-49", 10, 49), "homeowner": View.label("true")])
        #expect(outside.verdicts == [.noMatch, .noMatch, .match])
        #expect(outside.low == 10 && outside.high == 10 && outside.tier == "B")
        // A band whose lower end is the threshold is inside.
        #expect(engine.score(["birth_date": View.ageBand(35, width: 5)]).verdicts[0] == .match)
    }

    @Test func openEndedBands() throws {
        let engine = try Fixture.engine(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: company_size, range: { min: 1000 }, points: 1 }
                  - { field: company_size, range: { min: 250, max: 999 }, points: 2 }
                  - { field: company_size, range: { max: 6000 }, points: 4 }
                  - { field: company_size, overlaps: { max: 0 }, points: 8 }
            tiers: [{ name: A }]

            """))
        #expect(engine.score(["company_size": View.band("5000+", 5000, nil)]).verdicts == [.match, .noMatch, .indeterminate, .noMatch])
        #expect(engine.score(["company_size": View.band("<1", nil, 0)]).verdicts == [.noMatch, .noMatch, .match, .match])
        #expect(engine.score(["company_size": View.number(6000)]).verdicts == [.match, .noMatch, .match, .noMatch])
    }

    @Test func overlapsMatchesABandTouchingTheInterval() throws {
        let engine = try Fixture.engine(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: birth_date, overlaps: { min: 35, max: 44 }, points: 3 }
            tiers: [{ name: A }]

            """))
        for (low, verdict) in [(30, Verdict.match), (40, .match), (20, .noMatch), (50, .noMatch)] {
            let score = engine.score(["birth_date": View.ageBand(low)])
            #expect(score.verdicts == [verdict], "band \(low)")
            #expect(score.low == (verdict == .match ? 3 : 0) && !score.isIndeterminate)
        }
    }

    @Test func equalsOnAPlainNumberComparesNumbers() throws {
        let engine = try Fixture.engine(modelYAML("""
            groups:
              intent:
                rules:
                  - { field: budget, in: [5000, 7500], points: 5 }
                  - { field: payment_delays, equals: 0, points: 1 }
            tiers: [{ name: A }]

            """))
        // Decimals keep the digits they were imported with: "5000.00" is 5000.
        func budget(_ text: String) -> Verdict {
            let x = Double(text)!
            return engine.score(["budget": ViewedValue(form: .plain, label: text, lower: x, upper: x)]).verdicts[0]
        }
        #expect(budget("5000") == .match && budget("5000.00") == .match && budget("7500.0") == .match)
        #expect(budget("5000.5") == .noMatch && budget("500") == .noMatch)
        #expect(engine.score(["payment_delays": View.number(0)]).verdicts[1] == .match)
        #expect(engine.score(["budget": ViewedValue(form: .plain, label: "5000.00", lower: 5000, upper: 5000)]).reasons.map { $0.text() }
                == ["budget in 5000|7500: +5"])
    }

    // MARK: Unknown and unreadable values

    static let unknownModel = modelYAML("""
        groups:
          fit:
            rules:
              - { field: homeowner, equals: true, points: 10 }
              - { field: industry, equals: Software, points: 10 }
              - { field: decision_maker, missing: true, points: -5 }
        disqualifiers:
          - { field: consent_marketing, equals: false, reason: no marketing consent }
        tiers:
          - { name: A, min: 10 }
          - { name: B, max: 10 }

        """)

    @Test func aMissingValueIsUnknownNotNo() throws {
        let engine = try Fixture.engine(Self.unknownModel)
        let score = engine.score(["industry": View.label("Software")])
        #expect(score.verdicts == [.missing, .match, .match, .missing])
        // homeowner scores nothing, the missing decision maker matches its rule.
        #expect(score.low == 5 && score.high == 5 && score.tier == "B")
        // Unknown consent is not "no consent": not disqualified.
        #expect(score.disqualification == nil)
        // One of four fields present; 10 of the 25 points' outcomes unknown.
        #expect(score.completeness == 0.25)
        #expect(abs(score.confidence - 0.6) < 1e-12)

        let complete = engine.score(["homeowner": View.label("true"), "industry": View.label("Retail"), "decision_maker": View.label("true"),
                                     "consent_marketing": View.label("true")])
        #expect(complete.verdicts == [.match, .noMatch, .noMatch, .noMatch])
        #expect(complete.completeness == 1 && complete.confidence == 1 && complete.low == 10 && complete.tier == "A")
    }

    @Test func aRowWithoutTheModelsFieldsScoresAsAllMissing() throws {
        let engine = try Fixture.engine(Self.unknownModel)
        // A row that carries fewer values than the model reads (e.g. a scan for another model).
        let score = engine.score(ScoringRow(reference: "ps_short", values: []))
        #expect(score.verdicts == [.missing, .missing, .match, .missing])
        #expect(score.completeness == 0 && score.low == -5 && score.reference == "ps_short")
    }

    @Test func anUnreadableValueIsInvalid() throws {
        let engine = try Fixture.engine(Self.unknownModel)
        let score = engine.score(["homeowner": View.unreadable, "industry": View.label("Software"), "decision_maker": View.unreadable,
                                  "consent_marketing": View.unreadable])
        // A stored value, even unreadable, is not missing.
        #expect(score.verdicts == [.invalid, .match, .noMatch, .invalid])
        #expect(score.low == 10 && score.disqualification == nil)
        #expect(score.completeness == 0.25)
        var quality = DataQualityReport(model: engine.model)
        quality.add(score)
        #expect(quality.criteria.map(\.invalid) == [1, 0, 0, 1])
        #expect(quality.criteria.map(\.unscored) == [1, 0, 0, 1])
    }

    @Test func aMissingDecisionMakerSetsTheNextAction() throws {
        let model = try Fixture.model(try Fixture.text("policies/scoring/b2b.yaml"), file: "b2b.yaml")
        let engine = ScoringEngine(model: model, schema: try Fixture.schema(), today: Self.today)
        let score = engine.score(["industry": View.label("Software"), "consent_marketing": View.label("true"), "need": View.label("high")])
        #expect(score.nextAction == "find the decision maker")
        #expect(score.completeness < 1 && score.confidence < 1)
    }

    // MARK: Disqualifiers

    static func disqualifierModel(whenIndeterminate: Bool? = nil) -> String {
        modelYAML("""
            groups:
              fit:
                rules:
                  - { field: industry, equals: Software, points: 30 }
            disqualifiers:
              - { field: birth_date, range: { max: 17 }, reason: under age\(whenIndeterminate.map { ", when_indeterminate: \($0)" } ?? "") }
              - { field: consent_marketing, equals: false, reason: no marketing consent }
            tiers:
              - { name: A, min: 20 }
              - { name: B, max: 20 }

            """)
    }

    @Test func aMatchingDisqualifierRemovesTheCustomerFromTheTiersWithItsReason() throws {
        let engine = try Fixture.engine(Self.disqualifierModel())
        let score = engine.score(["industry": View.label("Software"), "birth_date": View.ageBand(40), "consent_marketing": View.label("false")])
        #expect(score.tier == ScoringEngine.disqualifiedTier && score.tier == "disqualified")
        #expect(score.disqualification == "no marketing consent" && score.tierBound == "disqualifier")
        #expect(score.low == 30)
        let fields = QCLRow(score: score, coarse: false).fields
        #expect(fields[8] == "disqualified: no marketing consent; industry Software: +30")
        // The first disqualifier that matches gives the reason.
        let both = engine.score(["industry": View.label("Software"), "birth_date": View.ageBand(0), "consent_marketing": View.label("false")])
        #expect(both.disqualification == "under age")
        let kept = engine.score(["industry": View.label("Software"), "birth_date": View.ageBand(40), "consent_marketing": View.label("true")])
        #expect(kept.tier == "A" && kept.disqualification == nil && kept.tierBound == "exact")
    }

    @Test func anIndeterminateDisqualifierDisqualifiesUnlessTheModelSaysNot() throws {
        let straddling = ["industry": View.label("Software"), "birth_date": View.ageBand(10), "consent_marketing": View.label("true")]
        let strict = try Fixture.engine(Self.disqualifierModel()).score(straddling)
        #expect(strict.verdicts == [.match, .indeterminate, .noMatch])
        #expect(strict.tier == "disqualified")
        #expect(strict.disqualification == "under age (possibly: the band straddles the test)")
        let explicit = try Fixture.engine(Self.disqualifierModel(whenIndeterminate: true)).score(straddling)
        #expect(explicit.tier == "disqualified")
        let lenient = try Fixture.engine(Self.disqualifierModel(whenIndeterminate: false)).score(straddling)
        #expect(lenient.tier == "A" && lenient.disqualification == nil)
    }

    // MARK: Points and caps

    static let capModel = modelYAML("""
        score: { min: 0, max: 25 }
        groups:
          fit:
            cap: 20
            rules:
              - { field: industry, equals: Software, points: 15 }
              - { field: company_size, in: ["50-249"], points: 10 }
          risk:
            cap: { min: -10 }
            rules:
              - { field: disputes, range: { min: 1 }, points: -15 }
              - { field: payment_delays, range: { min: 1 }, points: -5 }
          intent:
            cap: { min: 0, max: 12 }
            rules:
              - { field: need, equals: high, points: 12 }
              - { field: budget, range: { min: 5000 }, points: 10 }
              - { field: decision_maker, equals: false, points: -8 }
        tiers:
          - { name: A, min: 20 }
          - { name: B, max: 20 }

        """)

    @Test func groupCapsThenTheOverallCapClampBothEnds() throws {
        let engine = try Fixture.engine(Self.capModel)
        #expect(engine.model.groups.map(\.cap) == [ScoreCap(min: nil, max: 20), ScoreCap(min: -10, max: nil), ScoreCap(min: 0, max: 12)])
        // 25 → 20, 0, 22 → 12; total 32 → 25.
        let high = engine.score(["industry": View.label("Software"), "company_size": View.band("50-249", 50, 249), "disputes": View.number(0),
                                 "payment_delays": View.number(0), "need": View.label("high"), "budget": View.number(6000)])
        #expect(high.groupScores.map(\.lowerBound) == [20, 0, 12])
        #expect(high.low == 25 && high.high == 25 && high.tier == "A")
        // 0, -20 → -10, -8 → 0; total -10 → 0.
        let low = engine.score(["industry": View.label("Retail"), "disputes": View.number(2), "payment_delays": View.number(3),
                                "decision_maker": View.label("false")])
        #expect(low.groupScores.map(\.lowerBound) == [0, -10, 0])
        #expect(low.low == 0 && low.high == 0 && low.tier == "B")
    }

    @Test func negativePointsLowerTheScoreAndTheReasonsSayWhy() throws {
        let engine = try Fixture.engine(Self.capModel)
        let score = engine.score(["industry": View.label("Software"), "payment_delays": View.number(4), "disputes": View.number(0)])
        #expect(score.groupScores.map(\.lowerBound) == [15, -5, 0])
        #expect(score.low == 10 && score.tier == "B")
        // A plain number is shown as the test it passed, never as the value.
        #expect(score.reasons.map { $0.text() } == ["industry Software: +15", "payment_delays in [1, inf]: -5"])
        #expect(!score.reasons.contains { $0.text().contains("4") })
    }

    // MARK: Decay

    static let decayModel = """
        groups:
          engagement:
            decay: { field: last_activity, half_life_days: 30 }
            rules:
              - { field: website_visits_30d, range: { min: 5 }, points: 10 }
        tiers:
          - { name: A, min: 5 }
          - { name: B, max: 5 }

        """

    @Test func pointsHalveEveryHalfLifeOnAPlainDate() throws {
        // Admins see dates plain (the shipped admin purposes include operations).
        let engine = try Fixture.engine(modelYAML(purpose: "operations", Self.decayModel), role: "admin")
        func score(daysAgo: Int) -> CustomerScore {
            engine.score(["website_visits_30d": View.number(7), "last_activity": View.date(Self.today.adding(days: -daysAgo))])
        }
        #expect(score(daysAgo: 0).low == 10)
        let half = score(daysAgo: 30)
        #expect(half.low == 5 && half.high == 5 && half.tier == "A")
        #expect(half.reasons.map { $0.text() } == ["website_visits_30d in [5, inf]: +5"])
        #expect(score(daysAgo: 60).low == 2.5 && score(daysAgo: 60).tier == "B")
        #expect(abs(score(daysAgo: 90).low - 1.25) < 1e-12)
        // A date in the future does not add points.
        #expect(score(daysAgo: -10).low == 10)
    }

    @Test func aMonthGivesAnIntervalOfDecayFactors() throws {
        let engine = try Fixture.engine(modelYAML(Self.decayModel))
        let month = CivilDate(year: Self.today.year, month: Self.today.month, day: 1).adding(months: -2)
        let last = month.adding(months: 1).adding(days: -1)
        let score = engine.score(["website_visits_30d": View.number(9), "last_activity": View.month(month)])
        let oldest = Double(Self.today.daysSinceEpoch - month.daysSinceEpoch), youngest = Double(Self.today.daysSinceEpoch - last.daysSinceEpoch)
        #expect(abs(score.low - 10 * pow(0.5, oldest / 30)) < 1e-9)
        #expect(abs(score.high - 10 * pow(0.5, youngest / 30)) < 1e-9)
        #expect(score.low < score.high && score.isIndeterminate)
        // The month two months back ended 29 to 62 days ago and began 56 to 92 days ago.
        #expect(score.low >= 10 * pow(0.5, 92.0 / 30) && score.high <= 10 * pow(0.5, 29.0 / 30))
    }

    @Test func anUnknownActivityDateBoundsDecayedPointsByZeroAndFull() throws {
        let engine = try Fixture.engine(modelYAML(Self.decayModel))
        let score = engine.score(["website_visits_30d": View.number(9)])
        #expect(score.low == 0 && score.high == 10)
        #expect(score.tier == "B" && score.tierBound == "lower")
        #expect(score.completeness == 0.5)
        #expect(score.confidence == 0)
    }

    // MARK: Tiers and matrices

    static let matrixModel = modelYAML("""
        groups:
          fit:
            rules:
              - { field: industry, equals: Software, points: 20 }
              - { field: company_size, in: ["50-249"], points: 10 }
          engagement:
            rules:
              - { field: website_visits_30d, range: { min: 5 }, points: 20 }
              - { field: email_opens_30d, range: { min: 3 }, points: 10 }
        matrix:
          rows:
            groups: [fit]
            tiers: [{ name: A, min: 25 }, { name: B, min: 10, max: 25 }, { name: C, max: 10 }]
          columns:
            groups: [engagement]
            tiers: [{ name: "1", min: 25 }, { name: "2", min: 10, max: 25 }, { name: "3", max: 10 }]

        """)

    @Test(arguments: [
        ("Software", "50-249", 9.0, 4.0, "A1"),
        ("Software", "10-49", 0.0, 3.0, "B2"),
        ("Retail", "50-249", 5.0, 0.0, "B2"),
        ("Retail", "10-49", 0.0, 0.0, "C3"),
        ("Software", "50-249", 0.0, 0.0, "A3"),
        ("Retail", "1-9", 5.0, 3.0, "C1"),
    ])
    func aFitTimesEngagementMatrix(industry: String, size: String, visits: Double, opens: Double, cell: String) throws {
        let engine = try Fixture.engine(Self.matrixModel)
        #expect(engine.model.grading.tierNames == ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"])
        let bounds: [String: (Double, Double)] = ["50-249": (50, 249), "10-49": (10, 49), "1-9": (1, 9)]
        let score = engine.score(["industry": View.label(industry), "company_size": View.band(size, bounds[size]!.0, bounds[size]!.1),
                                  "website_visits_30d": View.number(visits), "email_opens_30d": View.number(opens)])
        #expect(score.tier == cell && score.tierBound == "exact")
    }

    @Test func aLadderOfTiers() throws {
        let engine = try Fixture.engine(Self.capModel)
        guard case let .tiers(tiers) = engine.model.grading else {
            Issue.record("a ladder")
            return
        }
        #expect(tiers.map(\.name) == ["A", "B"] && tiers[0].min == 20 && tiers[1].max == 20)
        // A tier holds scores in [min, max).
        #expect(engine.score(["industry": View.label("Software"), "company_size": View.band("50-249", 50, 249)]).tier == "A")
        #expect(engine.score(["industry": View.label("Software")]).tier == "B")
    }

    // MARK: Next actions and recontact

    static let actionModel = modelYAML("""
        groups:
          fit:
            rules:
              - { field: industry, equals: Software, points: 20 }
        disqualifiers:
          - { field: consent_marketing, equals: false, reason: no consent }
        tiers:
          - { name: A, min: 20 }
          - { name: B, max: 20 }
        next_actions:
          - when: { field: decision_maker, missing: true }
            action: find the decision maker
          - when: [{ tier: [A] }, { field: need, equals: high }]
            action: hand off to sales
          - when: [{ tier: A }]
            action: book a demo
          - when: [{ tier: disqualified }]
            action: do not contact
        default_action: nurture
        recontact:
          field: competitor_contract_end
          lead_months: 3
          action: recontact before the contract ends

        """)

    static func firstOfMonth(_ months: Int) -> CivilDate {
        CivilDate(year: today.year, month: today.month, day: 1).adding(months: months)
    }

    @Test func theFirstMatchingNextActionWins() throws {
        let engine = try Fixture.engine(Self.actionModel)
        let software = View.label("Software"), yes = View.label("true")
        #expect(engine.score(["industry": software]).nextAction == "find the decision maker")
        #expect(engine.score(["industry": software, "decision_maker": yes, "need": View.label("high")]).nextAction == "hand off to sales")
        #expect(engine.score(["industry": software, "decision_maker": yes, "need": View.label("low")]).nextAction == "book a demo")
        #expect(engine.score(["industry": View.label("Retail"), "decision_maker": yes, "need": View.label("high")]).nextAction == "nurture")
        #expect(engine.score(["industry": software, "decision_maker": yes, "consent_marketing": View.label("false")]).nextAction == "do not contact")
    }

    @Test func recontactIsTheContractEndMonthMinusTheLeadTime() throws {
        let engine = try Fixture.engine(Self.actionModel)
        let base = ["industry": View.label("Retail"), "decision_maker": View.label("true")]
        let ending = engine.score(base.merging(["competitor_contract_end": View.month(Self.firstOfMonth(6).adding(days: 14))]) { $1 })
        #expect(ending.recontactMonth == String(Self.firstOfMonth(3).iso8601.prefix(7)))
        // No other action applies, so the recontact action does.
        #expect(ending.nextAction == "recontact before the contract ends")
        #expect(QCLRow(score: ending, coarse: false).fields[10] == ending.recontactMonth)
        // A date whose lead time is already past: this month.
        let soon = engine.score(base.merging(["competitor_contract_end": View.month(Self.firstOfMonth(1))]) { $1 })
        #expect(soon.recontactMonth == String(Self.firstOfMonth(0).iso8601.prefix(7)))
        let past = engine.score(base.merging(["competitor_contract_end": View.month(Self.firstOfMonth(-14))]) { $1 })
        #expect(past.recontactMonth == String(Self.firstOfMonth(0).iso8601.prefix(7)))
        // Without the date: no month, and the default action.
        let unknown = engine.score(base)
        #expect(unknown.recontactMonth == nil && unknown.nextAction == "nurture")
        // A matching next action comes before the recontact action.
        let tierA = engine.score(["industry": View.label("Software"), "decision_maker": View.label("true"),
                                  "competitor_contract_end": View.month(Self.firstOfMonth(8))])
        #expect(tierA.nextAction == "book a demo" && tierA.recontactMonth == String(Self.firstOfMonth(5).iso8601.prefix(7)))
    }

    @Test func recontactOnAPlainDateUsesItsMonthOnly() throws {
        let engine = try Fixture.engine(modelYAML(purpose: "operations", """
            groups:
              fit:
                rules:
                  - { field: industry, equals: Software, points: 20 }
            tiers: [{ name: A }]
            recontact:
              field: competitor_contract_end
              lead_months: 2

            """), role: "admin")
        let end = Self.firstOfMonth(7).adding(days: 20)
        let score = engine.score(["competitor_contract_end": View.date(end)])
        #expect(score.recontactMonth == String(Self.firstOfMonth(5).iso8601.prefix(7)))
        #expect(score.nextAction == nil)
    }

    // MARK: Reasons

    @Test func reasonsArePIIFreeCodesStrongestFirst() throws {
        let engine = try Fixture.engine(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: company_size, in: ["50-249"], points: 15 }
                  - { field: birth_date, range: { min: 35 }, points: 20 }
                  - { field: website_visits_30d, range: { min: 5 }, points: 5 }
                  - { field: country, in: [GB, DE], points: 2 }
                  - { field: annual_income, range: { min: 50000 }, points: 1 }
            tiers: [{ name: A }]

            """))
        let score = engine.score(["company_size": View.band("50-249", 50, 249), "birth_date": View.ageBand(30),
                                  "website_visits_30d": View.number(17), "country": View.label("GB"),
                                  "annual_income": View.band("50000-74999.99", 50000, 74999.99)])
        #expect(score.reasons.count == ScoringEngine.reasonCount)
        #expect(score.reasons.map { $0.text() } == ["birth_date 30-39: 0..+20 (indeterminate)", "company_size 50-249: +15",
                                                    "website_visits_30d in [5, inf]: +5"])
        #expect(score.reasons.map(\.identifying) == [true, false, false])
        #expect(score.reasons[0].text(coarse: true) == "birth_date: 0..+20 (indeterminate)")
        #expect(score.reasons[1].text(coarse: true) == "company_size 50-249: +15")
        #expect(!score.reasons.contains { $0.text().contains("17") })
    }

    @Test func aRuleOnAMissingValueIsAReasonToo() throws {
        let engine = try Fixture.engine(Self.unknownModel)
        let score = engine.score(["industry": View.label("Software")])
        #expect(score.low == 5)
        #expect(score.reasons.map { $0.text() } == ["industry Software: +10", "decision_maker missing: -5"])
    }

    // MARK: Data quality

    @Test func dataQualityCountsEachCriterion() throws {
        let engine = try Fixture.engine(Self.unknownModel)
        var quality = DataQualityReport(model: engine.model)
        #expect(quality.criteria.map(\.name) == ["fit: homeowner = true", "fit: industry = Software", "fit: decision_maker missing",
                                                 "disqualifier: consent_marketing = false"])
        #expect(quality.criteria.map(\.line) == [7, 8, 9, 11])
        quality.add(engine.score(["industry": View.label("Software")]))
        quality.add(engine.score(["homeowner": View.label("true"), "industry": View.label("Retail"), "decision_maker": View.label("true"),
                                  "consent_marketing": View.label("false")]))
        quality.add(engine.score(["homeowner": View.unreadable, "industry": View.label("Software"), "consent_marketing": View.label("true")]))
        #expect(quality.customers == 3 && quality.customersWithGaps == 2 && quality.indeterminateScores == 0)
        #expect(quality.criteria.map(\.matched) == [1, 2, 2, 1])
        #expect(quality.criteria.map(\.notMatched) == [0, 1, 1, 1])
        #expect(quality.criteria.map(\.missing) == [1, 0, 0, 1])
        #expect(quality.criteria.map(\.invalid) == [1, 0, 0, 0])
        #expect(quality.criteria.map(\.unscored) == [2, 0, 0, 1])

        let band = try Fixture.engine(Self.bandModel())
        var bandQuality = DataQualityReport(model: band.model)
        bandQuality.add(band.score(["birth_date": View.ageBand(30), "company_size": View.band("50-249", 50, 249), "homeowner": View.label("true")]))
        #expect(bandQuality.indeterminateScores == 1 && bandQuality.criteria[0].indeterminate == 1 && bandQuality.customersWithGaps == 0)
    }

    // MARK: The k-anonymity guard

    static let guardModel = modelYAML("""
        groups:
          fit:
            rules:
              - { field: birth_date, range: { min: 40 }, points: 10 }
              - { field: industry, equals: Software, points: 5 }
        tiers:
          - { name: A, min: 10 }
          - { name: B, max: 10 }

        """)

    /// 5 customers aged 40-49 (a class of 5), 3 aged 60-69 and 2 aged 70-79 (classes under 5,
    /// together 5 once the band is dropped), 2 in tier B with nothing in common with anyone else.
    static func guardScores() throws -> (ScoringEngine, [CustomerScore]) {
        let engine = try Fixture.engine(guardModel)
        var scores: [CustomerScore] = []
        func add(_ band: Int, _ industry: String, _ count: Int) {
            for _ in 0..<count {
                scores.append(engine.score(["birth_date": View.ageBand(band), "industry": View.label(industry)], reference: "ps_\(scores.count)"))
            }
        }
        add(40, "Software", 5)
        add(60, "Retail", 3)
        add(70, "Retail", 2)
        add(20, "Retail", 2)
        return (engine, scores)
    }

    @Test func smallClassesAreCoarsenedThenSuppressed() throws {
        let (engine, scores) = try Self.guardScores()
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5)
        #expect(qcl.coarsened == 5 && qcl.suppressed == 2 && qcl.rows.count == 10)
        #expect(Set(qcl.rows.compactMap(\.score.reference)) == Set((0..<10).map { "ps_\($0)" }))
        #expect(qcl.rows.filter(\.coarse).compactMap(\.score.reference).sorted() == (5..<10).map { "ps_\($0)" })
        // Best first: the 40-49s score 15, the others 10.
        #expect(qcl.rows.prefix(5).allSatisfy { $0.score.score == 15 })
        // With k = 2 every class is large enough.
        let loose = QualifiedCustomerList(scores: scores, model: engine.model, k: 2)
        #expect(loose.coarsened == 0 && loose.suppressed == 0 && loose.rows.count == 12)
        // With k = 6 every class is too small; without their bands the ten tier-A rows look
        // alike, the two tier-B rows still stand out.
        let strict = QualifiedCustomerList(scores: scores, model: engine.model, k: 6)
        #expect(strict.coarsened == 10 && strict.suppressed == 2 && strict.rows.allSatisfy(\.coarse))
    }

    @Test func theQCLIsWrittenAsCSVWithMode0600() throws {
        let (engine, scores) = try Self.guardScores()
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5)
        let scratch = try ScratchDirectory()
        // An existing, world-readable file is replaced and narrowed.
        try scratch.write("qcl.csv", "old")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: scratch.file("qcl.csv"))
        try qcl.writeCSV(to: scratch.file("qcl.csv"))
        #expect(try scratch.mode("qcl.csv") == 0o600)
        let records = try csvRecords(scratch.file("qcl.csv"))
        #expect(records[0] == ["pseudonym", "score", "score_min", "score_max", "tier", "tier_bound", "completeness", "confidence",
                               "reasons", "next_action", "recontact_month", "rfm_segment", "clv_predicted", "model", "model_version", "scored_at"])
        #expect(records.count == 11)
        #expect(records.first { $0[0] == "ps_0" } == ["ps_0", "15", "", "", "A", "exact", "100", "100", "birth_date 40-49: +10; industry Software: +5", "", "", "", "",
                                                      "test", "1", qcl.scoredAtText])
        let coarse = records.filter { $0[0] == "ps_5" || $0[0] == "ps_9" }
        #expect(coarse.count == 2 && coarse.allSatisfy { $0[8] == "birth_date: +10" })
        let text = try scratch.read("qcl.csv")
        #expect(!text.contains("60-69") && !text.contains("70-79") && !text.contains("20-29"))
        #expect(!text.contains("ps_10") && !text.contains("ps_11"))
    }

    @Test func theQCLIsWrittenAsJSON() throws {
        let (engine, scores) = try Self.guardScores()
        let qcl = QualifiedCustomerList(scores: scores, model: engine.model, k: 5)
        let scratch = try ScratchDirectory()
        try qcl.writeJSON(to: scratch.file("qcl.json"), domain: "analytics")
        #expect(try scratch.mode("qcl.json") == 0o600)
        let data = try #require(FileManager.default.contents(atPath: scratch.file("qcl.json")))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["model"] as? String == "test" && document["model_version"] as? String == "1")
        #expect(document["model_digest"] as? String == engine.model.digest && document["pseudonym_domain"] as? String == "analytics")
        #expect(document["k"] as? Int == 5 && document["coarsened"] as? Int == 5 && document["suppressed"] as? Int == 2)
        // The output contract: numbers as numbers, reasons an array (the CSV joins them with "; ").
        let rows = try #require(document["rows"] as? [[String: Any]])
        #expect(rows.count == 10)
        let first = try #require(rows.first { $0["pseudonym"] as? String == "ps_0" })
        #expect(Set(first.keys) == ["pseudonym", "score", "tier", "tier_bound", "completeness", "confidence", "reasons"])
        #expect(first["score"] as? Int == 15 && first["completeness"] as? Int == 100 && first["confidence"] as? Int == 100)
        #expect(first["tier"] as? String == "A" && first["tier_bound"] as? String == "exact")
        #expect(first["reasons"] as? [String] == ["birth_date 40-49: +10", "industry Software: +5"])
    }

    // MARK: Calibration

    /// Scores 30, 20, 10 won; 20, 0 lost; one 30 without an outcome.
    static func calibrationScores() throws -> (ScoringEngine, [CustomerScore]) {
        let engine = try Fixture.engine(modelYAML("""
            groups:
              fit:
                rules:
                  - { field: industry, equals: Software, points: 20 }
                  - { field: need, equals: high, points: 10 }
            tiers:
              - { name: A, min: 20 }
              - { name: B, min: 10, max: 20 }
              - { name: C, max: 10 }

            """))
        let rows: [(String, String, DealOutcome?)] = [("Software", "high", .won), ("Software", "low", .won), ("Retail", "high", .won),
                                                       ("Software", "low", .lost), ("Retail", "low", .lost), ("Software", "high", nil)]
        return (engine, rows.map { engine.score(["industry": View.label($0.0), "need": View.label($0.1)], outcome: $0.2) })
    }

    @Test func calibrationAgainstAHandComputedCase() throws {
        let (engine, scores) = try Self.calibrationScores()
        #expect(scores.map(\.score) == [30, 20, 10, 20, 0, 30])
        var calibration = Calibration(model: engine.model)
        scores.forEach { calibration.add($0) }
        // Tiers of one to three outcomes are small by default: no conversion, no lift.
        #expect(calibration.tiers.prefix(3).allSatisfy { calibration.isSmall($0) && calibration.conversion($0) == nil && calibration.lift($0) == nil })
        calibration.minimumOutcomes = 1
        #expect(calibration.tiers.map(\.tier) == ["A", "B", "C", "disqualified"])
        #expect(calibration.tiers.map(\.customers) == [4, 1, 1, 0])
        #expect(calibration.tiers.map(\.won) == [2, 1, 0, 0] && calibration.tiers.map(\.lost) == [1, 0, 1, 0])
        #expect(calibration.tiers[0].conversionRate == 2.0 / 3 && calibration.tiers[1].conversionRate == 1 && calibration.tiers[2].conversionRate == 0)
        #expect(calibration.tiers[3].conversionRate == nil)
        #expect(calibration.won == 3 && calibration.lost == 2 && calibration.baselineRate == 0.6)
        #expect(abs(try #require(calibration.lift(calibration.tiers[0])) - (2.0 / 3) / 0.6) < 1e-12)
        #expect(abs(try #require(calibration.lift(calibration.tiers[1])) - 1 / 0.6) < 1e-12)
        // Pairs (won, lost): (30,20) (30,0) (20,0) (10,0) win, (20,20) ties, (10,20) loses: 4.5 of 6.
        #expect(calibration.auc == 0.75)
        // B converts better than A: the tiers do not separate winners from losers.
        #expect(!calibration.tiersSeparate(minimum: 1))
    }

    @Test func aTieCountsHalf() throws {
        let (engine, scores) = try Self.calibrationScores()
        var tie = Calibration(model: engine.model)
        tie.add(scores[1])  // 20, won
        tie.add(scores[3])  // 20, lost
        #expect(tie.auc == 0.5)
        var perfect = Calibration(model: engine.model)
        [scores[0], scores[4]].forEach { perfect.add($0) }
        #expect(perfect.auc == 1 && perfect.tiersSeparate(minimum: 1))
        var onlyWon = Calibration(model: engine.model)
        onlyWon.add(scores[0])
        #expect(onlyWon.auc == nil && onlyWon.baselineRate == 1)
        #expect(Calibration(model: engine.model).baselineRate == nil)
    }

    // MARK: ICP discovery

    /// Six customers as the analyst sees them; the first three form the segment.
    static let icpCustomers: [(country: String, homeowner: String?, budget: Double, member: Bool)] = [
        ("GB", "true", 2500, true), ("GB", "true", 9999.5, true), ("GB", "false", 500, true),
        ("DE", "true", 120, false), ("DE", "false", 999, false), ("FR", nil, 1000, false),
    ]

    static func icp(k: Int = 2) -> ICPDiscovery {
        var discovery = ICPDiscovery(fields: ["country", "homeowner", "budget"], segment: "won", k: k)
        for c in icpCustomers {
            let values: [ViewedValue?] = [View.label(c.country), c.homeowner.map(View.label), View.number(c.budget)]
            discovery.add(values.map { $0.flatMap(ICPDiscovery.label) }, inSegment: c.member)
        }
        return discovery
    }

    @Test func icpCellsAreHandComputedAndSmallCellsHidden() throws {
        let discovery = Self.icp()
        #expect(discovery.customers == 6 && discovery.segmentSize == 3)
        let cells = discovery.cells
        // country GB: 3 of 3 in the segment, 3 of 6 overall; homeowner true and budget
        // 1000-9999: 2 of 3 vs 3 of 6. DE (support 0), FR (1 overall), false (support 1) and
        // 100-999 (support 1) are under k = 2.
        #expect(cells.map { "\($0.field)=\($0.value)" } == ["country=GB", "budget=1000-9999", "homeowner=true"])
        #expect(cells[0] == ICPDiscovery.Cell(field: "country", value: "GB", support: 3, overallCount: 3, segmentShare: 1, overallShare: 0.5, lift: 2))
        #expect(cells[1].support == 2 && cells[1].overallCount == 3 && abs(cells[1].lift - 4.0 / 3) < 1e-12)
        #expect(cells[2].segmentShare == 2.0 / 3 && cells[2].overallShare == 0.5)
        // With k = 3 only the GB cell is large enough.
        #expect(Self.icp(k: 3).cells.map(\.value) == ["GB"])
    }

    @Test func icpLabelsPlainNumbersByDecade() {
        #expect(ICPDiscovery.label(View.number(0)) == "0")
        #expect(ICPDiscovery.label(View.number(7)) == "1-9")
        #expect(ICPDiscovery.label(View.number(10)) == "10-99")
        #expect(ICPDiscovery.label(View.number(9999.5)) == "1000-9999")
        #expect(ICPDiscovery.label(View.band("50-249", 50, 249)) == "50-249")
        #expect(ICPDiscovery.label(View.month(CivilDate(year: 2026, month: 3, day: 1))) == "2026-03")
        #expect(ICPDiscovery.label(View.unreadable) == nil)
    }

    @Test func proposedRulesLoadAndMatchTheirCellsCustomers() throws {
        let proposed = Self.icp().proposedRules(minimumLift: 1.2)
        #expect(proposed.map(\.field) == ["country", "budget", "homeowner"])
        #expect(proposed.map(\.points) == [10, 4, 4])
        #expect(proposed[0].yaml == "- { field: country, equals: GB, points: 10 }   # lift 2.00, support 3")
        #expect(proposed[1].yaml == "- { field: budget, range: { min: 1000, max: 9999.99 }, points: 4 }   # lift 1.33, support 2")
        #expect(Self.icp().proposedRules().map(\.field) == ["country"])
        // Pasted into a model's fit group, the rules load for the analyst...
        let yaml = modelYAML("groups:\n  fit:\n    rules:\n" + proposed.map { "      " + $0.yaml + "\n" }.joined() + "tiers: [{ name: A }]\n")
        let engine = try Fixture.engine(yaml)
        #expect(engine.model.groups[0].rules.count == 3)
        // ... and each matches exactly the customers counted in its cell.
        for c in Self.icpCustomers {
            var values = ["country": View.label(c.country), "budget": View.number(c.budget)]
            if let h = c.homeowner { values["homeowner"] = View.label(h) }
            let verdicts = engine.score(values).verdicts
            #expect(verdicts[0] == (c.country == "GB" ? .match : .noMatch), "\(c)")
            #expect(verdicts[1] == ((1000..<10000).contains(c.budget) ? .match : .noMatch), "budget \(c.budget)")
            #expect(verdicts[2] == (c.homeowner == nil ? .missing : c.homeowner == "true" ? .match : .noMatch), "\(c)")
        }
    }

    @Test func decadeRulesHoldEveryValueOfTheirDecade() throws {
        #expect(try #require(ICPDiscovery.decadeBounds("10-99")) == ("10", "99.99"))
        #expect(try #require(ICPDiscovery.decadeBounds("0")) == ("0", "0.99"))
        #expect(try #require(ICPDiscovery.decadeBounds("<0")) == (nil, "-0.01"))
        #expect(ICPDiscovery.decadeBounds("10-49") == nil && ICPDiscovery.decadeBounds("GB") == nil)
        // Budgets under 1 in the segment, tens outside it.
        var discovery = ICPDiscovery(fields: ["budget"], segment: "won", k: 2)
        for (budget, member) in [(0.0, true), (0.5, true), (50.0, false), (60.0, false)] {
            discovery.add([ICPDiscovery.label(View.number(budget))], inSegment: member)
        }
        let rule = try #require(discovery.proposedRules().first)
        #expect(rule.value == "0" && rule.yaml.hasPrefix("- { field: budget, range: { min: 0, max: 0.99 }, points: 10 }"))
        let engine = try Fixture.engine(modelYAML("groups:\n  fit:\n    rules:\n      \(rule.yaml)\ntiers: [{ name: A }]\n"))
        #expect([0, 0.5, 0.99, 1, 50].map { engine.score(["budget": View.number($0)]).verdicts[0] } == [.match, .match, .match, .noMatch, .noMatch])
    }
}
