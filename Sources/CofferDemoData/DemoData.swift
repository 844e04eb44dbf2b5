import Coffer
import CofferSupport
import Foundation

/// Writes the demo CSV files produced by `DemoDataGenerator`.
public enum DemoData {
    public struct Counts: Sendable, Equatable { public var customers = 0, orders = 0, outcomes = 0 }

    /// Writes customers.csv, orders.csv and outcomes.csv into `directory` (created if needed).
    public static func write(customers: Int, seed: UInt64, to directory: String,
                             progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> Counts {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .invalidInput("cannot create directory \(directory)")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        do {
            let customerFile = try CSVWriter(path: path("customers.csv"))
            let orderFile = try CSVWriter(path: path("orders.csv"))
            let outcomeFile = try CSVWriter(path: path("outcomes.csv"))
            try customerFile.write(DemoDataGenerator.customerColumns)
            try orderFile.write(DemoDataGenerator.orderColumns)
            try outcomeFile.write(DemoDataGenerator.outcomeColumns)
            var counts = Counts()
            let generator = DemoDataGenerator(customers: customers, seed: seed)
            try generator.generate(
                customer: { row in
                    try customerFile.write(row)
                    counts.customers += 1
                    if counts.customers % 10_000 == 0 { progress?(WorkProgress(completed: counts.customers, total: customers, unit: "customers")) }
                },
                order: { row in
                    try orderFile.write(row)
                    counts.orders += 1
                },
                outcome: { row in
                    try outcomeFile.write(row)
                    counts.outcomes += 1
                })
            try customerFile.close()
            try orderFile.close()
            try outcomeFile.close()
            progress?(WorkProgress(completed: counts.customers, total: customers, unit: "customers"))
            return counts
        } catch let error as CSVError {
            throw .invalidInput(error.description)
        } catch {
            throw VaultError(wrapping: error)
        }
    }
}
