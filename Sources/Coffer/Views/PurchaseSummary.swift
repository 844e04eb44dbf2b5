import Foundation

/// One customer's purchase history reduced to the BTYD ("buy till you die") statistics the
/// value models need: frequency, recency, age and spend.
///
/// Computed inside the vault from decrypted orders; only these derived numbers leave it. Order
/// contents, individual dates and individual amounts never do.
///
/// Time unit: days throughout. The BTYD fields follow Fader, Hardie & Lee (2005), with time measured
/// from the customer's first purchase day:
/// - `frequency` is x, the number of *repeat* purchase days (purchase days − 1);
/// - `recency` is t_x, the time of the last purchase day (0 when x = 0);
/// - `age` is T, the time to the end of the observation period.
///
/// Several orders on the same day count as one purchase day with their amounts summed (the
/// convention of the Python `lifetimes` package), so `orders >= purchaseDays`.
public struct PurchaseSummary: Sendable, Equatable, Codable {
    /// Number of orders at or before the end of observation.
    public var orders: Int
    /// Number of distinct days with at least one order.
    public var purchaseDays: Int
    /// Repeat purchase days, `purchaseDays - 1` (BTYD x).
    public var frequency: Int
    /// Days from the first to the last purchase day (BTYD t_x); 0 when `frequency == 0`.
    public var recency: Double
    /// Days from the first purchase day to the end of the observation period (BTYD T).
    public var age: Double
    /// Mean spend per *repeat* purchase day, the first purchase day excluded (the `lifetimes`
    /// convention used by the Gamma-Gamma model); 0 when `frequency == 0`.
    public var monetaryValue: Double
    /// Mean spend per purchase day over all purchase days, the first included (RFM "M").
    public var averageDaySpend: Double
    /// Sum of all order amounts at or before the end of observation.
    public var totalSpend: Double

    /// Days between the last purchase day and the end of observation (`age - recency`), the
    /// quantity RFM scores as "R".
    public var daysSinceLastPurchase: Double { age - recency }

    /// Stores the given statistics as they are, for callers that already hold derived numbers
    /// (for example published summary data). No consistency checks: the models validate what they use.
    public init(
        orders: Int,
        purchaseDays: Int,
        frequency: Int,
        recency: Double,
        age: Double,
        monetaryValue: Double,
        averageDaySpend: Double,
        totalSpend: Double
    ) {
        self.orders = orders
        self.purchaseDays = purchaseDays
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.monetaryValue = monetaryValue
        self.averageDaySpend = averageDaySpend
        self.totalSpend = totalSpend
    }

    /// Reduces one customer's orders to the summary, observed up to and including `observationEnd`.
    ///
    /// - Parameters:
    ///   - purchases: one entry per order: `day` is the day number (days since 1970-01-01, as a
    ///     civil-date day number) and `amount` the order total. Orders on the same day are merged into
    ///     one purchase day with the amounts summed. Orders after `observationEnd` are ignored. A
    ///     non-finite amount counts as an order of amount 0.
    ///   - observationEnd: day number of the last observed day (inclusive).
    /// - Returns: `nil` when no order falls at or before `observationEnd`.
    public init?(purchases: [(day: Int, amount: Double)], observationEnd: Int) {
        // Sort by (day, amount) so sums are taken in one fixed order: results are bit-for-bit
        // independent of the input order.
        var observed: [(day: Int, amount: Double)] = []
        observed.reserveCapacity(purchases.count)
        for purchase in purchases where purchase.day <= observationEnd {
            observed.append((purchase.day, purchase.amount.isFinite ? purchase.amount : 0))
        }
        observed.sort { (a: (day: Int, amount: Double), b: (day: Int, amount: Double)) -> Bool in
            a.day != b.day ? a.day < b.day : a.amount < b.amount
        }
        guard let first = observed.first, let last = observed.last else { return nil }

        var daySpends: [Double] = []
        var currentDay = first.day
        var currentSpend = 0.0
        for purchase in observed {
            if purchase.day != currentDay {
                daySpends.append(currentSpend)
                currentDay = purchase.day
                currentSpend = 0
            }
            currentSpend += purchase.amount
        }
        daySpends.append(currentSpend)

        let repeatDaySpends = daySpends.dropFirst()
        let repeatSpend = repeatDaySpends.reduce(0, +)
        let total = daySpends.reduce(0, +)

        self.orders = observed.count
        self.purchaseDays = daySpends.count
        self.frequency = daySpends.count - 1
        // Subtract as Double: extreme day numbers cannot overflow.
        self.recency = Double(last.day) - Double(first.day)
        self.age = Double(observationEnd) - Double(first.day)
        self.monetaryValue = repeatDaySpends.isEmpty ? 0 : repeatSpend / Double(repeatDaySpends.count)
        self.averageDaySpend = total / Double(daySpends.count)
        self.totalSpend = total
    }
}
