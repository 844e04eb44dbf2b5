@_spi(Benchmarks) import Coffer
import CofferCrypto
import Foundation

// Usage: coffer-speed [seconds] [bytes] [threads]     sealing throughput, ops/s as JSON
//        coffer-speed audit-verify ENTRIES SCHEMA.yaml  audit verify entries/s
//        coffer-speed lookup COUNT SCHEMA.yaml          audited lookup latency (median, p90)
// Sealing: `bytes`-byte values in the vault's stored format (fresh random nonce, AAD binding
// record and field, 16-byte tag) for `seconds` on `threads` threads.
let arguments = CommandLine.arguments

/// A fresh vault in a temporary directory (schema and roles.yaml from `schemaPath`'s folder),
/// removed afterwards.
func withScratchVault(schemaPath: String, _ body: (Vault, Session) throws -> Void) throws {
    let directory = NSTemporaryDirectory() + "coffer-speed-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
    let policyPath = (schemaPath as NSString).deletingLastPathComponent + "/roles.yaml"
    let (vault, token) = try Vault.create(at: directory + "/vault", schema: schema, policyYAML: String(contentsOfFile: policyPath, encoding: .utf8),
                                          protection: .keyFile(path: directory + "/vault.key"))
    try body(vault, try vault.authenticate(token: token))
}

final class Counter: @unchecked Sendable {
    let lock = NSLock()
    var total = 0
    func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
}

func sealSpeed(seconds: Double, bytes: Int, threads: Int) throws {
    let key = try SymmetricKey.random()
    let counter = Counter()
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        let cipher = try! AES256GCM(key: key)
        let nonces = NonceSource()
        let plaintext = [UInt8](repeating: 0x61, count: bytes)
        let context = SealContext(kind: .field, recordID: Int64(thread), name: "notes")
        var done = 0
        let deadline = Date().addingTimeInterval(seconds)
        plaintext.withUnsafeBytes { p in
            while true {
                for _ in 0..<4096 {
                    let sealed = try! SealedBox.seal(p, keyVersion: 1, context: context, cipher: cipher, nonces: nonces)
                    precondition(sealed.count == bytes + SealedBox.overhead)
                }
                done += 4096
                if Date() >= deadline { break }
            }
        }
        counter.add(done)
    }
    let elapsed = Date().timeIntervalSince(start)
    print(#"{"bytes": \#(bytes), "threads": \#(threads), "seconds": \#(String(format: "%.2f", elapsed)), "ops_per_second": \#(Int(Double(counter.total) / elapsed))}"#)
}

if arguments.count > 3, arguments[1] == "lookup", let count = Int(arguments[2]) {
    // Audited lookups by email: policy check, blind index, decrypt, audit commit (synchronous=FULL).
    try withScratchVault(schemaPath: arguments[3]) { vault, admin in
        try vault.put(["customer_ref": "C1", "full_name": "Ada Lovelace", "email": "ada@example.com"], session: admin)
        var samples: [Double] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            let found = try vault.find(.email(" Ada@Example.COM "), session: admin, purpose: "operations")
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            precondition(found.count == 1)
        }
        samples.sort()
        print(#"{"lookups": \#(count), "median_ms": \#(String(format: "%.3f", samples[count / 2])), "p90_ms": \#(String(format: "%.3f", samples[count * 9 / 10]))}"#)
    }
} else if arguments.count > 3, arguments[1] == "audit-verify", let entries = Int(arguments[2]) {
    try withScratchVault(schemaPath: arguments[3]) { vault, auditor in
        try vault.appendSyntheticAuditEntries(entries)
        _ = try vault.verifyAudit(session: auditor)
        let start = Date()
        let result = try vault.verifyAudit(session: auditor)
        let elapsed = Date().timeIntervalSince(start)
        precondition(result.isIntact)
        print(#"{"entries": \#(result.entries), "seconds": \#(String(format: "%.3f", elapsed)), "entries_per_second": \#(Int(Double(result.entries) / elapsed))}"#)
    }
} else {
    try sealSpeed(seconds: arguments.count > 1 ? Double(arguments[1]) ?? 3 : 3,
                  bytes: arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64,
                  threads: arguments.count > 3 ? Int(arguments[3]) ?? 1 : 1)
}
