import CofferCrypto
import CofferSupport
import Foundation

/// What `privacy check` found about the quasi-identifiers of a role's view.
public struct PrivacyReport: Sendable, Equatable, Codable {
    public var role: String
    public var k: Int
    /// Quasi-identifiers as the role sees them (redacted ones are not part of a class).
    public var quasiIdentifiers: [String]
    public var customers: Int
    public var equivalenceClasses: Int
    /// Size of the smallest class (0 when there are no customers).
    public var smallestClass: Int
    /// Customers in classes smaller than k: the ones at risk of re-identification.
    public var customersInSmallClasses: Int
    public var classesSmallerThanK: Int
}

/// Where an export's CSV goes: a file (mode 0600 from creation, the output checks), or a
/// `ByteSink` (an HTTP response), named for messages.
public enum ExportDestination: Sendable {
    case file(String)
    case sink(any ByteSink, name: String)
}

extension Vault {
    /// Customers per parallel decrypt batch in bulk scans.
    static let scanBatchSize = 2_000

    /// Decrypts and renders `positions` (schema positions) of every customer through `role`'s
    /// views, batch by batch in id order, in parallel; only those fields are ever decrypted.
    /// `body` gets each batch's internal ids and rendered values (nil: absent or redacted).
    func scanViews(role: RolePolicy, positions: [Int], _ body: ([Int64], [[String?]]) throws -> Void) throws {
        try scanViews(role: role, positions: positions, transform: { $0 }, body)
    }

    /// `scanViews` with a per-row `transform` that runs on the worker threads too (e.g. CSV encoding).
    func scanViews<Output>(role: RolePolicy, positions: [Int], upTo lastID: Int64 = .max, transform: @escaping @Sendable ([String?]) throws -> Output,
                           _ body: ([Int64], [Output]) throws -> Void) throws {
        let projection = RoleProjection(schema: schema, role: role, positions: positions)
        try scanCustomers(upTo: lastID, transform: { customer, _, worker in
            try transform(projection.labels(of: customer, pseudonymizer: worker.pseudonymizer()))
        }, body)
    }

    /// Every customer id, as a compact set (what a bulk read's audit entry records).
    func allCustomerIDs() throws(VaultError) -> CustomerIDSet {
        try store.read { tx in try tx.customerIDs() }
    }

    /// The role whose view a bulk operation produces: the caller's own, or (for users who may
    /// manage users, i.e. administrators simulating a policy) another one.
    private func targetRole(_ name: String?, session: Session, action: Action, actionName: AuditAction, purpose: String?) throws(VaultError) -> RolePolicy {
        let own = try authorize(session, action, action: actionName, purpose: purpose)
        guard let name, name != session.role else { return own }
        guard own.allows(.manageUsers) else {
            try audit(.user(session), actionName, purpose: purpose, outcome: .denied,
                      detail: "view of another role (\(name))")
            throw .notPermitted("only administrators may produce another role's view")
        }
        guard let other = policy[name] else { throw .unknownRole(name, known: policy.roleNames) }
        return other
    }

