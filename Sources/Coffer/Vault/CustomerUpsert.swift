import CofferCrypto
import Foundation

/// One validated customer row waiting to be written: the canonical value of each column the
/// source named (nil clears the field). Columns the source did not name are left as they are.
struct CustomerUpsert {
    var line: Int
    var reference: String
    var values: [String?]
}

/// What happened to one row of an upsert.
enum UpsertOutcome: Equatable {
    case inserted(Int64)
    case updated(Int64)
    /// The row holds exactly what the customer already has: nothing is written.
    case unchanged(Int64)
    case rejected(String)
}

/// A customer row sealed and ready for SQL, produced in parallel.
private struct PreparedCustomer {
    var id: Int64
    var isNew: Bool
    /// Every named column already holds the row's value: nothing to write.
    var isUnchanged = false
    var kekVersion: UInt32
    var wrappedDataKey: [UInt8]?
    var fields: [UInt8]
    var indexEntries: [(field: Int, digest: [UInt8])]
    var clearedIndexFields: [Int]
}

extension Vault {
    static let fieldKeyVersion: UInt32 = 1

    /// Seals and writes a batch of rows in the current write transaction. Shared by CSV import
    /// and `put`, so both have the same semantics: upsert by `customer_ref`; each named column
    /// replaces the field; nil clears it; unnamed columns are untouched.
    func upsertCustomers(_ rows: [CustomerUpsert], columns: [FieldSpec], workers: [CryptoWorker], in tx: any StoreWriting) throws -> [UpsertOutcome] {
        var outcomes = [UpsertOutcome?](repeating: nil, count: rows.count)
        // Reference digests; the last row for a reference wins within a batch.
        var digests: [[UInt8]] = []
        digests.reserveCapacity(rows.count)
        for row in rows { digests.append(try workers[0].indexDigest(field: Schema.referenceField, value: row.reference)) }
        var lastIndex: [[UInt8]: Int] = [:]
        for (i, d) in digests.enumerated() { lastIndex[d] = i }
        let unique = (0..<rows.count).filter { lastIndex[digests[$0]] == $0 }

        var existing: [[UInt8]: CustomerRecord] = [:]
        for record in try tx.customers(referenceIndexes: unique.map { digests[$0] }) { existing[record.referenceIndex] = record }

        // Required fields must be present on new customers and cannot be cleared on existing ones.
        let required = schema.fields.filter(\.required).map(\.name)
        var plan: [(row: Int, id: Int64, existing: CustomerRecord?)] = []
        var nextID = try tx.highestCustomerID()
        for i in unique {
            let current = existing[digests[i]]
            var missing: String?
            for name in required {
                if let c = columns.firstIndex(where: { $0.name == name }) {
                    if rows[i].values[c] == nil { missing = name; break }
                } else if current == nil {
                    missing = name; break
                }
            }
            if let missing {
                outcomes[i] = .rejected("\(missing): required")
                continue
            }
            if let current {
                plan.append((i, current.id, current))
            } else {
                nextID += 1
                plan.append((i, nextID, nil))
            }
        }

        let active = keyRing.activeVersion
        try keyRing.assertStillActive(in: tx)
        let newCount = Int64(plan.filter { $0.existing == nil }.count)
        if newCount > 0 {
            let uses = try tx.kekUses(version: active)
            guard uses + newCount <= keyRing.maximumUses else {
                throw VaultError.keyUsageExhausted(version: active, limit: keyRing.maximumUses)
            }
        }

        let fieldCount = schema.fields.count
        let positions = try columns.map { spec throws(VaultError) in
            guard let p = schema.index(of: spec.name) else { throw .unknownField(spec.name, known: []) }
            return p
        }
        let names = columns.map(\.name)
        let indexed = columns.enumerated().filter { $0.element.blindIndex && $0.element.name != Schema.referenceField }
            .map { (column: $0.offset, spec: $0.element) }
        let prepared = try ForkJoin.map(plan.count, contexts: workers) { [plan] p, worker in
            let (rowIndex, id, current) = plan[p]
            let row = rows[rowIndex]
            let dataKey: SymmetricKey
            var wrapped: [UInt8]?
            var container = FieldContainer(fieldCount: fieldCount)
            if let current {
                dataKey = try worker.unwrap(current.wrappedDataKey, customerID: id)
                container = try FieldContainer(decoding: current.fields, fieldCount: fieldCount)
            } else {
                dataKey = try SymmetricKey.random()
                wrapped = try worker.wrap(dataKey: dataKey, customerID: id, version: active)
            }
            let cipher = try AES256GCM(key: dataKey)
            if current != nil {
                // A row identical to what is stored is not sealed again (nor counted updated).
                var same = true
                for c in 0..<columns.count where same {
                    let stored = try container[positions[c]].map { sealed throws(CryptoError) in
                        try SealedBox.openString(sealed, context: SealContext(kind: .field, recordID: id, name: names[c]), cipher: cipher)
                    }
                    same = stored == row.values[c]
                }
                if same {
                    return PreparedCustomer(id: id, isNew: false, isUnchanged: true, kekVersion: current!.kekVersion, wrappedDataKey: nil,
                                            fields: [], indexEntries: [], clearedIndexFields: [])
                }
            }
            for c in 0..<columns.count {
                container[positions[c]] = try row.values[c].map { value throws(CryptoError) in
                    ArraySlice(try SealedBox.seal(value, keyVersion: Self.fieldKeyVersion,
                                                  context: SealContext(kind: .field, recordID: id, name: names[c]),
                                                  cipher: cipher, nonces: worker.nonces))
                }
            }
            var entries: [(field: Int, digest: [UInt8])] = []
            for (c, spec) in indexed {
                if let value = row.values[c] {
                    entries.append((positions[c], try worker.indexDigest(field: spec.name, value: spec.blindIndexForm(ofNormalized: value))))
                }
            }
            return PreparedCustomer(id: id, isNew: current == nil, kekVersion: current?.kekVersion ?? active,
                                    wrappedDataKey: wrapped, fields: container.encoded(),
                                    indexEntries: entries, clearedIndexFields: current == nil ? [] : indexed.map { positions[$0.column] })
        }

        let now = Int64(Date().timeIntervalSince1970)
        for p in 0..<plan.count {
            let c = prepared[p]
            if c.isUnchanged {
                outcomes[plan[p].row] = .unchanged(c.id)
                continue
            }
            if c.isNew {
                try tx.insertCustomer(CustomerRecord(id: c.id, referenceIndex: digests[plan[p].row], kekVersion: c.kekVersion,
                                                     wrappedDataKey: c.wrappedDataKey!, fields: c.fields, createdAt: now, updatedAt: now))
                outcomes[plan[p].row] = .inserted(c.id)
            } else {
                try tx.updateCustomerFields(id: c.id, fields: c.fields, updatedAt: now)
                outcomes[plan[p].row] = .updated(c.id)
            }
            for field in c.clearedIndexFields { try tx.removeIndexEntries(field: field, customerID: c.id) }
            for entry in c.indexEntries { try tx.addIndexEntry(field: entry.field, digest: entry.digest, customerID: c.id) }
        }
        if newCount > 0 { try tx.addKEKUses(newCount, version: active) }
        // A row superseded by a later row for the same reference in this batch was applied and
        // then overwritten: it counts as an update of that customer.
        for i in 0..<rows.count where outcomes[i] == nil {
            switch lastIndex[digests[i]].flatMap({ outcomes[$0] }) {
            case let .inserted(id)?, let .updated(id)?: outcomes[i] = .updated(id)
            case let .unchanged(id)?: outcomes[i] = .unchanged(id)
            case let .rejected(reason)?: outcomes[i] = .rejected(reason)
            case nil: break
            }
        }
        return outcomes.map { $0 ?? .rejected("internal: no outcome") }
    }

    func makeWorkers() -> [CryptoWorker] {
        (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { _ in CryptoWorker(keyRing: keyRing) }
    }
}
