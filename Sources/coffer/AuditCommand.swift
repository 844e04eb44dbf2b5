import ArgumentParser
import Coffer
import CofferSupport
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and query the tamper-evident audit log (requires audit_read).",
        subcommands: [Verify.self, Log.self, Checkpoint.self, PublicKey.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every entry's MAC; with --checkpoint also detect a truncated or rewritten tail.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("A signed checkpoint written by `audit checkpoint`.", valueName: "file")) var checkpoint: String?

        func run() async throws {
            let checkpointJSON = try checkpoint.map { path throws(VaultError) in
                guard let data = FileManager.default.contents(atPath: path) else { throw VaultError.invalidInput("cannot read checkpoint \(path)") }
                return data
            }
            let (service, caller) = try await auth.caller(vault)
            let result = try await service.perform(VerifyAudit(checkpointJSON: checkpointJSON), as: caller, progressLabel: "audit verify")
            if output.json { try printJSON(result) } else if result.isIntact {
                Terminal.out("audit log intact: \(result.entries) entries, last seq \(result.lastSeq)"
                             + (checkpoint == nil ? "" : "; checkpoint matches"))
            }
            if !result.isIntact {
                throw ReportedFailure(code: "audit_tampered", message: "audit log tampered: \(result.problem ?? "entry \(result.firstBadSeq ?? 0) is bad")",
                                      exitCode: 6)
            }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit entries, newest first (who read what, when, why).",
            discussion: "Times for --since and --until: \(DateInput.timeForms). A day given to --until is included."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this user.") var actor: String?
        @Option(help: "Only entries touching this customer (a data-subject access request).") var customer: String?
        @Option(help: "Only this action (read, find, write, import, erase, export, ...).") var action: AuditAction?
        @Option(help: "Only this outcome: allowed (shown as ok), denied or failed.") var outcome: OutcomeFilter?
        @Option(help: ArgumentHelp("From this time, included (no zone means UTC; a day means its start).", valueName: "time")) var since: String?
        @Option(help: ArgumentHelp("Up to this time, excluded (no zone means UTC; a day is included whole).", valueName: "time")) var until: String?
        @Option(help: "Only the N newest entries (with --oldest-first, the N oldest).") var limit: Int?
        @Flag(help: "List in log order, oldest first.") var oldestFirst = false

        func run() async throws {
            if let limit, limit < 1 { throw VaultError.invalidInput("--limit \(limit) must be at least 1") }
            let query = AuditQuery(actor: actor, action: action, outcome: outcome?.outcome,
                                   since: try since.map { try time($0, .start, flag: "--since") },
                                   until: try until.map { try time($0, .end, flag: "--until") },
                                   limit: limit, newestFirst: !oldestFirst)
            let (service, caller) = try await auth.caller(vault)
            // About one customer, live or erased: the entries, and the erasure record if there is one.
            var erasure: ErasureRecord?
            let entries: [AuditEntry]
            if let customer {
                let trail = try await service.perform(ReadCustomerAuditTrail(query, reference: customer), as: caller)
                entries = trail.entries
                erasure = trail.erasure
            } else {
                entries = try await service.perform(ReadAuditLog(query), as: caller)
            }
            if output.json { return try printJSON(entries) }
            defer { if let erasure { Terminal.out(erasure.sentence) } }
            let formatter = ISO8601DateFormatter()
            for e in entries {
                var line = "\(e.seq)  \(formatter.string(from: e.time))  \(e.actor) (\(e.role))  \(e.action)  \(e.outcome.rawValue)"
                if !e.purpose.isEmpty { line += "  purpose=\(e.purpose)" }
                if e.customerCount > 0 { line += "  customers=\(e.customerCount)" }
                if !e.fields.isEmpty { line += "  fields=\(e.fields.joined(separator: ","))" }
                if !e.detail.isEmpty { line += "  \(e.detail)" }
                Terminal.out(line)
            }
        }

        func time(_ text: String, _ end: DateInput.End, flag: String) throws(VaultError) -> Date {
            guard let date = DateInput.date(text, end) else {
                throw VaultError.invalidInput("\(flag) '\(text)' is not a time; use \(DateInput.timeForms)")
            }
            return date
        }
    }

    /// What `--outcome` takes: `allowed` is the log's `ok`.
    enum OutcomeFilter: String, ExpressibleByArgument, CaseIterable {
        case allowed, ok, denied, failed

        var outcome: AuditEntry.Outcome {
            switch self {
            case .allowed, .ok: .ok
            case .denied: .denied
            case .failed: .failed
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an Ed25519-signed checkpoint of the chain head (seq, MAC, time).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions
        @Option(help: ArgumentHelp("Where to write the checkpoint.", valueName: "file")) var out: String

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let checkpoint = try await service.perform(WriteAuditCheckpoint(), as: caller)
            // The file keeps its own (signed, long-lived) format, which `audit verify --checkpoint` reads.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            guard FileManager.default.createFile(atPath: out, contents: try encoder.encode(checkpoint)) else {
                throw VaultError.invalidInput("cannot write \(out)")
            }
            if output.json {
                struct Summary: Encodable { var seq: Int64; var mac: String; var time: String; var out: String }
                return try printJSON(Summary(seq: checkpoint.seq, mac: checkpoint.mac,
                                             time: OutputContract.timestamp(milliseconds: checkpoint.timeMilliseconds), out: out))
            }
            Terminal.out("checkpoint at seq \(checkpoint.seq) written to \(out)")
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "public-key", abstract: "Print the PEM public key that verifies checkpoints offline.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var auth: AuthOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (service, caller) = try await auth.caller(vault)
            let pem = try await service.perform(SigningPublicKey(), as: caller)
            if output.json {
                struct Key: Encodable { var publicKeyPem: String }
                return try printJSON(Key(publicKeyPem: pem))
            }
            Terminal.out(pem, terminator: "")
        }
    }
}

extension AuditAction: ExpressibleByArgument {}

extension ErasureRecord {
    /// "customer 12 was erased on … by admin (admin) for data_subject_request (audit entry 345)".
    var sentence: String {
        "customer \(customerID) was erased on \(erasedAt) by \(actor) (\(role))" + (purpose.isEmpty ? "" : " for \(purpose)")
            + " (audit entry \(auditEntry)); its data is gone"
    }
}
