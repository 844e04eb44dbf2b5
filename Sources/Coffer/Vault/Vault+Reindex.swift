import Foundation

/// What `reindexPhones` did.
public struct ReindexReport: Sendable, Equatable, Codable {
    /// Customers with at least one phone number.
    public var customers: Int
    /// Phone numbers rewritten to their E.164 form.
    public var rewritten: Int
    /// Internal ids of the customers with a phone number that could not be normalized (a
    /// national number without a region, or an invalid one): kept as stored, but no longer in
    /// the blind index; correct them with a put or an import.
    public var notNormalized: [Int64]

    enum CodingKeys: String, CodingKey {
        case customers, rewritten, notNormalized = "not_normalized"
    }
}

extension Vault {
    /// The setting that says phone blind-index entries are over E.164 (absent in vaults created
    /// before phone numbers were normalized).
    static let phoneIndexSetting = MetaKey.phoneIndex.rawValue
    static let phoneIndexE164: [UInt8] = Array("e164".utf8)

    /// Refuses phone lookups on a vault whose phone index predates E.164: a lookup there could
    /// miss a customer stored in national form, or match another country's number.
    func requirePhoneIndexCurrent() throws(VaultError) {
        let marker = try store.read { tx in try tx.setting(Self.phoneIndexSetting) }
        guard marker == Self.phoneIndexE164 else { throw .reindexRequired }
    }

    /// Rewrites every stored phone number to E.164 and recomputes its blind-index entry, in one
    /// transaction with its audit entry, then marks the index current. Idempotent: a second run
    /// changes nothing. National numbers are read in the row's region (`region_from`), else in
    /// `region`, else in the field's.
    package func reindexPhones(session: Session, region: String?, progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> ReindexReport {
        try authorize(session, .manageKeys, action: .reindex)
        let override = region?.uppercased()
        if let override, PhoneNumbering.regions[override] == nil {
            throw .invalidInput("region \(override) is not one whose national numbers Coffer reads; use one of \(PhoneNumbering.regions.keys.sorted().joined(separator: ", "))")
        }
        let phones = schema.fields.filter { $0.type == .phone }
        let positions = phones.map { schema.index(of: $0.name)! }
        let referencePosition = schema.index(of: Schema.referenceField)!
        let workers = makeWorkers()
        let worker = workers[0]
        var report = ReindexReport(customers: 0, rewritten: 0, notNormalized: [])
        try store.write { tx in
            let last = try tx.highestCustomerID()
            let total = try tx.customerCount()
            var after: Int64 = 0, seen = 0
            var touched = CustomerIDSet()
            while true {
                let batch = try tx.customers(after: after, upTo: last, limit: 500)
                guard let tail = batch.last else { break }
                after = tail.id
                seen += batch.count
                var rows: [CustomerUpsert] = []
                var unindexed: [(id: Int64, positions: [Int])] = []
                for record in batch {
                    let customer = try OpenedCustomer(record, schema: self.schema, worker: worker)
                    let stored = try positions.map { p throws(VaultError) in try customer.value(at: p) }
                    guard stored.contains(where: { $0 != nil }) else { continue }
                    report.customers += 1
                    var values: [String?] = []
                    var failed: [Int] = []
                    for (i, spec) in phones.enumerated() {
                        guard let value = stored[i] else { values.append(nil); continue }
                        let rowRegion = spec.rowRegion { name in
                            self.schema.index(of: name).flatMap { try? customer.value(at: $0) }
                        } ?? override
                        if let e164 = try? spec.normalize(value, rowRegion: rowRegion) {
                            if e164 != value { report.rewritten += 1 }
                            values.append(e164)
                        } else {
                            failed.append(positions[i])
                            values.append(value)
                        }
                    }
                    guard let reference = try customer.value(at: referencePosition) else {
                        throw VaultError.corruptVault("customer \(record.id) has no reference")
                    }
                    rows.append(CustomerUpsert(line: 0, reference: reference, values: values))
                    touched.appendAscending(record.id)
                    if !failed.isEmpty {
                        report.notNormalized.append(record.id)
                        unindexed.append((record.id, failed))
                    }
                }
                // The upsert re-seals the numbers and recomputes their index entries, as an import would.
                for outcome in rows.isEmpty ? [] : try self.upsertCustomers(rows, columns: phones, workers: workers, in: tx) {
                    if case let .rejected(reason) = outcome { throw VaultError.invalidInput("reindex: \(reason)") }
                }
                for (id, fields) in unindexed {
                    for field in fields { try tx.removeIndexEntries(field: field, customerID: id) }
                }
                progress?(WorkProgress(completed: seen, total: total, unit: "customers"))
            }
            try tx.replaceSetting(Self.phoneIndexSetting, value: Self.phoneIndexE164)
            try self.audit(.user(session), .reindex, fields: phones.map(\.name), customers: touched,
                           detail: "phone numbers to E.164: \(report.rewritten) rewritten, \(report.notNormalized.count) not normalized", in: tx)
        }
        return report
    }
}
