import Coffer
import CofferSupport
import Foundation

/// One row of a QCL read back from the CSV that `QualifiedCustomerList.writeCSV` wrote: the
/// columns a hand-off carries to the receiving team.
public struct QCLFileRow: Sendable, Equatable {
    public var pseudonym: String
    public var tier: String
    public var score: String
    public var nextAction: String
    public var recontactMonth: String
}

/// Qualified customers handed to another team: the chosen tiers of a QCL, re-identified, with
/// the fields the receiving role sees and the QCL's tier, score and next steps.
public enum QCLHandoff {
    /// The columns the hand-off file adds after the receiving role's fields.
    public static let qclColumns: [QualifiedCustomerList.Column] = [.tier, .score, .nextAction, .recontactMonth]

    /// What a hand-off wrote.
    public struct Result: Sendable, Equatable {
        /// Customers written to the file.
        public var handed: Int
        /// Rows of the chosen tiers in the QCL; more than `handed` when some pseudonyms no longer
        /// match a customer (erased, or from another domain).
        public var chosen: Int
    }

    /// Re-identifies the rows of `qcl` (read from `qclPath` with `read`) in `tiers` as `role`
    /// sees them (`Vault.handoff`: requires reidentify, one audit entry) and writes them to `out`
    /// (CSV, mode 0600). `domain` defaults to the policy's only `customer_ref` pseudonym domain.
    /// Nothing is read from the vault if the QCL has no row in those tiers.
    package static func run(vault: Vault, session: Session, purpose: String?, qcl rows: [QCLFileRow], from qclPath: String,
                           tiers: [String], role: String, domain: String?, out: String) throws -> Result {
        guard !tiers.isEmpty else { throw VaultError.invalidInput("name at least one tier to hand off") }
        let chosen = rows.filter { tiers.contains($0.tier) }
        guard !chosen.isEmpty else {
            throw VaultError.invalidInput("\(qclPath): no rows in tier \(tiers.joined(separator: ", ")); tiers present: \(Set(rows.map(\.tier)).sorted().joined(separator: ", "))")
        }
        let domain = try domain ?? onlyDomain(vault.policy)
        try vault.checkOutputFile(out, input: qclPath)
        let handoff = try vault.handoff(chosen.map(\.pseudonym), domain: domain, to: role, session: session, purpose: purpose,
                                        tiers: chosen.map(\.tier))
        let writer: CSVWriter
        do { writer = try CSVWriter(path: out) } catch { throw VaultError.file(error) }
        var handed = 0
        do {
            try writer.write(handoff.fields + qclColumns.map(\.rawValue))
            for row in chosen {
                guard let values = handoff.rows[row.pseudonym] else { continue }
                try writer.write(values + [row.tier, row.score, row.nextAction, row.recontactMonth])
                handed += 1
            }
            try writer.close()
        } catch {
            try? FileManager.default.removeItem(atPath: out)
            throw VaultError.file(error)
        }
        return Result(handed: handed, chosen: chosen.count)
    }

    /// The policy's only `customer_ref` pseudonym domain.
    static func onlyDomain(_ policy: Policy) throws(VaultError) -> String {
        let domains = policy.referencePseudonymDomains
        guard domains.count == 1, let domain = domains.first else {
            throw .invalidInput("the policy has \(domains.count) customer_ref pseudonym domains; name the QCL's domain")
        }
        return domain
    }

    /// The rows of a QCL CSV; one error naming the file and line for anything that is not one.
    public static func read(_ path: String) throws(VaultError) -> [QCLFileRow] {
        do {
            let reader = try CSVReader(path: path)
            guard let header = try reader.next() else { throw VaultError.invalidInput("\(path): empty file; expected a QCL written by coffer score") }
            func column(_ column: QualifiedCustomerList.Column) throws(VaultError) -> Int {
                guard let i = header.fields.firstIndex(of: column.rawValue) else {
                    throw .invalidInput("\(path):1: no '\(column.rawValue)' column; expected a QCL written by coffer score as CSV")
                }
                return i
            }
            let p = try column(.pseudonym), t = try column(.tier), s = try column(.score)
            let a = try column(.nextAction), r = try column(.recontactMonth)
            var rows: [QCLFileRow] = []
            while let record = try reader.next() {
                if let problem = record.problem { throw VaultError.invalidInput("\(path):\(record.line): \(problem)") }
                guard record.fields.count == header.fields.count else {
                    throw VaultError.invalidInput("\(path):\(record.line): \(record.fields.count) fields, the header has \(header.fields.count)")
                }
                let token = record.fields[p]
                guard token.hasPrefix("ps_") else {
                    throw VaultError.invalidInput("\(path):\(record.line): the pseudonym column does not hold a pseudonym (ps_...)")
                }
                rows.append(QCLFileRow(pseudonym: token, tier: record.fields[t], score: record.fields[s], nextAction: record.fields[a],
                                       recontactMonth: record.fields[r]))
            }
            return rows
        } catch {
            throw VaultError(wrapping: error)
        }
    }
}
