import Foundation
import Testing

/// The output contract (README, "Output contract"), checked mechanically on every command run
/// with `--json` through the real binary against a small demo vault.
@Suite struct OutputContractCLITests {
    // MARK: The contract, as checks on a parsed JSON value

    static let key = try! NSRegularExpression(pattern: "^[a-z][a-z0-9_]*$")
    static let timeLike = try! NSRegularExpression(pattern: "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}")
    static let contractTime = try! NSRegularExpression(pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$")
    static let date = try! NSRegularExpression(pattern: "^\\d{4}-\\d{2}-\\d{2}$")
    static let numeric = try! NSRegularExpression(pattern: "^-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?$")

    /// Values that are strings by nature although they may look numeric, by the path's end:
    /// a model's version (`1`, `1.2`), a postal code, an attribute value's label in ICP cells
    /// (a category, band or pseudonym as the role sees it).
    static let numericStringsAllowed = [".version", ".model_version", ".postal_code", ".cells[].value"]

    static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Every way `value` breaks the contract, by path.
    static func violations(_ value: Any, at path: String = "") -> [String] {
        var found: [String] = []
        switch value {
        case let object as [String: Any]:
            for (name, child) in object {
                if !matches(key, name) { found.append("\(path).\(name): key is not snake_case") }
                if name.hasSuffix("_ms") || name.hasSuffix("_milliseconds") { found.append("\(path).\(name): an epoch time instead of ISO 8601") }
                if name.hasSuffix("_at"), !(child is String) { found.append("\(path).\(name): a time that is not an ISO 8601 string") }
                found += violations(child, at: "\(path).\(name)")
            }
        case let array as [Any]:
            let small = array.compactMap { $0 as? NSNumber }.filter { $0.doubleValue >= 0 && $0.doubleValue <= 255 && $0.doubleValue.rounded() == $0.doubleValue }
            if array.count == 32, small.count == 32 { found.append("\(path): 32 small integers (a digest or MAC as bytes, not hex)") }
            for child in array { found += violations(child, at: "\(path)[]") }
        case let text as String:
            if matches(timeLike, text), !matches(contractTime, text) { found.append("\(path): time '\(text)' is not ISO 8601 UTC with milliseconds") }
            if matches(numeric, text), !numericStringsAllowed.contains(where: { path.hasSuffix($0) }) {
                found.append("\(path): number '\(text)' as a string")
            }
        default:
            break
        }
        return found
    }

    /// Parses a `--json` run's standard output and checks it; returns the value.
    @discardableResult
    static func check(_ result: CLI.Result, _ arguments: [String], status: Int32 = 0) throws -> Any {
        #expect(result.status == status, "\(arguments): exit \(result.status), \(result.stderr)")
        let value = try #require(try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed]),
                                 "\(arguments): not JSON: \(result.stdout.prefix(200))")
        #expect(value is [String: Any] || value is [Any], "\(arguments): an object or an array")
        let problems = violations(value)
        #expect(problems.isEmpty, "\(arguments): \(problems.prefix(10))")
        return value
    }

    /// A failure in JSON mode: one line on stderr, an `ErrorBody` with the exit code it exits with.
    static func checkError(_ result: CLI.Result, _ arguments: [String], status: Int32, code: String) throws {
        #expect(result.status == status, "\(arguments): exit \(result.status), \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(result.stderr)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any], "\(arguments): \(result.stderr)")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? String == code && error["exit_code"] as? Int == Int(status), "\(arguments): \(error)")
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(violations(body).isEmpty)
    }

    // MARK: Every command

