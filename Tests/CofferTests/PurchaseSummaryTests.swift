import Coffer
import Foundation
import Testing

@Suite("PurchaseSummary")
struct PurchaseSummaryTests {
    @Test("Same-day orders merge into one purchase day; BTYD x, t_x, T by hand")
    func sameDayMerge() throws {
        // Days 100 (two orders: 10 + 5), 110 (20), 130 (30); observation ends on day 140.
        let summary = try #require(PurchaseSummary(
            purchases: [(day: 110, amount: 20), (day: 100, amount: 10), (day: 130, amount: 30), (day: 100, amount: 5)],
            observationEnd: 140
        ))
        #expect(summary.orders == 4)
        #expect(summary.purchaseDays == 3)
        #expect(summary.frequency == 2)          // x = 3 purchase days − 1
        #expect(summary.recency == 30)           // t_x = 130 − 100
        #expect(summary.age == 40)               // T = 140 − 100
        #expect(summary.daysSinceLastPurchase == 10)
        #expect(summary.totalSpend == 65)
        #expect(summary.monetaryValue == 25)     // repeat days only: (20 + 30) / 2
        #expect(abs(summary.averageDaySpend - 65.0 / 3.0) < 1e-12) // (15 + 20 + 30) / 3
    }

    @Test("Orders after the end of observation are ignored")
    func afterEndIgnored() throws {
        let summary = try #require(PurchaseSummary(
            purchases: [(day: 100, amount: 10), (day: 141, amount: 99), (day: 150, amount: 99)],
            observationEnd: 140
        ))
        #expect(summary == PurchaseSummary(
            orders: 1, purchaseDays: 1, frequency: 0, recency: 0, age: 40,
            monetaryValue: 0, averageDaySpend: 10, totalSpend: 10
        ))
    }

    @Test("One-time buyer on the last observed day")
    func oneTimeBuyer() throws {
        let summary = try #require(PurchaseSummary(purchases: [(day: 200, amount: 42)], observationEnd: 200))
        #expect(summary.frequency == 0)
        #expect(summary.recency == 0)
        #expect(summary.age == 0)
        #expect(summary.daysSinceLastPurchase == 0)
        #expect(summary.monetaryValue == 0)
        #expect(summary.averageDaySpend == 42)
    }

    @Test("No purchase at or before the end gives nil")
    func noPurchases() {
        #expect(PurchaseSummary(purchases: [], observationEnd: 10) == nil)
        #expect(PurchaseSummary(purchases: [(day: 11, amount: 5)], observationEnd: 10) == nil)
    }

    @Test("Result does not depend on input order")
    func orderIndependent() throws {
        let purchases: [(day: Int, amount: Double)] = [(5, 0.1), (5, 0.2), (9, 0.3), (1, 0.7), (9, 1e-17), (3, 3)]
        let forward = try #require(PurchaseSummary(purchases: purchases, observationEnd: 20))
        let backward = try #require(PurchaseSummary(purchases: purchases.reversed(), observationEnd: 20))
        #expect(forward == backward)
        #expect(forward.frequency == 3)
        #expect(forward.recency == 8)
        #expect(forward.age == 19)
    }

    @Test("Non-finite amounts count as orders of amount 0")
    func nonFiniteAmount() throws {
        let summary = try #require(PurchaseSummary(
            purchases: [(day: 1, amount: .nan), (day: 2, amount: 8), (day: 3, amount: .infinity)],
            observationEnd: 3
        ))
        #expect(summary.orders == 3)
        #expect(summary.totalSpend == 8)
        #expect(summary.monetaryValue == 4)
    }

    @Test("Extreme day numbers do not overflow")
    func extremeDays() throws {
        let summary = try #require(PurchaseSummary(
            purchases: [(day: Int.min, amount: 1), (day: Int.max, amount: 1)],
            observationEnd: Int.max
        ))
        #expect(summary.frequency == 1)
        #expect(summary.recency > 1e18)
    }

    @Test("Codable round trip")
    func codable() throws {
        let summary = try #require(PurchaseSummary(purchases: [(day: 1, amount: 3), (day: 8, amount: 5)], observationEnd: 30))
        let decoded = try JSONDecoder().decode(PurchaseSummary.self, from: JSONEncoder().encode(summary))
        #expect(decoded == summary)
    }
}
