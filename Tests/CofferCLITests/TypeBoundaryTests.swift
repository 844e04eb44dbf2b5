import Foundation
import Testing

/// The qualification engine cannot see plaintext records: this is checked by compiling small
/// programs against the built modules. A control program that scores a `ScoringRow` must
/// compile; programs that hand the engine a `CustomerView` (what `get` returns, plaintext for
/// an admin) or forge a `ScoringRow` / `ViewedValue` must be rejected by the type checker.
@Suite struct TypeBoundaryTests {
    /// `swiftc -typecheck` of `source` against the package's built modules.
    func typecheck(_ source: String) throws -> (status: Int32, errors: String) {
        let directory = NSTemporaryDirectory() + "coffer-boundary-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/main.swift"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let modules = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("Modules").path
        var arguments = ["-typecheck", "-I", modules, "-I", CLI.repositoryRoot + "/Sources/COpenSSL",
                         // The PKCS#11 types (Coffer's token code), and where their header is (p11-kit's pkg-config directory).
                         "-I", CLI.repositoryRoot + "/Sources/CPKCS11", "-Xcc", "-I/usr/include/p11-kit-1"]
        // The C modules of the dependencies (SQLite for GRDB, libyaml for Yams...), from the
        // build directory the tests run from (`.build`, or another `--scratch-path`).
        let checkouts = Self.checkouts
        if let walker = FileManager.default.enumerator(atPath: checkouts) {
            for case let path as String in walker where path.hasSuffix("/module.modulemap")
                && !path.contains("SQLCipher") && !path.contains("SQLiteCustom") && !path.contains("/Support/") {
                arguments += ["-I", checkouts + "/" + (path as NSString).deletingLastPathComponent]
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swiftc"] + arguments + [file]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `checkouts` of the scratch directory that holds the built executable.
    static let checkouts: String = {
        var directory = URL(fileURLWithPath: CLI.executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("checkouts").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return CLI.repositoryRoot + "/.build/checkouts"
    }()

    @Test func theEngineScoresViewRowsOnly() throws {
        let control = try typecheck("""
            import Coffer
            import Qualification
            func tier(_ engine: ScoringEngine, _ row: ScoringRow) -> String { engine.score(row).tier }
            """)
        #expect(control.status == 0, "the control program must compile: \(control.errors)")

        let plaintext = try typecheck("""
            import Coffer
            import Qualification
            func tier(_ engine: ScoringEngine, _ view: CustomerView) -> String { engine.score(view).tier }
            """)
        #expect(plaintext.status != 0)
        #expect(plaintext.errors.contains("cannot convert value of type 'CustomerView' to expected argument type 'ScoringRow'"))
    }

    @Test func viewRowsCannotBeForgedOutsideTheVault() throws {
        let forged = try typecheck("""
            import Coffer
            let row = ScoringRow(reference: nil, values: [])
            let value = ViewedValue(form: .plain, label: "Ada Lovelace")
            """)
        #expect(forged.status != 0)
        #expect(forged.errors.contains("'ScoringRow' initializer is inaccessible due to '@_spi' protection level"))
        #expect(forged.errors.contains("'ViewedValue' initializer is inaccessible due to '@_spi' protection level"))
    }
}
