import CofferCrypto
import Foundation

/// Customers handed to another team: re-identified references and the fields that team's role sees.
public struct Handoff: Sendable {
    /// The receiving role's visible fields, in schema order (`customer_ref` first).
    public var fields: [String]
    /// Per pseudonym found: the values of `fields` as the receiving role sees them ("" when absent).
    public var rows: [String: [String]]
}

extension Vault {
    /// Turns `customer_ref` pseudonyms of `domain` back into customers as `role` (e.g. sales)
    /// would see them: the hand-off of qualified customers. Requires `reidentify`; one audit
    /// entry names the customers and fields released, committed before anything is returned.
    /// `tiers` (what was handed, e.g. "A") is logged only where it looks like a tier name: the
    /// log never takes free text from a file or an argument.
    package func handoff(_ tokens: [String], domain: String, to roleName: String, session: Session, purpose: String? = nil,
                        tiers: [String] = []) throws(VaultError) -> Handoff {
        try authorize(session, .reidentify, action: .handoff, purpose: purpose)
        guard let target = policy[roleName] else {
            throw .unknownRole(roleName, known: policy.roleNames)
        }
        let domains = policy.referencePseudonymDomains
        guard domains.contains(domain) else {
            throw .unknownPseudonymDomain(known: domains)
        }
        let reference = schema.index(of: Schema.referenceField)!
        let visible = schema.fields.indices.filter { $0 != reference && target.view(of: schema.fields[$0].name) != .redacted }
        // References plain (to compute tokens), the rest through the receiving role's views.
        let scanRole = RolePolicy(name: target.name, actions: [], purposes: nil, fieldNames: schema.fieldNames,
                                  fieldViews: schema.fields.indices.map { i in i == reference ? .plain : target.view(of: schema.fields[i].name) })
        let wanted = Set(tokens)
        var rows: [String: [String]] = [:]
        var ids: [Int64] = []
        do {
            let pseudonymizer = try CryptoWorker(keyRing: keyRing).pseudonymizer()
            try scanViews(role: scanRole, positions: [reference] + visible) { batchIDs, batch in
                for (i, values) in batch.enumerated() {
                    guard let ref = values[0] else { continue }
                    let token = try pseudonymizer.token(domain: domain, field: Schema.referenceField, value: ref)
                    guard wanted.contains(token) else { continue }
                    rows[token] = values.map { $0 ?? "" }
                    ids.append(batchIDs[i])
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(wrapping: error)
        }
        let fields = [Schema.referenceField] + visible.map { schema.fields[$0].name }
        try audit(.user(session), .handoff, purpose: purpose, fields: fields,
                  customers: CustomerIDSet(ids.sorted()),
                  detail: "\(rows.count) of \(wanted.count) pseudonyms (domain \(domain)) handed to role \(target.name)"
                      + (tiers.isEmpty ? "" : "; tiers " + Set(tiers).sorted().map(Self.loggableTier).joined(separator: ",")))
        return Handoff(fields: fields, rows: rows)
    }

    /// A tier name as the audit log records it: short ASCII letters, digits, `_` and `-` ("A",
    /// "B2"); anything else is `<other>`.
    static func loggableTier(_ name: String) -> String {
        name.count <= 32 && !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
            ? name : "<other>"
    }
}
