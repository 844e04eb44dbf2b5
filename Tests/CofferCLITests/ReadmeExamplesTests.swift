import Coffer
import Foundation
import Testing

/// Every `coffer` example in README.md runs as written, in README order, in one empty
/// directory with only the binary on PATH: the quick start builds the demo vault the later
/// examples use. Placeholders for tokens (`coffer_…`, `<ana's token>`, `<rita>` …) are the
/// tokens the examples' own `init` and `users add` printed. Lines that are not coffer commands
/// (`scripts/…`, `swift …`, benchmarks) are skipped; every other line must exit 0.
@Suite struct ReadmeExamplesTests {
    /// One shell line of a ```sh block (continuation lines joined), with its README line.
    struct Example {
        var line: Int
        var text: String
    }

    static func examples() throws -> [Example] {
        let readme = try String(contentsOfFile: CLI.repositoryRoot + "/README.md", encoding: .utf8)
        var out: [Example] = []
        var inShell = false, inOther = false
        var pending: Example?
        for (i, raw) in readme.components(separatedBy: "\n").enumerated() {
            if raw.hasPrefix("```") {
                if inShell || inOther { inShell = false; inOther = false } else if raw == "```sh" { inShell = true } else { inOther = true }
                continue
            }
            guard inShell else { continue }
            var text = raw
            let continues = text.hasSuffix("\\")
            if continues { text.removeLast() }
            if var p = pending {
                p.text += " " + text.trimmingCharacters(in: .whitespaces)
                pending = continues ? p : nil
                if !continues { out.append(p) }
            } else if continues {
                pending = Example(line: i + 1, text: text)
            } else if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(Example(line: i + 1, text: text))
            }
        }
        return out
    }

    /// Not a coffer example: the repository's scripts, swift, built tools, benchmark settings.
    static func isSkipped(_ text: String) -> Bool {
        let first = text.split(separator: " ").first.map(String.init) ?? ""
        return first.hasPrefix("scripts/") || first == "swift" || first.hasPrefix(".build/") || first.hasPrefix("N=")
    }

    @Test func everyExampleRunsAsWritten() throws {
        let cli = try CLI()
        cli.environment.removeValue(forKey: "COFFER_VAULT")
        cli.environment.removeValue(forKey: "COFFER_KEY_FILE")
        cli.environment.removeValue(forKey: "COFFER_TOKEN")
        // Only the binary on PATH, as a new user would have it; and the source tree's policies/
        // where the README's later sections name them.
        let bin = cli.directory + "/.bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: bin + "/coffer", withDestinationPath: CLI.executable)
        var environment = cli.environment
        environment["PATH"] = bin + ":/usr/bin:/bin"
        var tokens: [String: String] = [:]
        let examples = try Self.examples()
        #expect(examples.count > 40)
        var ran = 0
        for example in examples where !Self.isSkipped(example.text) {
            var text = example.text
            for (placeholder, user) in [("coffer_…", "admin"), ("<ana's token>", "ana"), ("<analyst token>", "ana"),
                                        ("<admin token>", "admin"), ("<rita's token>", "rita"), ("<rita>", "rita"), ("<vera>", "vera")] where text.contains(placeholder) {
                let token = try #require(tokens[user], "README:\(example.line) uses \(placeholder) before the example that creates it")
                text = text.replacingOccurrences(of: placeholder, with: token)
            }
            if text.hasPrefix("export ") {
                let assignment = text.dropFirst("export ".count).split(separator: " ").first.map(String.init) ?? ""
                let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { environment[parts[0]] = parts[1] }
                continue
            }
            if text.contains("policies/"), !FileManager.default.fileExists(atPath: cli.directory + "/policies"),
               !text.contains("coffer-vault.policies/") {
                try FileManager.default.createSymbolicLink(atPath: cli.directory + "/policies", withDestinationPath: CLI.repositoryRoot + "/policies")
            }
            let result = try Self.shell(text, in: cli.directory, environment: environment)
            ran += 1
            #expect(result.status == 0, "README:\(example.line): \(example.text)\nexit \(result.status): \(result.stderr)")
            // The tokens the examples print, for the placeholders of later ones.
            let words = text.split(separator: " ").map(String.init)
            if let c = words.firstIndex(of: "coffer"), c + 1 < words.count {
                let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
                if words[c + 1] == "init" { tokens["admin"] = lastLine }
                if words[c + 1] == "users", c + 3 < words.count, words[c + 2] == "add" { tokens[words[c + 3]] = lastLine }
            }
        }
        #expect(ran > 30)
    }

    static func shell(_ command: String, in directory: String, environment: [String: String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-o", "pipefail", "-c", command]
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = Pending { out.fileHandleForReading.readDataToEndOfFile() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = stdout.wait()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }
}
