import ArgumentParser
import Coffer
import CofferDemoData
import Foundation

struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Write deterministic synthetic customers.csv, orders.csv and outcomes.csv."
    )

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
        Terminal.out("wrote \(counts.customers) customers, \(counts.orders) orders, \(counts.outcomes) outcomes to \(out)/")
    }
}
