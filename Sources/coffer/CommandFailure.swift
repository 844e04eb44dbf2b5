import ArgumentParser
import Coffer
import CofferReview
import CofferServer
import CofferSupport

/// The one place where an error becomes what a person reads and the exit code a script sees.
///
/// | exit | meaning |
/// |---|---|
/// | 0 | done |
/// | 2 | done, but an import rejected rows (the report, text or JSON, lists them) |
/// | 1 | failed: bad input, a file that cannot be read or written, a damaged vault, storage |
/// | 3 | locked: no or wrong root key, passphrase or token |
/// | 4 | not found (or not permitted to know) |
/// | 5 | not permitted |
/// | 6 | the audit log is tampered |
/// | 64 | usage: the arguments do not parse (the argument parser's own) |
enum CommandFailure {
    /// Set once the arguments are parsed: the command asked for `--json`, so errors are written
    /// as one `ErrorBody` line on stderr instead of `coffer: error: …`.
    nonisolated(unsafe) static var jsonMode = false

    /// Prints `error` as one line on stderr (text, or an `ErrorBody` in JSON mode) and returns
    /// what the process exits with: the same code in both modes. Errors this tool does not know
    /// may carry anything, so only their type is named.
    static func report(_ error: any Error) -> any Error {
        switch error {
        case let error as VaultError:
            return fail(code: error.code, message: error.commandLineMessage, exitCode: error.exitCode)
        case let error as ReviewError:
            return fail(code: error.code, message: error.commandLineMessage, exitCode: error.exitCode)
        case let error as ReportedFailure:
            return fail(code: error.code, message: error.message, exitCode: error.exitCode)
        case let error as PolicyFileError:
            return fail(code: "invalid_definition", message: error.description, exitCode: 1)
        case let error as ServerConfigurationError:
            return fail(code: "invalid_server_configuration", message: error.description, exitCode: 64)
        case let error as CSVError:
            // Paths and errno texts only (no CSV contents): safe to show, and what the user must fix.
            return fail(code: "file_unreadable", message: error.description, exitCode: 1)
        case let error as ValidationError:
            // Usage (64): the parser prints it in text mode, with the command's usage line.
            guard jsonMode else { return error }
            return fail(code: "usage", message: error.message, exitCode: ExitCode.validationFailure.rawValue)
        case is ExitCode, is CleanExit:
            return error
        // The parser's own (help, usage): its `exit(withError:)` prints them. Matched by module,
        // as the type (CommandError) is internal to swift-argument-parser.
        case _ where String(reflecting: type(of: error)).hasPrefix("ArgumentParser."):
            return error
        default:
            return fail(code: "unexpected", message: "unexpected \(type(of: error)); nothing more is shown in case it holds data", exitCode: 1)
        }
    }

    /// One line on stderr, then the exit code.
    private static func fail(code: String, message: String, exitCode: Int32) -> ExitCode {
        if jsonMode, let line = try? OutputContract.encode(ErrorBody(code: code, message: message, exitCode: exitCode), pretty: false) {
            Terminal.note(line)
        } else {
            Terminal.error(message)
        }
        return ExitCode(exitCode)
    }

    /// A parse error (or `--help`) when the arguments asked for `--json`: usage errors become an
    /// `ErrorBody` with code `usage` (exit 64); help and version stay the parser's own text.
    static func reportParseError(_ error: any Error, command: CofferCommand.Type) -> Never {
        let exitCode = command.exitCode(for: error)
        guard jsonMode, exitCode != .success else { command.exit(withError: error) }
        let message = command.message(for: error).split(separator: "\n").first.map(String.init) ?? "the arguments do not parse"
        command.exit(withError: fail(code: "usage", message: message, exitCode: exitCode.rawValue))
    }
}

/// A failure a command reports itself (not a library error): a tampered log found by
/// `audit verify`, a tampered review package, an erasure not confirmed. Printed and mapped to
/// its exit code by `CommandFailure` like every other error.
struct ReportedFailure: Error {
    var code: String
    var message: String
    var exitCode: Int32
}

