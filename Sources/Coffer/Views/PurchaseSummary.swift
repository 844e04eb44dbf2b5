// TEMPORARY until the value helper delivers.
public struct PurchaseSummary: Sendable, Equatable, Codable {
    public var orders: Int
    public var purchaseDays: Int
    public var frequency: Int
    public var recency: Double
    public var age: Double
    public var monetaryValue: Double
    public var averageDaySpend: Double
    public var totalSpend: Double
    public var daysSinceLastPurchase: Double { age - recency }
    public init?(purchases: [(day: Int, amount: Double)], observationEnd: Int) {
        let kept = purchases.filter { $0.day <= observationEnd }
        guard !kept.isEmpty else { return nil }
        var byDay: [Int: Double] = [:]
        for p in kept { byDay[p.day, default: 0] += p.amount }
        let days = byDay.keys.sorted()
        orders = kept.count; purchaseDays = days.count; frequency = days.count - 1
        recency = Double(days.last! - days.first!); age = Double(observationEnd - days.first!)
        totalSpend = kept.reduce(0) { $0 + $1.amount }
        averageDaySpend = totalSpend / Double(days.count)
        monetaryValue = frequency == 0 ? 0 : days.dropFirst().reduce(0) { $0 + byDay[$1]! } / Double(frequency)
    }
}
