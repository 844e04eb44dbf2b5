import Coffer
import Foundation
import Qualification
import Testing

@Suite("Historic CLV")
struct HistoricCLVTests {
    private func customer(orders: Int, totalSpend: Double, ageDays: Double) -> PurchaseSummary {
        PurchaseSummary(
            orders: orders, purchaseDays: orders, frequency: orders - 1, recency: 0, age: ageDays,
            monetaryValue: 0, averageDaySpend: totalSpend / Double(orders), totalSpend: totalSpend
        )
    }

    @Test("By hand: 4 orders worth 200 over 100 days, 2-year lifespan, 25 % margin")
    func byHand() throws {
        let clv = try HistoricCLV(expectedLifespanYears: 2, margin: 0.25, minimumObservedDays: 30)
        let summary = customer(orders: 4, totalSpend: 200, ageDays: 100)
        #expect(try clv.averageOrderValue(summary) == 50)                       // 200 / 4
        #expect(isClose(try clv.ordersPerYear(summary), 14.61, tolerance: 1e-12)) // 4 / 100 × 365.25
        #expect(isClose(try clv.value(for: summary), 365.25, tolerance: 1e-12))   // 50 × 14.61 × 2 × 0.25
    }

    @Test("Short histories are annualised over the minimum observed period")
    func minimumPeriod() throws {
        let clv = try HistoricCLV(expectedLifespanYears: 1, margin: 1, minimumObservedDays: 30)
        let newcomer = customer(orders: 1, totalSpend: 60, ageDays: 2)
        #expect(isClose(try clv.ordersPerYear(newcomer), 365.25 / 30, tolerance: 1e-12))
        #expect(isClose(try clv.value(for: newcomer), 60 * 365.25 / 30, tolerance: 1e-12))
        let sameDay = customer(orders: 1, totalSpend: 60, ageDays: 0)
        #expect(try clv.value(for: sameDay) == clv.value(for: newcomer))
    }

    @Test("Bad parameters and customers throw with a clear message")
    func errors() throws {
        #expect(throws: ValueModelError.invalidParameter(name: "margin", value: 1.5, requirement: "within 0...1")) {
            try HistoricCLV(margin: 1.5)
        }
        #expect(throws: ValueModelError.self) { try HistoricCLV(expectedLifespanYears: 0) }
        #expect(throws: ValueModelError.self) { try HistoricCLV(expectedLifespanYears: .infinity) }
        #expect(throws: ValueModelError.self) { try HistoricCLV(minimumObservedDays: -1) }
        #expect(throws: ValueModelError.self) { try HistoricCLV(margin: .nan) }
        let clv = try HistoricCLV()
        #expect(throws: ValueModelError.self) { try clv.value(for: customer(orders: 0, totalSpend: 0, ageDays: 10)) }
        #expect(throws: ValueModelError.self) { try clv.value(for: customer(orders: 1, totalSpend: 5, ageDays: .nan)) }
        let message = ValueModelError.invalidParameter(name: "margin", value: 1.5, requirement: "within 0...1").description
        #expect(message == "invalid parameter margin = 1.5: must be within 0...1")
    }
}
