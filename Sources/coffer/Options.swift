import ArgumentParser
import Coffer
import CofferCrypto
import CofferSupport
import Foundation

/// Where the vault is and how to unlock it.
struct VaultOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Vault directory (default: $COFFER_VAULT or ./coffer-vault).", valueName: "dir"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp("Root key file (default: $COFFER_KEY_FILE or <vault>.key next to the vault directory).", valueName: "path"))
    var keyFile: String?

    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this inherited file descriptor to end of file, then close it (default: $COFFER_PASSPHRASE_FD; else $COFFER_PASSPHRASE).", valueName: "fd"))
    var passphraseFd: Int32?

    @Option(name: .long, help: ArgumentHelp("PKCS#11 module of the token that holds the root key's wrapping key (default: $COFFER_PKCS11_MODULE).", valueName: "path"))
    var pkcs11Module: String?

    @Option(name: .long, help: ArgumentHelp("Read the token's user PIN from this inherited file descriptor, then close it (default: $COFFER_PKCS11_PIN).", valueName: "fd"))
    var pkcs11PinFd: Int32?

    @Option(name: .long, help: ArgumentHelp("Open a token vault with its recovery key file instead of the token (when the token is lost).", valueName: "path"))
    var recoveryKey: String?

    var pkcs11ModulePath: String? { pkcs11Module ?? environment("COFFER_PKCS11_MODULE") }

    var vaultPath: String { Self.vaultPath(vault) }

    /// The vault directory: the one given, else $COFFER_VAULT, else ./coffer-vault.
    static func vaultPath(_ given: String?) -> String {
        given ?? environment("COFFER_VAULT") ?? "coffer-vault"
    }

    var keyFilePath: String {
        if let keyFile { return keyFile }
        if let env = environment("COFFER_KEY_FILE") { return env }
        let trimmed = vaultPath.hasSuffix("/") ? String(vaultPath.dropLast()) : vaultPath
        return trimmed + ".key"
    }

    /// Opens the vault with whichever credential it was created with; a one-shot command runs
    /// the vault's work on its own thread (`VaultService.Execution`), a server on the service's.
    func open(execution: VaultService.Execution = .callingThread) async throws(VaultError) -> VaultService {
        let mode = try await VaultService.rootMode(at: vaultPath, execution: .callingThread)
        let passphrase = try takePassphrase()
        let pin = try takePIN()
        if mode == "pkcs11" {
            guard passphrase == nil else {
                throw VaultError.invalidInput("this vault's root key is protected by a PKCS#11 token, not a passphrase; unset COFFER_PASSPHRASE")
            }
            if let recoveryKey {
                guard pin == nil else { throw VaultError.invalidInput("give either --recovery-key or the token's PIN, not both") }
                return try await VaultService.open(at: vaultPath, credentials: RootCredentials(recoveryKeyFile: recoveryKey), execution: execution)
            }
            return try await VaultService.open(at: vaultPath, credentials: RootCredentials(pkcs11Module: pkcs11ModulePath, pkcs11PIN: pin),
                                               execution: execution)
        }
        // Fail closed: token options meant for this vault would be silently unused.
        guard pin == nil, recoveryKey == nil, pkcs11ModulePath == nil else { throw VaultError.pkcs11(.notUsed) }
        if mode == "passphrase" {
            guard let passphrase else { throw .passphraseMissing }
            return try await VaultService.open(at: vaultPath, credentials: RootCredentials(passphrase: passphrase), execution: execution)
        }
        // Fail closed on ambiguity: a passphrase meant for this vault would be silently unused.
        guard passphrase == nil else { throw .passphraseNotUsed }
        return try await VaultService.open(at: vaultPath, credentials: RootCredentials(keyFile: keyFilePath), execution: execution)
    }

    /// The passphrase given, in wiping memory: read from `--passphrase-fd` (or the descriptor
    /// named by COFFER_PASSPHRASE_FD), which is then closed, or else from COFFER_PASSPHRASE. Both
    /// variables are removed from the environment. Giving it both ways is refused (fail closed:
    /// one of them would be silently ignored).
    func takePassphrase() throws(VaultError) -> SecureBytes? {
        let descriptor = passphraseFd.map { String($0) } ?? environment("COFFER_PASSPHRASE_FD")
        unsetenv("COFFER_PASSPHRASE_FD")
        let fromEnvironment = Self.takeEnvironmentPassphrase()
        guard let descriptor else { return fromEnvironment }
        guard fromEnvironment == nil else {
            throw .invalidInput("the passphrase was given twice; set COFFER_PASSPHRASE or pass --passphrase-fd (COFFER_PASSPHRASE_FD), not both")
        }
        guard let fd = Int32(descriptor) else { throw .invalidInput("COFFER_PASSPHRASE_FD must be a file descriptor number") }
        return try PassphraseSource.read(fd: fd)
    }

    /// The token's user PIN, in wiping memory: from `--pkcs11-pin-fd` (then closed) or else
    /// COFFER_PKCS11_PIN (zeroed and removed from the environment); both is refused.
    func takePIN() throws(VaultError) -> SecureBytes? {
        let fromEnvironment = Self.takeSecretVariable("COFFER_PKCS11_PIN")
        guard let pkcs11PinFd else { return fromEnvironment }
        guard fromEnvironment == nil else {
            throw .invalidInput("the PIN was given twice; set COFFER_PKCS11_PIN or pass --pkcs11-pin-fd, not both")
        }
        do {
            return try PassphraseSource.read(fd: pkcs11PinFd)
        } catch .passphraseMissing {
            throw .pkcs11(.pinMissing)
        }
    }

    /// Reads COFFER_PASSPHRASE into wiping memory and removes it from the environment, so
    /// child processes do not inherit it.
    static func takeEnvironmentPassphrase() -> SecureBytes? {
        takeSecretVariable("COFFER_PASSPHRASE")
    }

    /// Copies a secret environment variable into wiping memory, zeroes it in place and removes it.
    static func takeSecretVariable(_ name: String) -> SecureBytes? {
        guard let raw = getenv(name) else { return nil }
        let count = strlen(raw)
        guard count > 0 else { return nil }
        let bytes = SecureBytes(copying: UnsafeRawBufferPointer(start: raw, count: count))
        memset(raw, 0, count)
        unsetenv(name)
        return bytes
    }
}

