// TEMPORARY until CSV.swift lands.
public struct CSVRecord: Sendable { public var line: Int; public var fields: [String]; public var problem: String? }
public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    public var description: String { "" }
}
public final class CSVReader {
    public init(path: String, chunkSize: Int = 1 << 16, maxRecordBytes: Int = 1 << 20) throws(CSVError) {}
    public func next() throws(CSVError) -> CSVRecord? { nil }
    public var bytesRead: Int { 0 }
    public var fileSize: Int? { nil }
}
public final class CSVWriter {
    public init(path: String) throws(CSVError) {}
    public func write(_ fields: [String]) throws(CSVError) {}
    public func close() throws(CSVError) {}
}
public struct DemoDataGenerator: Sendable {
    public static let customerColumns: [String] = []
    public static let orderColumns = ["customer_ref", "order_date", "amount", "product_category"]
    public static let outcomeColumns = ["customer_ref", "outcome", "closed_at"]
    public init(customers: Int, seed: UInt64) {}
    public func generate(customer: ([String]) throws -> Void, order: ([String]) throws -> Void, outcome: ([String]) throws -> Void) rethrows {}
}
