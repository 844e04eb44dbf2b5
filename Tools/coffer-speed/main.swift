@_spi(Benchmarks) import Coffer
import CofferCrypto
import CofferReview
import Foundation

// Usage: coffer-speed [seconds] [bytes] [threads]     sealing throughput, ops/s as JSON
//        coffer-speed audit-verify ENTRIES SCHEMA.yaml  audit verify entries/s
//        coffer-speed lookup COUNT SCHEMA.yaml          audited lookup latency (median, p90)
//        coffer-speed review-export ENTRIES SCHEMA.yaml [RUNS]
//                                                       review package export entries/s and peak RSS:
//                                                       an ENTRIES-entry log spread over 90 days, then
//                                                       RUNS exports of those 90 days, each in a fresh
//                                                       process (its own peak RSS), and the package check
// Sealing: `bytes`-byte values in the vault's stored format (fresh random nonce, AAD binding
// record and field, 16-byte tag) for `seconds` on `threads` threads.
let arguments = CommandLine.arguments

/// A fresh vault in a temporary directory (schema and roles.yaml from `schemaPath`'s folder),
/// removed afterwards. The three-argument `body` also gets the scratch directory.
func withScratchVault(schemaPath: String, _ body: (Vault, Session) throws -> Void) throws {
    try withScratchVault(schemaPath: schemaPath) { vault, session, _ in try body(vault, session) }
}

func withScratchVault(schemaPath: String, _ body: (Vault, Session, String) throws -> Void) throws {
    let directory = NSTemporaryDirectory() + "coffer-speed-" + UUID().uuidString
    // COFFER_SPEED_KEEP=1 keeps the scratch vault (to profile `review-export-run DIR` on it).
    let keep = ProcessInfo.processInfo.environment["COFFER_SPEED_KEEP"] == "1"
    defer { if keep { FileHandle.standardError.write(Data("kept \(directory)\n".utf8)) } else { try? FileManager.default.removeItem(atPath: directory) } }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let schema = try Schema.load(yaml: String(contentsOfFile: schemaPath, encoding: .utf8), file: schemaPath)
    let policyPath = (schemaPath as NSString).deletingLastPathComponent + "/roles.yaml"
    let (vault, token) = try Vault.create(at: directory + "/vault", schema: schema, policyYAML: String(contentsOfFile: policyPath, encoding: .utf8),
                                          protection: .keyFile(path: directory + "/vault.key"))
    try body(vault, try vault.authenticate(token: token), directory)
}

/// Peak resident set size of this process, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_maxrss) / 1024
}

/// One export of the last 90 days from an existing vault, in this (fresh) process.
func reviewExportRun(directory: String) throws {
    let vault = try Vault.open(at: directory + "/vault", credentials: RootCredentials(keyFile: directory + "/vault.key"))
    // The auditor's token: from the parent, or saved beside a kept scratch vault.
    let token = ProcessInfo.processInfo.environment["COFFER_TOKEN"]
        ?? (try? String(contentsOfFile: directory + "/auditor.token", encoding: .utf8))
    let session = try vault.authenticate(token: token)
    let out = directory + "/package"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let today = CivilDate.today
    let start = Date()
    let result = try vault.exportReviewPackage(period: ReviewPeriod(from: today.adding(days: -90), to: today), to: out, session: session)
    let elapsed = Date().timeIntervalSince(start)
    let rss = peakRSSMegabytes()
    let verifyStart = Date()
    let check = ReviewPackage.verify(directory: out, publicKeyPEM: try vault.signingPublicKeyPEM(session: session))
    precondition(check.isValid, "\(check.problems)")
    let verifySeconds = Date().timeIntervalSince(verifyStart)
    let bytes = result.manifest.files.reduce(0) { $0 + $1.bytes }
    print(#"{"entries": \#(result.entries), "seconds": \#(String(format: "%.3f", elapsed)), "entries_per_second": \#(Int(Double(result.entries) / elapsed)), "peak_rss_mb": \#(String(format: "%.1f", rss)), "package_mb": \#(bytes / 1_000_000), "verify_seconds": \#(String(format: "%.3f", verifySeconds))}"#)
}

func sealSpeed(seconds: Double, bytes: Int, threads: Int) throws {
    let key = try SymmetricKey.random()
    let start = Date()
    // One lane per thread asked for, each sealing on its own cipher until the deadline.
    let counts = ForkJoin.chunks(threads, contexts: Array(0..<threads), minimumChunk: 1) { _, thread in
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
        return done
    }
    let total = counts.reduce(0, +)
    let elapsed = Date().timeIntervalSince(start)
    print(#"{"bytes": \#(bytes), "threads": \#(threads), "seconds": \#(String(format: "%.2f", elapsed)), "ops_per_second": \#(Int(Double(total) / elapsed))}"#)
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
} else if arguments.count > 2, arguments[1] == "review-export-run" {
    try reviewExportRun(directory: arguments[2])
} else if arguments.count > 3, arguments[1] == "review-export", let entries = Int(arguments[2]) {
    let runs = arguments.count > 4 ? Int(arguments[4]) ?? 3 : 3
    try withScratchVault(schemaPath: arguments[3]) { vault, admin, directory in
        let auditor = try vault.addUser(name: "rita", role: "auditor", by: admin)
        if ProcessInfo.processInfo.environment["COFFER_SPEED_KEEP"] == "1" {
            _ = FileManager.default.createFile(atPath: directory + "/auditor.token", contents: Data(auditor.utf8), attributes: [.posixPermissions: 0o600])
        }
        let start = Date()
        try vault.appendSyntheticAuditEntries(entries, spanningDays: 90)
        FileHandle.standardError.write(Data("built \(entries) entries in \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n".utf8))
        var rates: [Int] = []
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["review-export-run", directory]
            var environment = ProcessInfo.processInfo.environment
            environment["COFFER_TOKEN"] = auditor
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "the export run failed")
            let line = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            print(line)
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            rates.append(object["entries_per_second"] as! Int)
        }
        print(#"{"runs": \#(runs), "median_entries_per_second": \#(rates.sorted()[rates.count / 2])}"#)
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
