import Coffer
import CofferSupport

/// A record of processing activities (GDPR art. 30 style), generated from the vault's schema
/// and the role policy in force: which data categories are held, who may process them for what
/// purpose and in what form, how long they are kept, and the technical measures protecting them.
/// Generated, so it cannot drift from what the vault actually enforces.
public struct ProcessingRecord: Sendable, Equatable, Codable {
    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var type: String
        public var required: Bool
        public var blindIndexed: Bool
    }

    /// Fields of one classification.
    public struct Category: Sendable, Equatable, Codable {
        public var classification: String
        public var meaning: String
        public var fields: [Field]
    }

    /// One role: what it may do, for which purposes, and how it sees each category.
    public struct Recipient: Sendable, Equatable, Codable {
        public var role: String
        public var actions: [String]
        /// Nil: the role names no purpose (it may not read customer data, or needs none).
        public var purposes: [String]?
        /// Classification -> "field: view" for every field the role sees in some form.
        public var access: [String: [String]]
    }

    public struct Measure: Sendable, Equatable, Codable {
        public var name: String
        public var description: String
    }

    public var generatedAt: String
    public var vaultID: String
    public var schemaDigest: String
    public var policyDigest: String
    public var categories: [Category]
    public var recipients: [Recipient]
    public var purposes: [String]
    public var retention: [String]
    public var measures: [Measure]

    static let meanings: [Classification: String] = [
        .identifier: "identifies a person directly",
        .quasiIdentifier: "identifies a person in combination with other data",
        .sensitive: "harmful if disclosed",
        .attribute: "business data that names no one",
    ]

    static func make(schema: Schema, policy: Policy, vaultID: String, kekVersions: Int, activeKEK: UInt32, auditEntries: Int64,
                     generatedAt: String) -> ProcessingRecord {
        let categories = Classification.allCases.map { classification in
            Category(classification: classification.rawValue, meaning: meanings[classification] ?? "",
                     fields: schema.fields.filter { $0.classification == classification }.map {
                         Field(name: $0.name, type: $0.type.rawValue, required: $0.required, blindIndexed: $0.blindIndex)
                     })
        }.filter { !$0.fields.isEmpty }
        var pseudonymized: [String] = [], generalized: [String] = [], masked: [String] = []
        let recipients = policy.roleNames.compactMap { policy[$0] }.map { role -> Recipient in
            var access: [String: [String]] = [:]
            for field in schema.fields {
                let view = role.view(of: field.name)
                guard view != .redacted else { continue }
                access[field.classification.rawValue, default: []].append("\(field.name): \(view)")
                switch view {
                case .pseudonym: pseudonymized.append("\(field.name) (\(role.name))")
                case .generalized: generalized.append("\(field.name) (\(role.name))")
                case .masked: masked.append("\(field.name) (\(role.name))")
                default: break
                }
            }
            return Recipient(role: role.name, actions: role.actions.map(\.rawValue).sorted(), purposes: role.purposes, access: access)
        }
        let indexed = schema.fields.filter(\.blindIndex).map(\.name)
        func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: ", ") }
        let measures = [
            Measure(name: "Encryption at rest",
                    description: "Every field, order and outcome is sealed with AES-256-GCM under the customer's own random 256-bit data key; data keys are wrapped by key-encryption keys (\(kekVersions) usable version\(kekVersions == 1 ? "" : "s"), v\(activeKEK) active), sealed under a root key kept outside the database. Ciphertexts are bound to their customer and field."),
            Measure(name: "Erasure", description: "Erasing a customer destroys its data key, fields, orders, outcome and index entries (crypto-shredding)."),
            Measure(name: "Pseudonymization", description: "Keyed HMAC tokens per domain, unlinkable across domains: \(list(pseudonymized))."),
            Measure(name: "Generalization and masking", description: "Generalized: \(list(generalized)). Masked: \(list(masked))."),
            Measure(name: "Exact-match lookups", description: "HMAC-SHA256 blind indexes over normalized values, per-field keys: \(list(indexed))."),
            Measure(name: "Access control", description: "\(policy.roleNames.count) roles; fields a role does not name are redacted and never decrypted; actions not listed are refused; purposes required where the policy names them. Users authenticate with one-time tokens stored as hashes."),
            Measure(name: "Audit", description: "Every read, write, export, re-identification, denial and administrative change is recorded (\(auditEntries) entries so far) in an append-only log chained by HMAC-SHA256, with Ed25519-signed checkpoints and signed review packages."),
        ]
        return ProcessingRecord(
            generatedAt: generatedAt, vaultID: vaultID, schemaDigest: schema.digest, policyDigest: policy.digest,
            categories: categories, recipients: recipients,
            purposes: Array(Set(policy.roles.values.flatMap { $0.purposes ?? [] })).sorted(),
            retention: [
                "Customer records are kept until erased on request (`coffer erase`); this vault configures no automatic expiry.",
                "Audit entries are kept for the life of the vault: the log is append-only and tamper-evident.",
                "Backups taken before an erasure still hold the erased customer's wrapped data key until the KEK that wraps it is retired.",
            ],
            measures: measures)
    }

    /// The record as Markdown text.
    public var markdown: String {
        var lines = ["# Record of processing activities", "",
                     "Generated \(generatedAt) from vault \(vaultID.prefix(12)) (schema \(schemaDigest.prefix(12)), policy \(policyDigest.prefix(12))).", "",
                     "## Categories of personal data", ""]
        for category in categories {
            lines.append("- **\(category.classification)** (\(category.meaning)): " + category.fields.map { field in
                field.name + (field.blindIndexed ? " [indexed]" : "")
            }.joined(separator: ", "))
        }
        lines += ["", "## Recipients (roles), purposes and access", ""]
        for recipient in recipients {
            lines.append("- **\(recipient.role)**: actions \(recipient.actions.joined(separator: ", ")); purposes \(recipient.purposes?.joined(separator: ", ") ?? "none named")")
            for (classification, fields) in recipient.access.sorted(by: { $0.key < $1.key }) {
                lines.append("  - \(classification): \(fields.joined(separator: ", "))")
            }
        }
        lines += ["", "## Purposes", "", purposes.joined(separator: ", "), "", "## Retention", ""] + retention.map { "- \($0)" }
        lines += ["", "## Technical and organisational measures", ""] + measures.map { "- **\($0.name)**: \($0.description)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The record as a self-contained HTML page.
    public var html: String {
        var page = HTMLDocument(title: "Record of processing activities",
                                subtitle: "Generated \(generatedAt) from vault \(vaultID.prefix(12)); schema \(schemaDigest.prefix(12)), policy \(policyDigest.prefix(12))")
        page.heading("Categories of personal data")
        page.table(headers: ["classification", "meaning", "fields"],
                   rows: categories.map { [$0.classification, $0.meaning, $0.fields.map(\.name).joined(separator: ", ")] })
        page.heading("Recipients (roles), purposes and access")
        page.table(headers: ["role", "actions", "purposes", "access by classification"],
                   rows: recipients.map { r in
                       [r.role, r.actions.joined(separator: ", "), r.purposes?.joined(separator: ", ") ?? "none named",
                        r.access.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; ")]
                   })
        page.heading("Retention")
        page.list(retention)
        page.heading("Technical and organisational measures")
        page.table(headers: ["measure", "description"], rows: measures.map { [$0.name, $0.description] })
        return page.render()
    }
}