    /// Streams exactly what `role` sees of every customer to a CSV file (mode 0600): one column
    /// per visible field, in schema order. One audit entry (a bulk read of every customer, with
    /// the fields) is committed before the first row is written. Returns the number of rows.
    @discardableResult
    package func exportView(role name: String? = nil, to path: String, session: Session, purpose: String? = nil,
                           progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> Int {
        try exportView(role: name, to: .file(path), session: session, purpose: purpose, progress: progress)
    }

    /// `exportView` to a file (its checks, mode 0600 from creation, removed on failure) or to a
    /// byte sink (an HTTP response): one export, two adapters. Refusals come before the audit
    /// entry and the entry before the first byte, whichever the destination.
    @discardableResult
    package func exportView(role name: String? = nil, to destination: ExportDestination, session: Session, purpose: String? = nil,
                           progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> Int {
        let role = try targetRole(name, session: session, action: .export, actionName: .export, purpose: purpose)
        let positions = schema.fields.indices.filter { role.view(of: schema.fields[$0].name) != .redacted }
        if case let .file(path) = destination { try checkOutputFile(path) }
        let ids = try allCustomerIDs()
        let lastID = ids.last ?? 0
        try audit(.user(session), .export, purpose: purpose,
                  fields: positions.map { schema.fields[$0].name }, customers: ids, detail: "view of role \(role.name)")
        let writer: CSVWriter
        let path: String?
        switch destination {
        case let .file(file):
            do { writer = try CSVWriter(path: file) } catch { throw .file(error) }
            path = file
        case let .sink(sink, name):
            writer = CSVWriter(sink: sink, name: name)
            path = nil
        }
        // From here on the file is ours: on failure it is removed rather than left half-written.
        do {
            try writer.write(positions.map { schema.fields[$0].name })
            var written = 0
            // Rows are CSV-encoded on the worker threads; this thread only appends bytes.
            try scanViews(role: role, positions: positions, upTo: lastID, transform: { values -> [UInt8] in
                var line: [UInt8] = []
                CSVWriter.encodeRow(values.map { $0 ?? "" }, to: &line)
                return line
            }) { _, lines in
                var block: [UInt8] = []
                block.reserveCapacity(lines.reduce(0) { $0 + $1.count })
                for line in lines { block.append(contentsOf: line) }
                try writer.write(encoded: block)
                written += lines.count
                progress?(WorkProgress(completed: written, total: Int(ids.count), unit: "customers"))
            }
            try writer.close()
            return written
        } catch let error as CSVError {
            if let path { try? FileManager.default.removeItem(atPath: path) }
            throw .file(error)
        } catch {
            if let path { try? FileManager.default.removeItem(atPath: path) }
            throw VaultError(wrapping: error)
        }
    }

    /// Maps pseudonyms of `customer_ref` in `domain` back to customer references (requires
    /// `reidentify`; audited with the count and the customers re-identified). Unknown tokens
    /// map to nil.
    package func reidentify(_ tokens: [String], domain: String, session: Session, purpose: String? = nil) throws(VaultError) -> [String: String] {
        try authorize(session, .reidentify, action: .reidentify, purpose: purpose)
        let domains = Set(policy.roles.values.flatMap { role in
            schema.fields.compactMap { if case let .pseudonym(domain) = role.view(of: $0.name) { domain } else { nil } }
        })
        guard domains.contains(domain) else {
            throw .unknownPseudonymDomain(known: domains.sorted())
        }
        let wanted = Set(tokens)
        let reference = schema.index(of: Schema.referenceField)!
        // A role that sees every field plain, so the scan yields the references themselves.
        let plainRole = RolePolicy(name: "reidentify", actions: [], purposes: nil, fieldNames: schema.fieldNames,
                                   fieldViews: schema.fields.map { _ in .plain })
        var found: [String: String] = [:]
        var ids: [Int64] = []
        do {
            let pseudonymizer = try CryptoWorker(keyRing: keyRing).pseudonymizer()
            try scanViews(role: plainRole, positions: [reference]) { batchIDs, rows in
                for (i, row) in rows.enumerated() {
                    guard let ref = row[0] else { continue }
                    let token = try pseudonymizer.token(domain: domain, field: Schema.referenceField, value: ref)
                    if wanted.contains(token) {
                        found[token] = ref
                        ids.append(batchIDs[i])
                    }
                }
            }
        } catch {
            throw VaultError(wrapping: error)
        }
        try audit(.user(session), .reidentify, purpose: purpose,
                  fields: [Schema.referenceField], customers: CustomerIDSet(ids),
                  detail: "domain \(domain): \(found.count) of \(wanted.count) pseudonyms re-identified")
        return found
    }

    /// k-anonymity of `role`'s view: customers grouped by the quasi-identifiers as the role sees
    /// them (generalized, masked or plain); reports the smallest class and how many customers
    /// fall in classes smaller than `k`. Requires `export` (it reads everyone's view); audited.
    package func privacyCheck(role name: String? = nil, k: Int, session: Session, purpose: String? = nil) throws(VaultError) -> PrivacyReport {
        guard k >= 2 else { throw .anonymityTooWeak(k: k) }
        let role = try targetRole(name, session: session, action: .export, actionName: .privacyCheck, purpose: purpose)
        let positions = schema.fields.indices.filter {
            schema.fields[$0].classification == .quasiIdentifier && role.view(of: schema.fields[$0].name) != .redacted
        }
        let ids = try allCustomerIDs()
        try audit(.user(session), .privacyCheck, purpose: purpose,
                  fields: positions.map { schema.fields[$0].name }, customers: ids, detail: "k=\(k) for role \(role.name)")
        var classes: [[String?]: Int] = [:]
        let lastID = ids.last ?? 0
        do {
            try scanViews(role: role, positions: positions, upTo: lastID, transform: { $0 }) { _, rows in
                for row in rows { classes[row, default: 0] += 1 }
            }
        } catch {
            throw VaultError(wrapping: error)
        }
        let small = classes.values.filter { $0 < k }
        return PrivacyReport(role: role.name, k: k, quasiIdentifiers: positions.map { schema.fields[$0].name },
                             customers: classes.values.reduce(0, +), equivalenceClasses: classes.count,
                             smallestClass: classes.values.min() ?? 0, customersInSmallClasses: small.reduce(0, +),
                             classesSmallerThanK: small.count)
    }
}
