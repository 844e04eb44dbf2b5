import Coffer
import Foundation
import Testing

/// Runs the built `coffer` executable in a scratch directory, as a user would.
final class CLI {
    let directory: String
    var environment: [String: String]

    static let executable: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("coffer").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/coffer").path
    }()

    static let repositoryRoot: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.path
    }()

    init() throws {
        directory = NSTemporaryDirectory() + "coffer-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["COFFER_VAULT"] = directory + "/vault"
        env["COFFER_KEY_FILE"] = directory + "/vault.key"
        env.removeValue(forKey: "COFFER_PASSPHRASE")
        env["CI"] = "true"
        environment = env
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `coffer ARGS` to completion.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = try start(arguments, stdin: stdin)
        let out = process.standardOutput as! Pipe, err = process.standardError as! Pipe
        // Drain both pipes concurrently to avoid a full-pipe deadlock.
        let stdout = Pending { out.fileHandleForReading.readDataToEndOfFile() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = stdout.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `coffer ARGS` without waiting (for kill -9 tests).
    func start(_ arguments: [String], stdin: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        return process
    }

    /// `coffer init` with the shipped schema and policy; the admin token goes into COFFER_TOKEN.
    func initVault(_ extra: [String] = []) throws {
        let result = try run(["init", "--json"] + Self.initArguments + extra)
        precondition(result.status == 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        environment["COFFER_TOKEN"] = summary["token"] as? String
    }

    static var initArguments: [String] {
        ["--schema", repositoryRoot + "/policies/schema.yaml", "--policy", repositoryRoot + "/policies/roles.yaml"]
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// The one-time token a `--json` run of `init`, `users add`, `reinstate` or `reset-token` printed.
func token(_ result: CLI.Result) throws -> String {
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    return try #require(json["token"] as? String)
}

/// A `--json` run's output, parsed.
func json(_ result: CLI.Result) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
}

extension CLI {
    /// A vault (no customers) with an auditor `rita` and an analyst `ana`; the admin token is in
    /// COFFER_TOKEN.
    static func withAuditorAndAnalyst() throws -> (cli: CLI, admin: String, auditor: String, analyst: String) {
        let cli = try CLI()
        try cli.initVault()
        let admin = try #require(cli.environment["COFFER_TOKEN"])
        let auditor = try token(try cli.run(["users", "add", "rita", "--role", "auditor", "--json"]))
        let analyst = try token(try cli.run(["users", "add", "ana", "--role", "analyst", "--json"]))
        return (cli, admin, auditor, analyst)
    }
}
