import Foundation
import Testing

/// A SoftHSM2 token in a test's own directory: its own softhsm2.conf and token store, reached
/// through SOFTHSM2_CONF in the environment of the `coffer` runs (never this process's).
struct SoftHSM {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let util = "/usr/bin/softhsm2-util"
    static var available: Bool {
        FileManager.default.fileExists(atPath: module) && FileManager.default.isExecutableFile(atPath: util)
    }
    static let pin = "4921-user-pin"
    static let soPin = "8812-so-pin"

    let configuration: String
    let tokens: String

    /// A configuration and token directory under `directory`, with one initialized token `label`.
    init(in directory: String, label: String? = "coffer") throws {
        tokens = directory + "/tokens"
        configuration = directory + "/softhsm2.conf"
        try FileManager.default.createDirectory(atPath: tokens, withIntermediateDirectories: true)
        try "directories.tokendir = \(tokens)\nobjectstore.backend = file\nlog.level = ERROR\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        if let label {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.util)
            process.arguments = ["--init-token", "--free", "--label", label, "--so-pin", Self.soPin, "--pin", Self.pin]
            process.environment = ["SOFTHSM2_CONF": configuration, "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "softhsm2-util --init-token failed")
        }
    }
}

@Suite(.enabled(if: SoftHSM.available, "needs SoftHSM2 (scripts/ensure-deps installs softhsm2)"))
struct Pkcs11CLITests {
    /// A CLI whose runs see the token, with the PIN in COFFER_PKCS11_PIN and the module named.
    static func tokenCLI() throws -> (CLI, SoftHSM) {
        let cli = try CLI()
        let hsm = try SoftHSM(in: cli.directory + "/hsm")
        cli.environment["SOFTHSM2_CONF"] = hsm.configuration
        cli.environment["COFFER_PKCS11_MODULE"] = SoftHSM.module
        cli.environment["COFFER_PKCS11_PIN"] = SoftHSM.pin
        cli.environment.removeValue(forKey: "COFFER_KEY_FILE")
        return (cli, hsm)
    }

    static let tokenInit = ["--pkcs11-token", "coffer", "--pkcs11-key", "vault-root"]