    /// The leaf commands of the binary, from the argument parser's own description of itself
    /// (`--experimental-dump-help`), so a new command cannot be left out of the run below; and
    /// the ones that do not declare `--json`.
    static func leafCommands(_ cli: CLI) throws -> (all: Set<String>, withoutJSON: [String]) {
        let dump = try cli.run(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var all: Set<String> = [], withoutJSON: [String] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let subcommands = (command["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            if subcommands.isEmpty {
                all.insert(path.joined(separator: " "))
                let names = (command["arguments"] as? [[String: Any]] ?? []).flatMap { ($0["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                if !names.contains("json") { withoutJSON.append(path.joined(separator: " ")) }
            }
            for sub in subcommands { walk(sub, path + [sub["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return (all, withoutJSON)
    }

    @Test func everyCommandSpeaksTheContract() throws {
        let (cli, admin, auditor, analyst) = try CLI.withAuditorAndAnalyst()
        let root = CLI.repositoryRoot
        var covered: Set<String> = []

        /// Runs `coffer ARGS --json` as `token` and checks it; the command's words are covered.
        @discardableResult
        func run(_ arguments: [String], as token: String? = nil, stdin: String? = nil, status: Int32 = 0) throws -> Any {
            covered.insert(arguments.prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.contains(".") && !$0.hasPrefix("CUS-") }
                .prefix(2).joined(separator: " "))
            cli.environment["COFFER_TOKEN"] = token ?? admin
            defer { cli.environment["COFFER_TOKEN"] = admin }
            return try Self.check(try cli.run(arguments + ["--json"], stdin: stdin), arguments, status: status)
        }
        @discardableResult
        func file(_ name: String) throws -> Any {
            let data = try #require(FileManager.default.contents(atPath: cli.directory + "/" + name), "\(name)")
            let value = try JSONSerialization.jsonObject(with: data)
            #expect(Self.violations(value).isEmpty, "\(name): \(Self.violations(value).prefix(10))")
            return value
        }

        // A vault of its own for init (the shared one exists), with the built-in files.
        try run(["init", "--vault", cli.directory + "/second", "--key-file", cli.directory + "/second.key"])
        let demo = try #require(try run(["demo-data", "--customers", "200", "--seed", "1", "--out", "demo"]) as? [String: Any])
        #expect(demo["out"] as? String == "demo" && (demo["files"] as? [String])?.count == 3)
        try run(["import", "customers", "demo/customers.csv"])
        try run(["import", "orders", "demo/orders.csv"])
        try run(["import", "outcomes", "demo/outcomes.csv"])
        // Rows rejected: exit 2 in both modes, the report on stdout.
        let bad = try cli.write("bad.csv", "customer_ref,email,birth_date\nCUS-B1,not-an-email,not-a-date\n")
        let rejected = try #require(try run(["import", "customers", bad], status: 2) as? [String: Any])
        let rejections = try #require(rejected["rejections"] as? [[String: Any]])
        #expect((rejections.first?["reasons"] as? [String])?.count == 2, "\(rejections)")
        #expect(try cli.run(["import", "customers", bad]).status == 2)

        let one = try #require(try run(["get", "CUS-0000001", "--purpose", "operations"]) as? [String: Any])
        #expect((one["fields"] as? [String: Any])?["customer_ref"] as? String == "CUS-0000001")
        let email = try #require((one["fields"] as? [String: Any])?["email"] as? String)
        let found = try #require(try run(["find", "--email", email, "--purpose", "operations"]) as? [Any])
        #expect(found.count == 1, "one match is an array of one")
        try run(["put"], stdin: #"{"customer_ref":"CUS-C1","full_name":"Ada Contract","email":"ada@contract.example","company_size":12}"#)
        try run(["reindex"])

        try run(["keys", "status"])
        try run(["keys", "rotate"])
        try run(["keys", "rewrap"])
        try run(["keys", "retire", "1"])

        let sam = try run(["users", "add", "sam", "--role", "support"])
        #expect((sam as? [String: Any])?["token"] is String)
        try run(["users", "list"])
        try run(["users", "set-role", "sam", "--role", "sales"])
        try run(["users", "revoke", "sam"])
        try run(["users", "reinstate", "sam"])
        let samToken = try #require((try run(["users", "reset-token", "sam"]) as? [String: Any])?["token"] as? String)
        try run(["users", "rotate-token"], as: samToken)
        try run(["whoami"], as: analyst)

        try run(["policy", "check", root + "/policies/roles.yaml"])
        try run(["policy", "apply", root + "/policies/roles.yaml"])
        try run(["policy", "show"])
        try run(["policy", "explain", "--role", "support", "--customer", "CUS-0000001", "--purpose", "operations"])

        try run(["export", "view", "--out", "view.csv", "--purpose", "qualification"], as: analyst)
        try run(["privacy", "check", "--purpose", "qualification"], as: analyst)
        let b2b = root + "/policies/scoring/b2b.yaml"
        let scored = try #require(try run(["score", "--model", b2b, "--out", "qcl.csv", "--quality", "quality.json", "--purpose", "qualification"], as: analyst)
            as? [String: Any])
        try file("quality.json")
        try run(["score", "--model", root + "/policies/scoring/b2c.yaml", "--out", "qcl.json", "--purpose", "qualification"], as: analyst)
        let qcl = try #require(try file("qcl.json") as? [String: Any])
        #expect((qcl["rows"] as? [[String: Any]])?.allSatisfy { $0["reasons"] is [String] } == true)
        let tier = try #require((scored["tiers"] as? [[String: Any]])?.first { ($0["customers"] as? Int ?? 0) > 0 && $0["tier"] as? String != "disqualified" }?["tier"] as? String)
        try run(["qcl", "handoff", "qcl.csv", "--tier", tier, "--out", "handoff.csv", "--purpose", "operations"])
        let pseudonyms = try String(contentsOfFile: cli.directory + "/qcl.csv", encoding: .utf8).split(separator: "\n").dropFirst().prefix(3)
            .map { String($0.split(separator: ",").first ?? "") }
        let list = try cli.write("pseudonyms.txt", pseudonyms.joined(separator: "\n") + "\n")
        try run(["reidentify", "--domain", "analytics", list, "--purpose", "operations"])
        try run(["icp", "--segment", "won", "--purpose", "qualification"], as: analyst)
        try run(["calibrate", "--model", b2b, "--purpose", "qualification"], as: analyst)

        try run(["erase", "CUS-0000002", "--yes", "--purpose", "data_subject_request", "--report", "subject.json"])
        try file("subject.json")
        try run(["review", "subject", "CUS-0000001", "--purpose", "data_subject_request"])

        try run(["audit", "verify"])
        let entries = try #require(try run(["audit", "log", "--limit", "20"]) as? [[String: Any]])
        #expect(entries.allSatisfy { ($0["mac"] as? String)?.count == 64 })
        try run(["audit", "log", "--customer", "CUS-0000002", "--purpose", "data_subject_request"])
        try run(["audit", "checkpoint", "--out", "checkpoint.json"])
        let key = try #require(try run(["audit", "public-key"], as: auditor) as? [String: Any])
        _ = try cli.write("review.pem", try #require(key["public_key_pem"] as? String))
        try run(["review", "export", "--from", "today", "--to", "today", "--out", "review"], as: auditor)
        try run(["review", "verify", "review", "--public-key", "review.pem"])
        try run(["review", "processing-record"], as: auditor)

        // The server prints where it listens as one JSON line, then stops on SIGTERM.
        covered.insert("serve")
        let server = try cli.start(["serve", "--listen", "127.0.0.1:0", "--json"])
        let out = (server.standardOutput as! Pipe).fileHandleForReading
        var firstLine = Data()
        while !firstLine.contains(0x0A) {
            let chunk = out.availableData
            if chunk.isEmpty { break }
            firstLine += chunk
        }
        let serving = try #require(try JSONSerialization.jsonObject(with: firstLine) as? [String: Any])
        #expect(Self.violations(serving).isEmpty)
        #expect((serving["url"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        // Every command of the binary was run above, and every one takes --json.
        let leaves = try Self.leafCommands(cli)
        #expect(leaves.withoutJSON.isEmpty, "commands without --json: \(leaves.withoutJSON)")
        #expect(covered == leaves.all, "not run: \(leaves.all.subtracting(covered).sorted()); unknown: \(covered.subtracting(leaves.all).sorted())")
    }

    @Test func failuresExitTheSameInBothModesWithOneErrorBody() throws {
        let (cli, _, _, analyst) = try CLI.withAuditorAndAnalyst()
        _ = try cli.run(["put"], stdin: #"{"customer_ref":"CUS-F1","full_name":"Ada","email":"ada@example.com"}"#)
        let cases: [(arguments: [String], status: Int32, code: String)] = [
            (["find", "--email", "nobody@example.com", "--purpose", "operations"], 4, "no_match"),
            (["get", "CUS-NONE", "--purpose", "operations"], 4, "customer_not_found"),
            (["keys", "retire", "9"], 1, "key_version_unknown"),
            (["get", "CUS-F1"], 5, "purpose_required"),
            (["review", "export", "--from", "2020-01-01", "--out", "r"], 64, "day_missing"),
            (["users", "add", "x", "--role", "nope"], 1, "unknown_role"),
            (["find", "--email", "a@b.example", "--phone", "1"], 64, "usage"),
        ]
        for (arguments, status, code) in cases {
            let text = try cli.run(arguments)
            #expect(text.status == status, "\(arguments): \(text.stderr)")
            #expect(text.stderr.hasPrefix("coffer: error: ") || status == 64, "\(arguments): \(text.stderr)")
            let json = try cli.run(arguments + ["--json"])
            #expect(json.stdout.isEmpty, "\(arguments): \(json.stdout)")
            try Self.checkError(json, arguments, status: status, code: code)
        }
        // Not authenticated (3), and not permitted (5) as the analyst.
        cli.environment["COFFER_TOKEN"] = "coffer_wrong"
        try Self.checkError(try cli.run(["whoami", "--json"]), ["whoami"], status: 3, code: "not_authenticated")
        cli.environment["COFFER_TOKEN"] = analyst
        try Self.checkError(try cli.run(["keys", "status", "--json"]), ["keys", "status"], status: 5, code: "not_permitted")
    }

    @Test func theCheckerCatchesWhatTheContractForbids() {
        #expect(!Self.violations(["createdAt": "2026-12-02T18:35:12.000Z"]).isEmpty)
        #expect(!Self.violations(["created_at": 1_796_236_909]).isEmpty)
        #expect(!Self.violations(["time": "2026-12-02T18:35:12Z"]).isEmpty, "no milliseconds")
        #expect(!Self.violations(["time": "2026-12-02T18:35:12.000+01:00"]).isEmpty)
        #expect(!Self.violations(["mac": Array(repeating: 7, count: 32)]).isEmpty)
        #expect(!Self.violations(["score": "71.5"]).isEmpty)
        #expect(Self.violations(["model_version": "1", "postal_code": "10115", "day": "2026-12-02", "time": "2026-12-02T18:35:12.345Z",
                                 "customers": Array(1...31), "nested": [["a_b2": ["k": true]]]]).isEmpty)
    }
}
