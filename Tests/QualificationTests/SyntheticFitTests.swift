import Coffer
import Foundation
import Qualification
import Testing

/// Parameter recovery on simulated customers, and the timing of a large fit. Not a timed test:
/// the durations are printed. Debug builds use fewer customers; run
/// `swift test -c release --filter SyntheticFitTests` for the 100,000-customer figure.
@Suite("Synthetic data")
struct SyntheticFitTests {
    #if DEBUG
    static let customerCount = 20_000
    #else
    static let customerCount = 100_000
    #endif

    @Test("BG/NBD and Gamma-Gamma fits recover the simulating parameters")
    func recovery() throws {
        let clock = ContinuousClock()
        let customers = simulateCustomers(
            count: Self.customerCount, r: 0.25, alpha: 4, a: 0.8, b: 2.5,
            p: 6, q: 4, gamma: 15, seed: 2_024
        )
        let repeaters = customers.filter { $0.frequency > 0 }.count
        var purchaseFit: FitResult<BGNBD>?
        let purchaseTime = try clock.measure { purchaseFit = try BGNBD.fit(customers) }
        let purchase = try #require(purchaseFit)
        var spendFit: FitResult<GammaGamma>?
        let spendTime = try clock.measure { spendFit = try GammaGamma.fit(customers) }
        let spend = try #require(spendFit)
        print("""
            synthetic \(customers.count) customers (\(repeaters) repeat): \
            BG/NBD r=\(purchase.model.r) alpha=\(purchase.model.alpha) a=\(purchase.model.a) b=\(purchase.model.b) \
            iterations=\(purchase.iterations) converged=\(purchase.converged) in \(purchaseTime); \
            Gamma-Gamma p=\(spend.model.p) q=\(spend.model.q) gamma=\(spend.model.gamma) \
            iterations=\(spend.iterations) converged=\(spend.converged) in \(spendTime)
            """)
        #expect(purchase.converged)
        #expect(spend.converged)
        // Loose bounds: sampling error plus the bias of whole-day purchase times (same-day purchases
        // of fast buyers merge, t_x and T are truncated to days).
        #expect(abs(purchase.model.r - 0.25) < 0.025)
        #expect(abs(purchase.model.alpha - 4) < 0.6)
        #expect(abs(purchase.model.a - 0.8) < 0.2)
        #expect(abs(purchase.model.b - 2.5) < 0.75)
        #expect(abs(spend.model.p - 6) < 0.9)
        #expect(abs(spend.model.q - 4) < 0.6)
        #expect(abs(spend.model.gamma - 15) < 3)
    }

    @Test("On exact continuous times the fits recover the parameters within sampling error")
    func recoveryContinuous() throws {
        let customers = simulateCustomers(
            count: Self.customerCount, r: 0.25, alpha: 4, a: 0.8, b: 2.5,
            p: 6, q: 4, gamma: 15, seed: 77, wholeDays: false
        )
        let purchase = try BGNBD.fit(customers)
        let spend = try GammaGamma.fit(customers)
        print("""
            continuous \(customers.count) customers: BG/NBD r=\(purchase.model.r) alpha=\(purchase.model.alpha) \
            a=\(purchase.model.a) b=\(purchase.model.b); Gamma-Gamma p=\(spend.model.p) q=\(spend.model.q) gamma=\(spend.model.gamma)
            """)
        // About 3 standard errors at 20,000 customers (scaled from the CDNOW standard errors).
        #expect(abs(purchase.model.r - 0.25) < 0.015)
        #expect(abs(purchase.model.alpha - 4) < 0.3)
        #expect(abs(purchase.model.a - 0.8) < 0.2)
        #expect(abs(purchase.model.b - 2.5) < 0.7)
        #expect(abs(spend.model.p - 6) < 0.6)
        #expect(abs(spend.model.q - 4) < 0.4)
        #expect(abs(spend.model.gamma - 15) < 2)
    }

    @Test("RFM thresholds for 1,000,000 customers")
    func rfmMillion() throws {
        var random = SplitMix64(state: 99)
        let population = (0..<1_000_000).map { _ in
            let frequency = Int(-log(random.uniform()) * 2)
            let days = Double(Int(random.uniform() * 720))
            return PurchaseSummary(
                orders: frequency + 1, purchaseDays: frequency + 1, frequency: frequency,
                recency: 0, age: days, monetaryValue: 0,
                averageDaySpend: (random.uniform() * 200).rounded(), totalSpend: 0
            )
        }
        let clock = ContinuousClock()
        var computed: RFMThresholds?
        let elapsed = try clock.measure { computed = try RFMThresholds(population: population) }
        let thresholds = try #require(computed)
        var histogram = [Int](repeating: 0, count: 6)
        for customer in population { histogram[thresholds.score(customer).recency] += 1 }
        print("RFM thresholds for 1,000,000 customers in \(elapsed): \(thresholds); R histogram \(histogram.dropFirst())")
        // About a fifth per R score (days since last purchase has 720 distinct values).
        for count in histogram.dropFirst() { #expect(abs(count - 200_000) < 5_000) }
    }
}