    func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    @Test func aTokenVaultLivesWithoutAKeyFile() throws {
        let (cli, _) = try Self.tokenCLI()
        let created = try cli.run(["init", "--json"] + CLI.initArguments + Self.tokenInit)
        #expect(created.status == 0, "\(created.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        #expect(summary["pkcs11_token"] as? String == "coffer")
        #expect(summary["key_file"] == nil)
        let recoveryPath = cli.directory + "/vault.recovery-key"
        #expect(summary["recovery_key"] as? String == recoveryPath)
        cli.environment["COFFER_TOKEN"] = summary["token"] as? String
        // No root key file anywhere; the recovery key is 0600.
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault.key"))
        let mode = try FileManager.default.attributesOfItem(atPath: recoveryPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat Token","email":"pat@example.com"}"#).status == 0)
        let read = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("Pat Token"))
        let rotated = try cli.run(["keys", "rotate"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try cli.run(["keys", "rewrap"]).status == 0)
        let status = try cli.run(["keys", "status", "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(versions.map { $0["state"] as? String } == ["decrypt_only", "active"])
        #expect(versions.last?["customers"] as? Int == 1)
        #expect(try cli.run(["find", "--email", "pat@example.com", "--purpose", "operations"]).stdout.contains("Pat Token"))
        #expect(try cli.run(["audit", "verify"]).status == 0)

        // Neither the PIN nor the recovery key is in the database or any output.
        let database = bytes(cli.directory + "/vault/coffer.sqlite") + bytes(cli.directory + "/vault/coffer.sqlite-wal")
        let recovery = bytes(recoveryPath).suffix(32)
        #expect(recovery.count == 32)
        #expect(database.range(of: recovery) == nil)
        #expect(database.range(of: Data(SoftHSM.pin.utf8)) == nil)
        #expect(!created.stdout.contains(SoftHSM.pin) && !created.stderr.contains(SoftHSM.pin))

        // The PIN from an inherited descriptor works as well as the variable.
        cli.environment.removeValue(forKey: "COFFER_PKCS11_PIN")
        let byFD = try cli.run(["get", "C1", "--purpose", "operations", "--pkcs11-pin-fd", "0"], stdin: SoftHSM.pin + "\n")
        #expect(byFD.status == 0, "\(byFD.stderr)")
        let noPIN = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(noPIN.status == 3)
        #expect(noPIN.stderr == "coffer: error: this vault's root key is protected by a PKCS#11 token; set COFFER_PKCS11_PIN or pass --pkcs11-pin-fd (or open it with --recovery-key)\n")
    }

    @Test func aWrongPINAMissingTokenOrKeyOrABadModuleFailsWithOneLineAndChangesNothing() throws {
        let (cli, hsm) = try Self.tokenCLI()
        // At init: nothing is created.
        cli.environment["COFFER_PKCS11_PIN"] = "0000-wrong"
        let wrongInit = try cli.run(["init"] + CLI.initArguments + Self.tokenInit)
        #expect(wrongInit.status == 3)
        #expect(wrongInit.stderr == "coffer: error: the PKCS#11 token refused the PIN; nothing was changed\n")
        #expect(!wrongInit.stderr.contains("0000-wrong"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault.recovery-key"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault.policies"))
        cli.environment["COFFER_PKCS11_PIN"] = SoftHSM.pin
        let noToken = try cli.run(["init"] + CLI.initArguments + ["--pkcs11-token", "elsewhere"])
        #expect(noToken.status == 3)
        #expect(noToken.stderr == "coffer: error: no PKCS#11 token labelled 'elsewhere' is present; insert the token or check its label; nothing was changed\n")
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault"))
        let badModule = try cli.run(["init", "--pkcs11-module", hsm.configuration] + CLI.initArguments + Self.tokenInit)
        #expect(badModule.status == 3)
        #expect(badModule.stderr.hasPrefix("coffer: error: \(hsm.configuration) is not a PKCS#11 module that can be loaded;"))
        #expect(badModule.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: cli.directory + "/vault"))

        // The vault, then each failure on open: one line, exit 3, the database byte for byte the same.
        try cli.initVault(Self.tokenInit)
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat"}"#).status == 0)
        let database = cli.directory + "/vault/coffer.sqlite"
        #expect(try cli.run(["audit", "verify"]).status == 0)
        let before = bytes(database) + bytes(database + "-wal")
        cli.environment["COFFER_PKCS11_PIN"] = "0000-wrong"
        let wrong = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(wrong.status == 3)
        #expect(wrong.stderr == "coffer: error: the PKCS#11 token refused the PIN; nothing was changed\n")
        let wrongJSON = try cli.run(["get", "C1", "--purpose", "operations", "--json"])
        #expect(wrongJSON.status == 3 && wrongJSON.stderr.contains("\"pkcs11_pin_incorrect\""))
        cli.environment["COFFER_PKCS11_PIN"] = SoftHSM.pin
        let notAModule = try cli.run(["get", "C1", "--purpose", "operations", "--pkcs11-module", "/etc/hostname"])
        #expect(notAModule.status == 3)
        #expect(notAModule.stderr.split(separator: "\n").count == 1)

        // The token gone (an empty token store): missing token; a token without the key: missing key.
        let empty = try SoftHSM(in: cli.directory + "/empty", label: nil)
        cli.environment["SOFTHSM2_CONF"] = empty.configuration
        let missing = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(missing.status == 3)
        #expect(missing.stderr == "coffer: error: no PKCS#11 token labelled 'coffer' is present; insert the token or check its label; nothing was changed\n")
        let other = try SoftHSM(in: cli.directory + "/other")
        cli.environment["SOFTHSM2_CONF"] = other.configuration
        let noKey = try cli.run(["get", "C1", "--purpose", "operations"])
        #expect(noKey.status == 3)
        #expect(noKey.stderr == "coffer: error: the PKCS#11 token holds no AES key labelled 'vault-root'; use the token this vault was created with, or the recovery key; nothing was changed\n")
        #expect(bytes(database) + bytes(database + "-wal") == before)
        cli.environment["SOFTHSM2_CONF"] = hsm.configuration
        #expect(try cli.run(["get", "C1", "--purpose", "operations"]).status == 0)
    }

    @Test func theRecoveryKeyOpensTheVaultWhenTheTokenIsLost() throws {
        let (cli, hsm) = try Self.tokenCLI()
        let recoveryPath = cli.directory + "/offline/recovery.key"
        try FileManager.default.createDirectory(atPath: cli.directory + "/offline", withIntermediateDirectories: true)
        try cli.initVault(Self.tokenInit + ["--recovery-key-out", recoveryPath])
        #expect(try cli.run(["put"], stdin: #"{"customer_ref":"C1","full_name":"Pat Recovered"}"#).status == 0)
        // The token is destroyed.
        try FileManager.default.removeItem(atPath: hsm.tokens)
        try FileManager.default.createDirectory(atPath: hsm.tokens, withIntermediateDirectories: true)
        #expect(try cli.run(["get", "C1", "--purpose", "operations"]).status == 3)
        cli.environment.removeValue(forKey: "COFFER_PKCS11_PIN")
        cli.environment.removeValue(forKey: "COFFER_PKCS11_MODULE")
        let recovered = try cli.run(["get", "C1", "--purpose", "operations", "--recovery-key", recoveryPath])
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stdout.contains("Pat Recovered"))
        // Another vault's recovery key (a well-formed key file) is a wrong key: one line, exit 3.
        let stranger = try CLI()
        try stranger.initVault()
        let wrong = try cli.run(["get", "C1", "--purpose", "operations", "--recovery-key", stranger.directory + "/vault.key"])
        #expect(wrong.status == 3)
        #expect(wrong.stderr == "coffer: error: wrong root key or passphrase for this vault; nothing was changed\n")
        // Token options given to a key-file vault are refused, not ignored.
        let refused = try stranger.run(["keys", "status", "--recovery-key", recoveryPath])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("is not protected by a PKCS#11 token"))
    }

    @Test func theServerOpensATokenVault() throws {
        let (cli, _) = try Self.tokenCLI()
        try cli.initVault(Self.tokenInit)
        let server = try cli.start(["serve", "--listen", "127.0.0.1:0", "--json"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() } }
        let out = (server.standardOutput as! Pipe).fileHandleForReading
        var firstLine = Data()
        while !firstLine.contains(0x0A) {
            let chunk = out.availableData
            if chunk.isEmpty { break }
            firstLine += chunk
        }
        let serving = try #require(try JSONSerialization.jsonObject(with: firstLine) as? [String: Any], "\(String(decoding: firstLine, as: UTF8.self))")
        let url = try #require(serving["url"] as? String)
        for path in ["/healthz", "/readyz"] {
            let (status, _) = try Self.get(url + path)
            #expect(status == 200, "\(path)")
        }
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    /// The status of a plain HTTP/1.1 GET on a loopback URL (`http://127.0.0.1:PORT/path`), over a socket.
    static func get(_ url: String) throws -> (Int, String) {
        let rest = url.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        let path = String(rest.dropFirst(hostPort.count))
        let port = try #require(UInt16(hostPort.split(separator: ":").last ?? ""))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }
}
