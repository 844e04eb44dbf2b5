import Coffer
import Foundation
import Qualification
import Testing

@Suite("Gamma-Gamma")
struct GammaGammaTests {
    @Test("Conditional expected spend by hand")
    func expectationByHand() throws {
        let model = try GammaGamma(p: 6, q: 4, gamma: 15)
        // p(γ + x m̄)/(px + q − 1) = 6 · (15 + 2 · 20) / (12 + 3) = 330 / 15 = 22
        #expect(isClose(try model.expectedAverageSpend(frequency: 2, monetaryValue: 20), 22, tolerance: 1e-15))
        // Same as the weighted average: population mean γp/(q−1) = 30 with weight (q−1)/(px+q−1) = 3/15,
        // own mean 20 with weight px/(px+q−1) = 12/15: 0.2 · 30 + 0.8 · 20 = 22.
        #expect(model.populationMeanSpend == 30)
        // x = 0: the population mean.
        #expect(try model.expectedAverageSpend(for: btydSummary(frequency: 0, recencyDays: 0, ageDays: 5)) == 30)
    }

    @Test("Log-likelihood by hand")
    func logLikelihoodByHand() throws {
        // p = 1, q = 2, γ = 1, x = 1, m̄ = 1:
        // Γ(3)/(Γ(1)Γ(2)) · 1² · 1⁰ · 1¹ / (1 + 1)³ = 2/8 = 0.25
        let model = try GammaGamma(p: 1, q: 2, gamma: 1)
        #expect(isClose(try model.logLikelihood(frequency: 1, monetaryValue: 1), log(0.25), tolerance: 1e-15))
        // p = 2, q = 3, γ = 4, x = 2, m̄ = 5: Γ(7)/(Γ(4)Γ(3)) · 4³ · 5³ · 2⁴ / 14⁷ = 60 · 64 · 125 · 16 / 105413504
        let other = try GammaGamma(p: 2, q: 3, gamma: 4)
        #expect(isClose(try other.logLikelihood(frequency: 2, monetaryValue: 5), log(60.0 * 64 * 125 * 16 / 105_413_504), tolerance: 1e-14))
    }

    @Test("Errors: parameters, undefined mean, unusable data")
    func errors() throws {
        #expect(throws: ValueModelError.self) { try GammaGamma(p: 0, q: 1, gamma: 1) }
        #expect(throws: ValueModelError.self) { try GammaGamma(p: 1, q: 1, gamma: -3) }
        let heavyTailed = try GammaGamma(p: 2, q: 0.8, gamma: 10)
        #expect(heavyTailed.populationMeanSpend == nil)
        #expect(throws: ValueModelError.undefinedExpectation(reason: "Gamma-Gamma population mean spend needs q > 1, q = 0.8")) {
            try heavyTailed.expectedAverageSpend(frequency: 0, monetaryValue: 0)
        }
        #expect(try heavyTailed.expectedAverageSpend(frequency: 3, monetaryValue: 10) > 0)
        #expect(throws: ValueModelError.self) { try heavyTailed.expectedAverageSpend(frequency: 2, monetaryValue: -1) }
        #expect(throws: ValueModelError.self) { try heavyTailed.logLikelihood(frequency: 0, monetaryValue: 10) }

        #expect(throws: ValueModelError.emptyPopulation) { try GammaGamma.fit([]) }
        let oneTimers = (0..<100).map { _ in btydSummary(frequency: 0, recencyDays: 0, ageDays: 30) }
        #expect(throws: ValueModelError.noRepeatCustomers(model: "Gamma-Gamma")) { try GammaGamma.fit(oneTimers) }
        let fewRepeaters = oneTimers + (0..<3).map { btydSummary(frequency: 1, recencyDays: 5, ageDays: 30, monetaryValue: Double(10 + $0)) }
        #expect(throws: ValueModelError.insufficientCustomers(model: "Gamma-Gamma", found: 3, required: 10)) {
            try GammaGamma.fit(fewRepeaters)
        }
        let decoded = try JSONDecoder().decode(GammaGamma.self, from: JSONEncoder().encode(heavyTailed))
        #expect(decoded == heavyTailed)
    }
}

@Suite("Predictive CLV")
struct PredictiveCLVTests {
    let purchases: BGNBD
    let spend: GammaGamma
    let customer = btydSummary(frequency: 4, recencyDays: 200, ageDays: 260, monetaryValue: 35)

    init() throws {
        purchases = try BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        spend = try GammaGamma(p: 6.25, q: 3.74, gamma: 15.44)
    }

    @Test("Without discounting the monthly sum telescopes to E[Y(horizon)] · E[M] · margin")
    func undiscounted() throws {
        let clv = try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 365, monthlyDiscountRate: 0, margin: 0.3)
        let expected = try purchases.expectedTransactions(inNext: 365, given: customer) * spend.expectedAverageSpend(for: customer) * 0.3
        #expect(isClose(try clv.value(for: customer), expected, tolerance: 1e-12))
    }

    @Test("Discounting month by month, including a partial last month")
    func discounted() throws {
        let spendPerPurchase = try spend.expectedAverageSpend(for: customer)
        let e30 = try purchases.expectedTransactions(inNext: 30, given: customer)
        let e45 = try purchases.expectedTransactions(inNext: 45, given: customer)
        let oneMonth = try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 30, monthlyDiscountRate: 0.02, margin: 0.5)
        #expect(isClose(try oneMonth.value(for: customer), e30 * spendPerPurchase * 0.5 / 1.02, tolerance: 1e-13))
        let partial = try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 45, monthlyDiscountRate: 0.02, margin: 1)
        let expected = e30 * spendPerPurchase / 1.02 + (e45 - e30) * spendPerPurchase / pow(1.02, 1.5)
        #expect(isClose(try partial.value(for: customer), expected, tolerance: 1e-13))
        let undiscounted = try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 45, monthlyDiscountRate: 0, margin: 1)
        #expect(try undiscounted.value(for: customer) > partial.value(for: customer))
    }

    @Test("Invalid inputs throw")
    func errors() {
        #expect(throws: ValueModelError.self) { try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 0) }
        #expect(throws: ValueModelError.self) { try PredictiveCLV(purchases: purchases, spend: spend, horizonDays: 40_000) }
        #expect(throws: ValueModelError.self) { try PredictiveCLV(purchases: purchases, spend: spend, monthlyDiscountRate: -0.1) }
        #expect(throws: ValueModelError.self) { try PredictiveCLV(purchases: purchases, spend: spend, margin: 2) }
        #expect(throws: ValueModelError.self) {
            try PredictiveCLV(purchases: purchases, spend: spend).value(for: btydSummary(frequency: 1, recencyDays: 50, ageDays: 10))
        }
    }
}
