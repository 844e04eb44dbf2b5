import Coffer
import Foundation

/// The (x, t_x, T) triple of one customer in the models' internal time unit (weeks), after
/// checking that the summary is consistent.
struct BTYDObservation: Hashable, Sendable {
    var frequency: Int
    var recency: Double
    var age: Double

    /// Converts a day-based summary to weeks, rejecting inconsistent summaries with a reason that
    /// names the customer's position in its population when `index` is given.
    init(_ summary: PurchaseSummary, index: Int? = nil) throws(ValueModelError) {
        let customer = index.map { "customer at index \($0): " } ?? ""
        guard summary.frequency >= 0 else {
            throw .invalidCustomer(reason: "\(customer)frequency \(summary.frequency) is negative")
        }
        guard summary.recency.isFinite, summary.age.isFinite else {
            throw .invalidCustomer(reason: "\(customer)recency and age must be finite")
        }
        guard summary.recency >= 0, summary.recency <= summary.age else {
            throw .invalidCustomer(
                reason: "\(customer)recency \(summary.recency) must be within 0...age (\(summary.age))"
            )
        }
        guard summary.frequency > 0 || summary.recency == 0 else {
            throw .invalidCustomer(reason: "\(customer)recency must be 0 when frequency is 0")
        }
        frequency = summary.frequency
        recency = summary.recency / BGNBD.daysPerWeek
        age = summary.age / BGNBD.daysPerWeek
    }
}
