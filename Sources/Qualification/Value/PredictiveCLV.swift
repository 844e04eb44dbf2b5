import Coffer
import Foundation

/// Predictive customer lifetime value over a horizon: expected purchases from BG/NBD times
/// expected spend per purchase from Gamma-Gamma times margin, discounted month by month — the
/// method of `customer_lifetime_value` in the Python `lifetimes` package (Fader, Hardie & Lee 2005,
/// "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis").
///
/// With months of 30 days, month k ending at day d_k = min(30k, horizon), k = 1…⌈horizon/30⌉:
///
///     CLV = Σ_k (E[Y(d_k) | x, t_x, T] − E[Y(d_{k−1}) | x, t_x, T]) · E[M | x, m̄] · margin / (1 + rate)^(d_k / 30)
///
/// where E[Y(t) | …] is the BG/NBD conditional expectation (cumulative, hence the differences),
/// E[M | …] the Gamma-Gamma conditional expected spend and rate the monthly discount rate. For
/// whole months the discount exponent is k, exactly as in `lifetimes`; a final partial month is
/// discounted at its fractional age.
public struct PredictiveCLV: Sendable, Equatable {
    /// Days per discounting period (month).
    public static let daysPerMonth = 30.0
    /// Longest accepted horizon: 100 years.
    public static let maximumHorizonDays = 36_525.0

    /// Model of the number of future purchases.
    public let purchases: BGNBD
    /// Model of the spend per future purchase.
    public let spend: GammaGamma
    /// Horizon in days (> 0, at most `maximumHorizonDays`).
    public let horizonDays: Double
    /// Discount rate per 30-day month (>= 0; 0.01 ≈ 12.7 % a year).
    public let monthlyDiscountRate: Double
    /// Share of revenue kept as profit (0...1).
    public let margin: Double

    /// Creates the calculator, validating every parameter.
    ///
    /// - Throws: `.invalidParameter` for a horizon outside (0, 36525] days, a negative or non-finite
    ///   discount rate, or a margin outside 0...1.
    public init(
        purchases: BGNBD,
        spend: GammaGamma,
        horizonDays: Double = 365,
        monthlyDiscountRate: Double = 0.01,
        margin: Double = 1
    ) throws(ValueModelError) {
        guard horizonDays.isFinite, horizonDays > 0, horizonDays <= Self.maximumHorizonDays else {
            throw .invalidParameter(name: "horizonDays", value: horizonDays, requirement: "within (0, \(Self.maximumHorizonDays)]")
        }
        guard monthlyDiscountRate.isFinite, monthlyDiscountRate >= 0 else {
            throw .invalidParameter(name: "monthlyDiscountRate", value: monthlyDiscountRate, requirement: "finite and >= 0")
        }
        guard margin.isFinite, (0...1).contains(margin) else {
            throw .invalidParameter(name: "margin", value: margin, requirement: "within 0...1")
        }
        self.purchases = purchases
        self.spend = spend
        self.horizonDays = horizonDays
        self.monthlyDiscountRate = monthlyDiscountRate
        self.margin = margin
    }

    /// The discounted CLV of one customer over the horizon (see the type's formula).
    ///
    /// - Throws: `.invalidCustomer` for an inconsistent summary; the Gamma-Gamma and series errors
    ///   of the underlying models.
    public func value(for customer: PurchaseSummary) throws(ValueModelError) -> Double {
        let observation = try BTYDObservation(customer)
        let spendPerPurchase = try spend.expectedAverageSpend(for: customer)
        let months = max(1, Int((horizonDays / Self.daysPerMonth).rounded(.up)))
        var value = 0.0
        var previousExpected = 0.0
        for month in 1...months {
            let endDay = min(Double(month) * Self.daysPerMonth, horizonDays)
            let expected = try purchases.expectedTransactions(inNextWeeks: endDay / BGNBD.daysPerWeek, observation)
            let discount = pow(1 + monthlyDiscountRate, endDay / Self.daysPerMonth)
            value += (expected - previousExpected) * spendPerPurchase * margin / discount
            previousExpected = expected
        }
        return value
    }
}
