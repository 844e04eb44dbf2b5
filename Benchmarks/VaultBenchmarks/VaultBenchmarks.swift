import Benchmark
@_spi(Benchmarks) import Coffer
import CofferDemoData
import Foundation
import Qualification

/// End-to-end vault operations on demo data. The side-by-side comparison with sqlite3's
/// plaintext `.import` is scripts/bench-import; this suite tracks regressions.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 5)

    let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../policies/schema.yaml").standardized.path

    Benchmark("import 20,000 demo customers") { benchmark in
        let (vault, admin, directory) = try demoVault(customers: 20_000, schemaPath: schemaPath)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        benchmark.startMeasurement()
        let report = try vault.importCSV(.customers, path: directory + "/demo/customers.csv", session: admin)
        benchmark.stopMeasurement()
        precondition(report.inserted == 20_000)
    }

    // Target: at least 1,000,000 entries per second.
    Benchmark("audit verify 500,000 entries", configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], maxIterations: 5)) { benchmark in
        let (vault, directory, admin) = try vaultWithAuditLog(entries: 500_000, schemaPath: schemaPath)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        benchmark.startMeasurement()
        let result = try vault.verifyAudit(session: admin)
        benchmark.stopMeasurement()
        precondition(result.isIntact && result.entries >= 500_000)
    }

    Benchmark("audited find by email", configuration: .init(maxDuration: .seconds(5), maxIterations: 100_000)) { benchmark in
        let directory = NSTemporaryDirectory() + "coffer-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
        let (vault, token) = try Vault.create(at: directory + "/vault", schema: schema, policyYAML: policyYAML(schemaPath),
                                              protection: .keyFile(path: directory + "/vault.key"))
        let admin = try vault.authenticate(token: token)
        try vault.put(["customer_ref": "C1", "full_name": "Ada Lovelace", "email": "ada@example.com"], session: admin)
        benchmark.startMeasurement()
        // Policy check, blind-index lookup, decrypt, and an audit entry committed with synchronous=FULL.
        for _ in benchmark.scaledIterations {
            blackHole(try vault.find(.email(" Ada@Example.COM "), session: admin, purpose: "operations"))
        }
    }

    // The analyst's scoring run end to end (scripts/bench-score compares it with sqlite3).
    Benchmark("score 20,000 demo customers as an analyst (b2b model)") { benchmark in
        let (vault, admin, directory) = try demoVault(customers: 20_000, schemaPath: schemaPath)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try vault.importCSV(.customers, path: directory + "/demo/customers.csv", session: admin)
        let analyst = try vault.authenticate(token: vault.addUser(name: "bench", role: "analyst", by: admin))
        let qualifier = Qualifier(vault: vault, session: analyst, purpose: "qualification")
        let model = try qualifier.loadModel(path: (schemaPath as NSString).deletingLastPathComponent + "/scoring/b2b.yaml")
        benchmark.startMeasurement()
        let run = try qualifier.score(model)
        try run.qcl.writeCSV(to: directory + "/qcl.csv")
        benchmark.stopMeasurement()
        precondition(run.customers == 20_000)
    }
}

/// A vault whose audit log holds `entries` single-customer read entries.
func vaultWithAuditLog(entries: Int, schemaPath: String) throws -> (Vault, String, Session) {
    let directory = NSTemporaryDirectory() + "coffer-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
    let (vault, token) = try Vault.create(at: directory + "/vault", schema: schema, policyYAML: policyYAML(schemaPath),
                                          protection: .keyFile(path: directory + "/vault.key"))
    try vault.appendSyntheticAuditEntries(entries)
    return (vault, directory, try vault.authenticate(token: token))
}

/// A new vault with `customers` demo customers written to `directory/demo` (not imported).
func demoVault(customers: Int, schemaPath: String) throws -> (Vault, Session, String) {
    let directory = NSTemporaryDirectory() + "coffer-bench-" + UUID().uuidString
    _ = try DemoData.write(customers: customers, seed: 1, to: directory + "/demo")
    let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
    let (vault, token) = try Vault.create(at: directory + "/vault", schema: schema, policyYAML: policyYAML(schemaPath),
                                          protection: .keyFile(path: directory + "/vault.key"))
    return (vault, try vault.authenticate(token: token), directory)
}

func policyYAML(_ schemaPath: String) throws -> String {
    try String(contentsOfFile: (schemaPath as NSString).deletingLastPathComponent + "/roles.yaml", encoding: .utf8)
}
