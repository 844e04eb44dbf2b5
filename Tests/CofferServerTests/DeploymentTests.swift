import Foundation
import Testing

/// `deploy/coffer.service` as systemd reads it (DECISIONS: "The systemd unit is checked with
/// systemd-analyze verify where available"), and the hardening the README promises.
@Suite struct DeploymentTests {
    static let repositoryRoot: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.path
    }()

    static let unitPath = repositoryRoot + "/deploy/coffer.service"

    static let systemdAnalyze: String? = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func settings(_ unit: String) -> [(key: String, value: String)] {
        unit.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix("["), let equals = trimmed.firstIndex(of: "=") else { return nil }
            return (String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...]))
        }
    }

    @Test func theUnitHasTheHardeningTheREADMEPromises() throws {
        let settings = Self.settings(try String(contentsOfFile: Self.unitPath, encoding: .utf8))
        func value(_ key: String) -> [String] { settings.filter { $0.key == key }.map(\.value) }
        #expect(value("User") == ["coffer"])
        #expect(value("DynamicUser").isEmpty)
        #expect(value("ProtectSystem") == ["strict"])
        #expect(value("NoNewPrivileges") == ["yes"])
        #expect(value("PrivateTmp") == ["yes"])
        #expect(value("ProtectHome") == ["yes"])
        #expect(value("StateDirectory") == ["coffer"])
        #expect(value("StateDirectoryMode") == ["0700"])
        #expect(value("ReadWritePaths") == ["/var/lib/coffer"])
        #expect(value("CapabilityBoundingSet") == [""])
        #expect(value("RestrictAddressFamilies") == ["AF_INET AF_INET6 AF_UNIX"])
        #expect(value("MemoryDenyWriteExecute") == ["yes"])
        #expect(value("LoadCredential").contains("root.key:/etc/coffer/root.key"))
        #expect(value("Environment").contains("COFFER_KEY_FILE=%d/root.key"))
        #expect(value("EnvironmentFile") == ["-/etc/coffer/coffer.env"])
        #expect(value("ExecStart").allSatisfy { $0.hasPrefix("/usr/local/bin/coffer serve") })
    }

    /// systemd-analyze checks every directive and value. It also insists that ExecStart's binary
    /// exists, so a copy of the unit names the `coffer` just built instead of /usr/local/bin/coffer
    /// (the only change).
    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed on this machine: the unit is not verified"))
    func systemdAnalyzeVerifiesTheUnit() throws {
        let analyze = try #require(Self.systemdAnalyze)
        let binary = Self.repositoryRoot + "/.build/debug/coffer"
        let built = FileManager.default.isExecutableFile(atPath: binary) ? binary : "/bin/true"
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        let directory = NSTemporaryDirectory() + "coffer-unit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = directory + "/coffer.service"
        try unit.replacingOccurrences(of: "ExecStart=/usr/local/bin/coffer", with: "ExecStart=" + built)
            .write(toFile: copy, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify", "--man=no", copy]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "systemd-analyze verify: \(text)")
        // Warnings about other units on this machine are not ours; none may name this one.
        let ours = text.split(separator: "\n").filter { $0.contains("coffer.service") }
        #expect(ours.isEmpty, "systemd-analyze verify: \(ours.joined(separator: "\n"))")
    }
}
