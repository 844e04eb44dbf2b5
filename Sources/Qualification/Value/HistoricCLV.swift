import Coffer
import Foundation

/// Simple historic customer lifetime value: what the customer has been worth per year so far,
/// projected over an expected lifespan. A transparent baseline next to the predictive model.
///
///     CLV = average order value × orders per year × expected lifespan (years) × margin
///     average order value = totalSpend / orders
///     orders per year     = orders / max(age, minimumObservedDays) × 365.25
///
/// `age` is the days from the first purchase to the end of observation. The floor
/// `minimumObservedDays` stops a customer who bought yesterday from being extrapolated to hundreds
/// of orders a year.
public struct HistoricCLV: Sendable, Equatable {
    /// Days per year used to annualise (Julian year).
    public static let daysPerYear = 365.25

    /// Expected customer lifespan in years (> 0).
    public let expectedLifespanYears: Double
    /// Share of revenue kept as profit (0...1).
    public let margin: Double
    /// Smallest observation period used for annualising, in days (> 0).
    public let minimumObservedDays: Double

    /// Creates the calculator, validating every parameter.
    ///
    /// - Throws: `.invalidParameter` when the lifespan or minimum period is not finite and > 0, or
    ///   the margin is outside 0...1.
    public init(expectedLifespanYears: Double = 3, margin: Double = 1, minimumObservedDays: Double = 30) throws(ValueModelError) {
        try ValueModelError.requirePositive(expectedLifespanYears, "expectedLifespanYears")
        try ValueModelError.requirePositive(minimumObservedDays, "minimumObservedDays")
        guard margin.isFinite, (0...1).contains(margin) else {
            throw .invalidParameter(name: "margin", value: margin, requirement: "within 0...1")
        }
        self.expectedLifespanYears = expectedLifespanYears
        self.margin = margin
        self.minimumObservedDays = minimumObservedDays
    }

    /// Mean order total, `totalSpend / orders`.
    public func averageOrderValue(_ customer: PurchaseSummary) throws(ValueModelError) -> Double {
        try validate(customer)
        return customer.totalSpend / Double(customer.orders)
    }

    /// Orders per year over the observed age (floored at `minimumObservedDays`).
    public func ordersPerYear(_ customer: PurchaseSummary) throws(ValueModelError) -> Double {
        try validate(customer)
        return Double(customer.orders) / max(customer.age, minimumObservedDays) * Self.daysPerYear
    }

    /// The historic CLV of one customer (see the type's formula).
    ///
    /// - Throws: `.invalidCustomer` when the customer has no orders, or a non-finite or negative
    ///   age, or a non-finite total spend.
    public func value(for customer: PurchaseSummary) throws(ValueModelError) -> Double {
        try averageOrderValue(customer) * ordersPerYear(customer) * expectedLifespanYears * margin
    }

    private func validate(_ customer: PurchaseSummary) throws(ValueModelError) {
        guard customer.orders >= 1 else {
            throw .invalidCustomer(reason: "historic CLV needs at least one order, found \(customer.orders)")
        }
        guard customer.age.isFinite, customer.age >= 0, customer.totalSpend.isFinite else {
            throw .invalidCustomer(reason: "age must be finite and >= 0 and total spend finite")
        }
    }
}