extension VaultError {
    /// The library's message with its remedy in this tool's terms: the flag, variable or
    /// command to use.
    var commandLineMessage: String {
        switch self {
        case let .vaultNotFound(path):
            "no vault at \(path); create one with `coffer init --vault \(path)` or set COFFER_VAULT"
        case let .vaultAlreadyExists(path):
            "a vault already exists at \(path); choose another --vault directory"
        case let .keyFileMissing(path):
            "root key file \(path) not found; pass --key-file or set COFFER_KEY_FILE to the file `coffer init` created"
        case let .keyFileExists(path):
            "root key file \(path) already exists; refusing to overwrite a key (choose another --key-file)"
        case let .keyFileTooOpen(path, mode):
            "root key file \(path) has mode \(mode), readable or writable by others; run `chmod 600 \(path)` and check who copied it"
        case .passphraseMissing:
            "this vault is protected by a passphrase; set COFFER_PASSPHRASE or pass --passphrase-fd"
        case let .passphraseTooShort(minimum):
            "the passphrase is shorter than \(minimum) characters; choose a longer passphrase"
        case .passphraseNotUsed:
            "this vault uses a root key file, not a passphrase; unset COFFER_PASSPHRASE and pass --key-file"
        case .keyFileNotUsed:
            "this vault is protected by a passphrase, not a key file; set COFFER_PASSPHRASE or pass --passphrase-fd"
        case .pkcs11(.moduleMissing):
            "this vault's root key is protected by a PKCS#11 token; pass --pkcs11-module or set COFFER_PKCS11_MODULE (or open it with --recovery-key)"
        case .pkcs11(.pinMissing):
            "this vault's root key is protected by a PKCS#11 token; set COFFER_PKCS11_PIN or pass --pkcs11-pin-fd (or open it with --recovery-key)"
        case .pkcs11(.notUsed):
            "this vault's root key is not protected by a PKCS#11 token; leave out --pkcs11-module, --pkcs11-pin-fd, --recovery-key and COFFER_PKCS11_PIN"
        case let .outputIsDirectory(path):
            "\(path) is a directory; --out names the CSV file to write"
        case let .keyVersionUnknown(version):
            "no key version \(version); see `coffer keys status`"
        case let .keyVersionInUse(version, customers):
            "key version \(version) still protects \(customers) customer(s); run `coffer keys rewrap` first"
        case let .keyVersionActive(version):
            "key version \(version) is the active version; run `coffer keys rotate` first"
        case let .keyUsageExhausted(version, limit):
            "key version \(version) has wrapped its limit of \(limit) data keys; run `coffer keys rotate`"
        case let .auditTampered(problem):
            "the audit log is tampered (\(problem)); nothing was written: run `coffer audit verify` and investigate before exporting"
        case .notAuthenticated:
            "not authenticated: set COFFER_TOKEN (or pass --token) to a valid, unrevoked user token"
        case let .purposeRequired(purposes):
            purposes.isEmpty
                ? "state why: pass --purpose (or set COFFER_PURPOSE)"
                : "this role must state a purpose: pass --purpose (or set COFFER_PURPOSE) with one of \(purposes.joined(separator: ", "))"
        case .reindexRequired:
            "the phone index of this vault predates E.164 normalization, so a phone lookup could miss; an administrator must run `coffer reindex` first"
        case .confirmationRequired:
            "erasing a customer cannot be undone: pass --yes to confirm (standard input is not a terminal, so coffer cannot ask)"
        case let .purposeNotAllowed(allowed):
            "the purpose given (--purpose or COFFER_PURPOSE) is not one this role may use; use one of \(allowed.joined(separator: ", "))"
        case .keysChanged:
            "the active key version changed while this command ran (another `coffer keys` command); nothing from this batch was written, run the command again"
        case .noOutcomes:
            "no customer has an imported outcome; import won/lost outcomes first (coffer import outcomes FILE)"
        case .checkpointBlocked:
            "the change is committed, but another process is reading the vault, so superseded pages (which may hold destroyed keys) are still in the write-ahead log; stop other coffer processes and run the command again"
        default:
            description
        }
    }
}

extension ReviewError {
    /// Bad input (1); a period given by a wrong combination of flags (--month with --from,
    /// one of --from/--to alone, none) is usage (64); or the vault error's own code.
    var exitCode: Int32 {
        switch self {
        case let .vault(error): error.exitCode
        case .monthWithDays, .periodMissing, .dayMissing: 64
        default: 1
        }
    }

    /// The library's message naming the `coffer review export` flag that gives each value.
    var commandLineMessage: String {
        if case let .vault(error) = self { return error.commandLineMessage }
        return message(naming: .init(day: \.flag, setting: \.flag, packageDirectory: { "--out \($0)" }, month: "--month"))
    }
}

extension ReviewPeriod.Bound {
    /// The `coffer review export` option that gives this day.
    var flag: String {
        switch self {
        case .first: "--from"
        case .last: "--to"
        }
    }
}

extension ReviewSettings.Setting {
    /// The `coffer review export` option that sets this threshold.
    var flag: String {
        switch self {
        case .rotationPeriodDays: "--rotation-days"
        case .inactiveDays: "--inactive-days"
        case .workHours: "--work-hours"
        case .bulkReadMinimum: "--bulk-read-min"
        case .baselineDays: "--baseline-days"
        case .volumeFactor: "--volume-factor"
        case .minimumDailyReads: "--min-daily-reads"
        case .denialThreshold: "--denials"
        case .denialWindowMinutes: "--denial-window"
        }
    }
}
