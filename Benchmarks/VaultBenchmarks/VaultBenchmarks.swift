import Benchmark
import Coffer
import Foundation

/// End-to-end vault operations on demo data. The side-by-side comparison with sqlite3's
/// plaintext `.import` is scripts/bench-import; this suite tracks regressions.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 5)

    let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../policies/schema.yaml").standardized.path

    Benchmark("import 20,000 demo customers") { benchmark in
        let directory = NSTemporaryDirectory() + "coffer-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try DemoData.write(customers: 20_000, seed: 1, to: directory + "/demo")
        let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
        let vault = try Vault.create(at: directory + "/vault", schema: schema, protection: .keyFile(path: directory + "/vault.key"))
        benchmark.startMeasurement()
        let report = try vault.importCSV(.customers, path: directory + "/demo/customers.csv")
        benchmark.stopMeasurement()
        precondition(report.inserted == 20_000)
    }

    Benchmark("find by email (blind index + decrypt)", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 1_000_000)) { benchmark in
        let directory = NSTemporaryDirectory() + "coffer-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
        let vault = try Vault.create(at: directory + "/vault", schema: schema, protection: .keyFile(path: directory + "/vault.key"))
        try vault.put(["customer_ref": "C1", "full_name": "Ada Lovelace", "email": "ada@example.com"])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try vault.find(.email(" Ada@Example.COM ")))
        }
    }
}
