import Coffer
import Foundation
import Testing

/// `coffer --version`, the completion scripts and `scripts/install`, run as a user would.
@Suite struct InstallCLITests {
    @Test func versionComesFromOnePlace() throws {
        let cli = try CLI()
        let result = try cli.run(["--version"])
        #expect(result.status == 0 && result.stdout == CofferVersion.string + "\n" && result.stderr.isEmpty)
        #expect(CofferVersion.string.split(separator: ".").count == 3)
    }

    @Test(arguments: ["bash", "zsh", "fish"]) func completionScriptsCoverTheSubcommands(_ shell: String) throws {
        let cli = try CLI()
        let result = try cli.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.stderr)")
        for word in ["coffer", "review", "audit", "month", "outcome", "whoami"] {
            #expect(result.stdout.contains(word), "\(shell): \(word)")
        }
    }

    /// The installer, with the binary the tests run (no release build here) and, when it has
    /// been built beside it (scripts/test builds it), swift-argument-parser's generate-manual.
    @Test func installPutsBinaryCompletionsAndManPageUnderThePrefix() throws {
        let cli = try CLI()
        let manual = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("generate-manual").path
        let hasManual = FileManager.default.isExecutableFile(atPath: manual)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.repositoryRoot + "/scripts/install")
        process.arguments = ["prefix"]
        var environment = cli.environment
        environment["COFFER_BIN"] = CLI.executable
        environment["GENERATE_MANUAL"] = hasManual ? manual : "none"
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: cli.directory)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        let prefix = cli.directory + "/prefix"
        #expect(output.hasPrefix("installed coffer \(CofferVersion.string) in \(prefix)/bin/coffer\n"))
        let files = [
            ("bin/coffer", 0o755), ("share/bash-completion/completions/coffer", 0o644), ("share/zsh/site-functions/_coffer", 0o644),
            ("share/fish/vendor_completions.d/coffer.fish", 0o644),
        ] + (hasManual ? [("share/man/man1/coffer.1", 0o644)] : [])
        for (path, mode) in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: prefix + "/" + path)
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(path)")
        }
        if hasManual {
            let page = try String(contentsOfFile: prefix + "/share/man/man1/coffer.1", encoding: .utf8)
            #expect(page.contains(".Dt COFFER 1") && page.contains("review") && page.contains("Fl -version"))
        } else {
            #expect(output.contains("man page: skipped"))
        }
        let installed = Process()
        installed.executableURL = URL(fileURLWithPath: prefix + "/bin/coffer")
        installed.arguments = ["--version"]
        let version = Pipe()
        installed.standardOutput = version
        try installed.run()
        installed.waitUntilExit()
        #expect(String(decoding: version.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == CofferVersion.string + "\n")
    }
}
