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
        let passphrase = Self.takePassphrase()
        if mode == "passphrase" {
            guard let passphrase else { throw .passphraseMissing }
            return try await VaultService.open(at: vaultPath, credentials: RootCredentials(passphrase: passphrase), execution: execution)
        }
        // Fail closed on ambiguity: a passphrase meant for this vault would be silently unused.
        guard passphrase == nil else { throw .passphraseNotUsed }
        return try await VaultService.open(at: vaultPath, credentials: RootCredentials(keyFile: keyFilePath), execution: execution)
    }

    /// Reads COFFER_PASSPHRASE into wiping memory and removes it from the environment, so
    /// child processes do not inherit it.
    static func takePassphrase() -> SecureBytes? {
        guard let raw = getenv("COFFER_PASSPHRASE") else { return nil }
        let count = strlen(raw)
        guard count > 0 else { return nil }
        let bytes = SecureBytes(copying: UnsafeRawBufferPointer(start: raw, count: count))
        memset(raw, 0, count)
        unsetenv("COFFER_PASSPHRASE")
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

    /// Opens the vault and authenticates; a missing or wrong token is one line and exit 3.
    func caller(_ options: VaultOptions) async throws(VaultError) -> (VaultService, Caller) {
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
