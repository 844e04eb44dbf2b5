// TEMPORARY until DemoDataGenerator.swift lands.
public struct DemoDataGenerator: Sendable {
    public static let customerColumns: [String] = []
    public static let orderColumns = ["customer_ref", "order_date", "amount", "product_category"]
    public static let outcomeColumns = ["customer_ref", "outcome", "closed_at"]
    public init(customers: Int, seed: UInt64) {}
    public func generate(customer: ([String]) throws -> Void, order: ([String]) throws -> Void, outcome: ([String]) throws -> Void) rethrows {}
}