/// The UTF-8 text of a file the user named (a schema, a policy); one line naming it otherwise,
/// with `remedy` when there is one.
func readTextFile(_ path: String, what: String, remedy: String? = nil) throws(VaultError) -> String {
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw VaultError.invalidInput("cannot read \(what) file \(path)" + (remedy.map { "; \($0)" } ?? ""))
    }
}

/// A schema from its YAML text; `file` names it in errors (with the line).
func loadSchema(yaml: String, file: String) throws(VaultError) -> Schema {
    do { return try Schema.load(yaml: yaml, file: file) } catch { throw VaultError.schema(error) }
}

/// One environment variable, read with getenv: `ProcessInfo.environment` would copy every
/// variable, the passphrase included, into strings that are never wiped.
func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
}

/// Who is acting, and why. Every command but `init` and `demo-data` authenticates.
struct AuthOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("User token (default: $COFFER_TOKEN). Prefer the variable: arguments are visible to other local users.", valueName: "token"))
    var token: String?

    @Option(name: .long, help: ArgumentHelp("Why you are reading (default: $COFFER_PURPOSE; required by roles that list purposes).", valueName: "purpose"))
    var purpose: String?

    @OptionGroup var remote: ServerOptions

    /// Opens the vault and authenticates; a missing or wrong token is one line and exit 3.
    /// Refused (`not_remote`) when a server is named: the caller is the vault here.
    func caller(_ options: VaultOptions) async throws -> (VaultService, Caller) {
        try refuseServer()
        let service = try await options.open()
        let presented = token ?? environment("COFFER_TOKEN")
        unsetenv("COFFER_TOKEN")
        return (service, Caller(session: try await service.authenticate(token: presented), purpose: purpose ?? environment("COFFER_PURPOSE")))
    }
}

extension VaultService {
    /// Performs a bulk request with a progress bar on stderr (when it is a terminal).
    func perform<Request: VaultRequest>(_ request: Request, as caller: Caller, progressLabel: String) async throws -> Request.Response {
        let bar = ProgressBar(progressLabel)
        for try await event in stream(request, as: caller) {
            switch event {
            case let .progress(progress): bar.update(progress)
            case let .finished(response):
                bar.finish()
                return response
            }
        }
        throw VaultError.storage("the request ended without a response")
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Machine-readable JSON on standard output (the output contract: see README); errors as one JSON line on standard error.")
    var json = false

    /// Whether the parsed command (its option groups, however nested) asked for `--json`.
    static func requested(by command: Any, depth: Int = 0) -> Bool {
        guard depth < 6 else { return false }
        for child in Mirror(reflecting: command).children {
            if let options = child.value as? OutputOptions { return options.json }
            if requested(by: child.value, depth: depth + 1) { return true }
        }
        return false
    }

    /// For arguments that did not parse: whether they name `--json` (before a `--`).
    static func requested(in arguments: ArraySlice<String>) -> Bool {
        arguments.prefix { $0 != "--" }.contains("--json")
    }
}

/// Prints `value` as contract JSON on standard output: the one way any command prints JSON
/// (`OutputContract`: snake_case keys, ISO 8601 UTC times, hex digests, numbers as numbers).
func printJSON<T: Encodable>(_ value: T) throws {
    Terminal.out(try OutputContract.encode(value))
}
