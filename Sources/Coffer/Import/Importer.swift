import CofferCrypto
import Foundation
import GRDB

extension Vault {
    /// Rows per transaction. A crash loses at most the batch in flight; committed batches are whole.
    static let importBatchSize = 2_000

    /// Imports a CSV file of customers, orders or outcomes.
    ///
    /// Streaming: memory holds one batch, whatever the file size. Each batch commits in one
    /// transaction, so a crash leaves whole batches and a re-run converges (customers and
    /// outcomes upsert by `customer_ref`; orders are de-duplicated by a keyed digest).
    /// Invalid rows are skipped and reported by line; a bad header rejects the whole file
    /// before anything is written.
    public func importCSV(_ kind: ImportKind, path: String, progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> ImportReport {
        let reader: CSVReader
        do { reader = try CSVReader(path: path) } catch { throw .importFile(error.description) }
        var report = ImportReport(file: path, kind: kind.rawValue)
        let header: [String]
        do {
            guard let record = try reader.next() else { throw VaultError.importFile("\(path):1: the file is empty; expected a header row") }
            if let problem = record.problem { throw VaultError.importFile("\(path):\(record.line): header: \(problem)") }
            header = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        } catch let error as CSVError {
            throw .importFile(error.description)
        } catch {
            throw error as! VaultError
        }
        let columns = try resolveColumns(header, kind: kind, file: path)
        let workers = makeWorkers()
        let batcher = try BatchCommitter(kind: kind, vault: self, columns: columns, workers: workers)
        var batch: [CSVRecord] = []
        batch.reserveCapacity(Self.importBatchSize)
        func flush() throws(VaultError) {
            guard !batch.isEmpty else { return }
            try batcher.commit(batch, report: &report)
            batch.removeAll(keepingCapacity: true)
            progress?(WorkProgress(completed: reader.bytesRead, total: reader.fileSize, unit: "bytes"))
        }
        while true {
            let record: CSVRecord?
            do { record = try reader.next() } catch { throw .importFile(error.description) }
            guard let record else { break }
            report.rows += 1
            if let problem = record.problem {
                report.reject(line: record.line, reason: problem)
                continue
            }
            guard record.fields.count == columns.count else {
                report.reject(line: record.line, reason: "has \(record.fields.count) fields, the header has \(columns.count)")
                continue
            }
            batch.append(record)
            if batch.count == Self.importBatchSize { try flush() }
        }
        try flush()
        try checkpoint()
        // Batches report validation and lookup rejections in separate passes: restore file order.
        report.rejections.sort { $0.line < $1.line }
        return report
    }

    /// Maps header names to field specs; unknown, duplicate or missing key columns refuse the file.
    private func resolveColumns(_ header: [String], kind: ImportKind, file: String) throws(VaultError) -> [FieldSpec] {
        let known: [FieldSpec]
        let mandatory: [String]
        switch kind {
        case .customers:
            known = schema.fields
            mandatory = [Schema.referenceField]
        case .orders:
            known = ImportColumns.orders
            mandatory = known.map(\.name)
        case .outcomes:
            known = ImportColumns.outcomes
            mandatory = known.map(\.name)
        }
        var seen = Set<String>()
        var columns: [FieldSpec] = []
        for (i, name) in header.enumerated() {
            guard let spec = known.first(where: { $0.name == name }) else {
                throw .importFile("\(file):1: column \(i + 1) '\(name)' is not a \(kind.rawValue) field; expected some of: \(known.map(\.name).joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw .importFile("\(file):1: column '\(name)' appears twice") }
            columns.append(spec)
        }
        for name in mandatory where !seen.contains(name) {
            throw .importFile("\(file):1: missing column '\(name)'; add it to the header")
        }
        return columns
    }
}

/// Fixed columns of orders.csv and outcomes.csv (customer columns come from the schema).
enum ImportColumns {
    static let orders: [FieldSpec] = [
        FieldSpec(name: "customer_ref", type: .string, classification: .identifier, blindIndex: true, required: true),
        FieldSpec(name: "order_date", type: .date, classification: .attribute, required: true),
        FieldSpec(name: "amount", type: .decimal, classification: .attribute, required: true, minimum: 0),
        FieldSpec(name: "product_category", type: .string, classification: .attribute, required: true, maxLength: 128),
    ]
    static let outcomes: [FieldSpec] = [
        FieldSpec(name: "customer_ref", type: .string, classification: .identifier, blindIndex: true, required: true),
        FieldSpec(name: "outcome", type: .enum, classification: .attribute, required: true, values: ["won", "lost"]),
        FieldSpec(name: "closed_at", type: .date, classification: .attribute, required: true),
    ]
}

/// Validates a batch of CSV records in parallel and commits it in one transaction.
private final class BatchCommitter {
    let kind: ImportKind
    let vault: Vault
    let columns: [FieldSpec]
    let workers: [CryptoWorker]
    let referenceColumn: Int

    init(kind: ImportKind, vault: Vault, columns: [FieldSpec], workers: [CryptoWorker]) throws(VaultError) {
        self.kind = kind
        self.vault = vault
        self.columns = columns
        self.workers = workers
        referenceColumn = columns.firstIndex { $0.name == Schema.referenceField }!
        if kind == .orders {
            try vault.database.write { db in
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS order_occurrences (k BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
                try db.execute(sql: "DELETE FROM order_occurrences")
            }
        }
    }

    /// Normalized values per record, or the first rejection reason.
    private func validate(_ records: [CSVRecord]) throws -> [Result<[String?], ValueRejection>] {
        let slots = ParallelSlots<Result<[String?], ValueRejection>>(count: records.count)
        let columns = self.columns
        try parallelChunks(count: records.count, workers: workers) { range, _ in
            for i in range {
                var values: [String?] = []
                values.reserveCapacity(columns.count)
                do {
                    for (c, spec) in columns.enumerated() {
                        let value = try spec.normalize(records[i].fields[c])
                        if value == nil, spec.required, spec.name == Schema.referenceField || self.kind != .customers {
                            throw ValueRejection(field: spec.name, reason: "required")
                        }
                        values.append(value)
                    }
                    slots[i] = .success(values)
                } catch let rejection as ValueRejection {
                    slots[i] = .failure(rejection)
                }
            }
        }
        return (0..<records.count).map { slots[$0]! }
    }

    func commit(_ records: [CSVRecord], report: inout ImportReport) throws(VaultError) {
        do {
            let validated = try validate(records)
            var valid: [(line: Int, values: [String?])] = []
            for (i, result) in validated.enumerated() {
                switch result {
                case let .success(values): valid.append((records[i].line, values))
                case let .failure(rejection): report.reject(line: records[i].line, reason: rejection.description)
                }
            }
            var batchReport = report
            try vault.database.write { db in
                switch kind {
                case .customers: try commitCustomers(valid, db: db, report: &batchReport)
                case .orders: try commitOrders(valid, db: db, report: &batchReport)
                case .outcomes: try commitOutcomes(valid, db: db, report: &batchReport)
                }
            }
            report = batchReport
        } catch {
            throw VaultDatabase.vaultError(error)
        }
    }

    private func commitCustomers(_ rows: [(line: Int, values: [String?])], db: Database, report: inout ImportReport) throws {
        let upserts = rows.map { CustomerUpsert(line: $0.line, reference: $0.values[referenceColumn]!, values: $0.values) }
        let outcomes = try vault.upsertCustomers(upserts, columns: columns, workers: workers, db: db)
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .inserted: report.inserted += 1
            case .updated: report.updated += 1
            case let .rejected(reason): report.reject(line: upserts[i].line, reason: reason)
            }
        }
    }

    /// Looks up customers by reference digest and unwraps their data keys (in parallel).
    private func customers(for rows: [(line: Int, values: [String?])], db: Database)
        throws -> (digests: [[UInt8]], keys: [[UInt8]: (id: Int64, cipherKey: SymmetricKey)])
    {
        var digests: [[UInt8]] = []
        for row in rows { digests.append(try workers[0].indexDigest(field: Schema.referenceField, value: row.values[referenceColumn]!)) }
        let distinct = Array(Set(digests))
        var found: [(digest: [UInt8], id: Int64, wrapped: [UInt8])] = []
        for start in stride(from: 0, to: distinct.count, by: 500) {
            let chunk = Array(distinct[start..<min(start + 500, distinct.count)])
            let rows = try Row.fetchAll(db, sql: "SELECT id, ref_index, wrapped_dek FROM customers WHERE ref_index IN (\(databaseQuestionMarks(count: chunk.count)))",
                                        arguments: StatementArguments(chunk.map { Data($0) }))
            for row in rows { found.append(([UInt8](row["ref_index"] as Data), row["id"], [UInt8](row["wrapped_dek"] as Data))) }
        }
        let slots = ParallelSlots<SymmetricKey>(count: found.count)
        try parallelChunks(count: found.count, workers: workers) { range, worker in
            for i in range { slots[i] = try worker.unwrap(found[i].wrapped, customerID: found[i].id) }
        }
        var keys: [[UInt8]: (id: Int64, cipherKey: SymmetricKey)] = [:]
        for (i, f) in found.enumerated() { keys[f.digest] = (f.id, slots[i]!) }
        return (digests, keys)
    }

    private func commitOrders(_ rows: [(line: Int, values: [String?])], db: Database, report: inout ImportReport) throws {
        let (digests, keys) = try customers(for: rows, db: db)
        let dedupMAC = try HMACSHA256(key: vault.keyRing.indexKey(for: "order-dedup"))
        let occurrence = try db.cachedStatement(sql: """
            INSERT INTO order_occurrences (k, n) VALUES (?, 0) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n
            """)
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO orders (customer_id, dedup_key, sealed) VALUES (?, ?, ?)")
        let names = columns.map(\.name)
        let dateColumn = names.firstIndex(of: "order_date")!, amountColumn = names.firstIndex(of: "amount")!
        let categoryColumn = names.firstIndex(of: "product_category")!
        let nonces = workers[0].nonces
        var ciphers: [Int64: AES256GCM] = [:]
        for (i, row) in rows.enumerated() {
            guard let customer = keys[digests[i]] else {
                report.reject(line: row.line, reason: "customer_ref: no customer with this reference (import customers first)")
                continue
            }
            let d = row.values[dateColumn]!, a = row.values[amountColumn]!, c = row.values[categoryColumn]!
            let identity = Array("\(customer.id)\u{1F}\(d)\u{1F}\(a)\u{1F}\(c)".utf8)
            let base = Array(try dedupMAC.authenticate(identity).prefix(16))
            let n = try Int.fetchOne(occurrence, arguments: [Data(base)]) ?? 0
            let dedupKey = Array(try dedupMAC.authenticate(identity + Array("\u{1F}\(n)".utf8)).prefix(16))
            let cipher: AES256GCM
            if let existing = ciphers[customer.id] { cipher = existing } else {
                cipher = try AES256GCM(key: customer.cipherKey)
                ciphers[customer.id] = cipher
            }
            let sealed = try OrderRecord(date: d, amount: a, category: c).seal(customerID: customer.id, dedupKey: dedupKey, cipher: cipher, nonces: nonces)
            try insert.execute(arguments: [customer.id, Data(dedupKey), Data(sealed)])
            if db.changesCount > 0 { report.inserted += 1 } else { report.unchanged += 1 }
        }
    }

    private func commitOutcomes(_ rows: [(line: Int, values: [String?])], db: Database, report: inout ImportReport) throws {
        let (digests, keys) = try customers(for: rows, db: db)
        let names = columns.map(\.name)
        let outcomeColumn = names.firstIndex(of: "outcome")!, closedColumn = names.firstIndex(of: "closed_at")!
        let exists = try db.cachedStatement(sql: "SELECT 1 FROM outcomes WHERE customer_id = ?")
        let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO outcomes (customer_id, sealed) VALUES (?, ?)")
        let nonces = workers[0].nonces
        for (i, row) in rows.enumerated() {
            guard let customer = keys[digests[i]] else {
                report.reject(line: row.line, reason: "customer_ref: no customer with this reference (import customers first)")
                continue
            }
            let cipher = try AES256GCM(key: customer.cipherKey)
            let sealed = try OutcomeRecord(outcome: row.values[outcomeColumn]!, closedAt: row.values[closedColumn]!)
                .seal(customerID: customer.id, cipher: cipher, nonces: nonces)
            let existed = try Bool.fetchOne(exists, arguments: [customer.id]) ?? false
            try upsert.execute(arguments: [customer.id, Data(sealed)])
            if existed { report.updated += 1 } else { report.inserted += 1 }
        }
    }
}
