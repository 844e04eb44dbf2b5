import Coffer
import Foundation
import Qualification

/// |actual − expected| ≤ tolerance · max(1, |expected|).
func isClose(_ actual: Double, _ expected: Double, tolerance: Double) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

/// A summary for tests that only need the BTYD triple (days) and a spend.
func btydSummary(frequency: Int, recencyDays: Double, ageDays: Double, monetaryValue: Double = 0) -> PurchaseSummary {
    PurchaseSummary(
        orders: frequency + 1, purchaseDays: frequency + 1, frequency: frequency,
        recency: recencyDays, age: ageDays, monetaryValue: monetaryValue,
        averageDaySpend: monetaryValue, totalSpend: monetaryValue * Double(frequency)
    )
}

/// One row of the CDNOW sample (2,357 customers, 39-week calibration period), weeks as published.
struct CDNOWRow {
    var id: Int
    var x: Int
    var tx: Double
    var T: Double
    var zbar: Double

    /// As a day-based summary: t_x and T converted from weeks to days (× 7); m̄ = zbar. The first
    /// purchase's amount is not in the data, so `averageDaySpend` and `totalSpend` are stand-ins.
    var summary: PurchaseSummary {
        PurchaseSummary(
            orders: x + 1, purchaseDays: x + 1, frequency: x,
            recency: tx * 7, age: T * 7, monetaryValue: zbar,
            averageDaySpend: zbar, totalSpend: zbar * Double(x)
        )
    }
}

enum CDNOW {
    /// Rows of `Resources/cdnow_customers_summary_with_transactions.csv` (see Resources/README.md).
    static let rows: [CDNOWRow] = {
        guard let url = Bundle.module.url(
            forResource: "cdnow_customers_summary_with_transactions", withExtension: "csv", subdirectory: "Resources"
        ), let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 5, let id = Int(fields[0]), let x = Int(fields[1]),
                  let tx = Double(fields[2]), let T = Double(fields[3]), let zbar = Double(fields[4])
            else { return nil }
            return CDNOWRow(id: id, x: x, tx: tx, T: T, zbar: zbar)
        }
    }()

    static var summaries: [PurchaseSummary] { rows.map(\.summary) }

    static func row(id: Int) -> CDNOWRow? { rows.first { $0.id == id } }
}

/// Deterministic generator (SplitMix64) for synthetic data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    mutating func normal() -> Double {
        sqrt(-2 * log(uniform())) * cos(2 * Double.pi * uniform())
    }
    /// Gamma(shape, scale 1), Marsaglia & Tsang (2000), with the shape < 1 boost.
    mutating func gamma(shape: Double) -> Double {
        if shape < 1 { return gamma(shape: shape + 1) * pow(uniform(), 1 / shape) }
        let d = shape - 1.0 / 3.0, c = 1 / sqrt(9 * d)
        while true {
            let x = normal()
            let v = pow(1 + c * x, 3)
            if v <= 0 { continue }
            if log(uniform()) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }
    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a), y = gamma(shape: b)
        return x / (x + y)
    }
}

/// Simulated customers of a BG/NBD purchase process with Gamma-Gamma spend. Purchase-rate
/// parameters are per week; each customer is observed for 1–52 weeks.
///
/// With `wholeDays` the purchases go through the vault-side `PurchaseSummary(purchases:observationEnd:)`
/// on whole day numbers (the production path: same-day purchases merge, times are truncated to
/// days). Without it the exact continuous times are kept, which isolates the estimator from that
/// discretisation.
func simulateCustomers(
    count: Int, r: Double, alpha: Double, a: Double, b: Double,
    p: Double, q: Double, gamma: Double, seed: UInt64, wholeDays: Bool = true
) -> [PurchaseSummary] {
    var random = SplitMix64(state: seed)
    var customers: [PurchaseSummary] = []
    customers.reserveCapacity(count)
    while customers.count < count {
        let rate = random.gamma(shape: r) / alpha            // purchases per week while alive
        let dropOut = random.beta(a, b)
        let spendScale = random.gamma(shape: q) / gamma      // rate ν of each amount
        let observedDays = 7 + Int(random.uniform() * 357)   // 1 to 52 weeks
        var times: [Double] = [0]                            // days since the first purchase
        var amounts: [Double] = [random.gamma(shape: p) / spendScale]
        var weeks = 0.0
        while true {
            weeks += -log(random.uniform()) / rate
            let days = weeks * 7
            // Whole days: a purchase on day ⌊days⌋ ≤ observedDays is observed.
            guard days < Double(observedDays) + (wholeDays ? 1 : 0) else { break }
            times.append(days)
            amounts.append(random.gamma(shape: p) / spendScale)
            if random.uniform() < dropOut { break }
        }
        if wholeDays {
            let purchases = zip(times, amounts).map { (day: Int($0), amount: $1) }
            if let summary = PurchaseSummary(purchases: purchases, observationEnd: observedDays) {
                customers.append(summary)
            }
        } else {
            let repeatAmounts = amounts.dropFirst()
            let total = amounts.reduce(0, +)
            customers.append(PurchaseSummary(
                orders: times.count, purchaseDays: times.count, frequency: times.count - 1,
                recency: times.last ?? 0, age: Double(observedDays),
                monetaryValue: repeatAmounts.isEmpty ? 0 : repeatAmounts.reduce(0, +) / Double(repeatAmounts.count),
                averageDaySpend: total / Double(times.count), totalSpend: total
            ))
        }
    }
    return customers
}
