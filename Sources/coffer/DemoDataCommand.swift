import ArgumentParser
import Coffer
import CofferDemoData
import Foundation

struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Write deterministic synthetic customers.csv, orders.csv and outcomes.csv."
    )

    @OptionGroup var output: OutputOptions

    @Option(help: "Number of customers.")
    var customers = 1_000

    @Option(help: "Random seed; the same seed gives the same files.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Output directory.", valueName: "dir"))
    var out = "demo"

    func run() throws {
        guard customers > 0 else { throw VaultError.invalidInput("--customers must be positive") }
        let bar = ProgressBar("demo-data")
        let counts = try DemoData.write(customers: customers, seed: seed, to: out) { bar.update($0) }
        bar.finish()
        if output.json {
            struct Summary: Encodable { var customers: Int; var orders: Int; var outcomes: Int; var seed: UInt64; var out: String; var files: [String] }
            let files = ["customers.csv", "orders.csv", "outcomes.csv"].map { (out as NSString).appendingPathComponent($0) }
            return try printJSON(Summary(customers: counts.customers, orders: counts.orders, outcomes: counts.outcomes, seed: seed, out: out, files: files))
        }
        Terminal.out("wrote \(counts.customers) customers, \(counts.orders) orders, \(counts.outcomes) outcomes to \(out)/")
    }
}
