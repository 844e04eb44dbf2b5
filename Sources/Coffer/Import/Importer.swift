import CofferCrypto
import CofferSupport
import Foundation

/// How an import reads its file and what it does with it.
public struct ImportOptions: Sendable {
    /// The field separator; nil detects it from the header line.
    public var delimiter: CSVDelimiter?
    /// The file's character encoding; nil detects it (byte-order mark, UTF-8 validity).
    public var encoding: TextEncoding?
    /// `encoding` is UTF-16 and the file's byte-order mark settles big or little endian.
    public var utf16ByteOrderFromFile = false
    /// A mapping from the file's own columns to fields (`--map`), as YAML text.
    public var mapping: MappingSource?
    /// Where to write the rejected rows with their reasons (CSV in the source's dialect, mode
    /// 0600), to fix and import again; nothing is left there when no row is rejected.
    public var rejectsPath: String?
    /// Validate and count everything, write nothing (but the audit entry saying so).
    public var dryRun = false

    /// A mapping file's text and its name (for messages).
    public struct MappingSource: Sendable {
        public var yaml: String
        public var file: String
        public init(yaml: String, file: String) {
            self.yaml = yaml
            self.file = file
        }
    }

    public init(delimiter: CSVDelimiter? = nil, encoding: TextEncoding? = nil, utf16ByteOrderFromFile: Bool = false,
                mapping: MappingSource? = nil, rejectsPath: String? = nil, dryRun: Bool = false) {
        self.delimiter = delimiter
        self.encoding = encoding
        self.utf16ByteOrderFromFile = utf16ByteOrderFromFile
        self.mapping = mapping
        self.rejectsPath = rejectsPath
        self.dryRun = dryRun
    }
}

/// What an import reads: a file, or bytes streamed to it (`CSVByteSource`) under a name for
/// messages and the report, with their total size when known (progress).
public enum ImportInput: Sendable {
    case file(String)
    case stream(any CSVByteSource, name: String, size: Int?)

    /// The file's path, or the stream's name.
    public var name: String {
        switch self {
        case let .file(path): path
        case let .stream(_, name, _): name
        }
    }

    var filePath: String? {
        if case let .file(path) = self { return path }
        return nil
    }
}

extension Vault {
    /// Rows per transaction. A crash loses at most the batch in flight; committed batches are whole.
    static let importBatchSize = 2_000

    /// Imports a CSV file of customers, orders or outcomes.
    ///
    /// Streaming: memory holds one batch, whatever the file size. Each batch commits in one
    /// transaction, so a crash leaves whole batches and a re-run converges (customers and
    /// outcomes upsert by `customer_ref`; orders are de-duplicated by a keyed digest).
    /// Invalid rows are skipped and reported by line with every invalid field; a bad header
    /// rejects the whole file before anything is written.
    ///
    /// `options`: the file's dialect (detected where not given, and reported), a mapping of
    /// its columns to fields, a rejects file (the source header and rejected rows with a last
    /// `coffer_reject_reason` column, which the importer ignores when the file comes back), and
    /// a dry run: the same work in one transaction that is rolled back, so the counts are
    /// exactly what the import would report; only an audit entry saying so is written.
    package func importCSV(_ kind: ImportKind, path: String, session: Session, options: ImportOptions = ImportOptions(),
                          progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> ImportReport {
        try importCSV(kind, from: .file(path), session: session, options: options, progress: progress)
    }

    /// `importCSV` from a file or from a stream of bytes (an upload to the server, read as it
    /// arrives: memory holds a bounded pipe and a batch, and nothing is written to disk but
    /// the committed batches). A stream that breaks off fails the import like a read error
    /// in a file: the batches committed before stay (each whole, with its audit entry), the
    /// complete rows read of the batch in flight are committed, a record cut off is not.
    package func importCSV(_ kind: ImportKind, from input: ImportInput, session: Session, options: ImportOptions = ImportOptions(),
                          progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> ImportReport {
        let path = input.name
        try authorize(session, .import, action: .import, detail: options.dryRun ? "\(kind.rawValue) (dry run)" : kind.rawValue)
        if options.dryRun, options.rejectsPath != nil {
            throw .invalidInput("a dry run writes nothing, so it takes no rejects file; run it without one, then import with --rejects")
        }
        let mapping: ImportMapping?
        do { mapping = try options.mapping.map { m throws(PolicyFileError) in try ImportMapping(yaml: m.yaml, file: m.file, schema: schema) } } catch {
            throw .schema(error)
        }
        if let mapping, mapping.kind != kind {
            throw .invalidInput("\(mapping.file) maps \(mapping.kind.rawValue), not \(kind.rawValue); use it with `import \(mapping.kind.rawValue)`")
        }
        let reader: CSVReader
        do {
            switch input {
            case let .file(path):
                reader = try CSVReader(path: path, delimiter: options.delimiter, encoding: options.encoding,
                                       utf16ByteOrderFromFile: options.utf16ByteOrderFromFile)
            case let .stream(source, name, size):
                reader = try CSVReader(source: source, name: name, size: size, delimiter: options.delimiter, encoding: options.encoding,
                                       utf16ByteOrderFromFile: options.utf16ByteOrderFromFile)
            }
        } catch { throw .importFile(error.description) }
        var report = ImportReport(file: path, kind: kind.rawValue)
        report.dialect = reader.dialect.dialect.description
        report.dryRun = options.dryRun
        if let note = reader.dialect.note { report.notes.append(note) }
        var header: [String]
        do {
            guard let record = try reader.next() else { throw VaultError.importFile("\(path):1: the file is empty; expected a header row") }
            if let problem = record.problem { throw VaultError.importFile("\(path):\(record.line): header: \(problem)") }
            header = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        } catch let error as CSVError {
            throw .importFile(error.description)
        } catch {
            throw error as! VaultError
        }
        let sourceHeader = header
        // A rejects file imported again: its reason column is not data.
        let dropsReasonColumn = header.last == ImportReport.rejectReasonColumn
        if dropsReasonColumn { header.removeLast() }
        let shape: RowShape
        do {
            if let mapping {
                let resolved = try ResolvedMapping(mapping, header: header, file: path, mandatory: ImportColumns.mandatory(of: kind))
                for skipped in resolved.skipped { report.notes.append("\(mapping.file): no column for \(skipped) in this file; that field is not imported") }
                shape = .mapped(resolved, width: sourceHeader.count)
            } else {
                shape = .direct(try resolveColumns(header, kind: kind, file: path), dropsLastColumn: dropsReasonColumn)
            }
        } catch {
            try audit(.user(session), .import, outcome: .failed, detail: "\(kind.rawValue): file refused (header)")
            throw error
        }
        if let rejectsPath = options.rejectsPath { try checkOutputFile(rejectsPath, input: input.filePath) }
        let rejects: RejectsFile?
        let dialect = reader.dialect.dialect
        do {
            rejects = try options.rejectsPath.map { rejectsPath throws(CSVError) in
                try RejectsFile(path: rejectsPath, header: sourceHeader, dialect: dialect)
            }
        } catch {
            throw .file(error)
        }
        // A rejects file is whole or absent: on failure it is removed, and without rejections it is not left behind.
        var keepsRejects = false
        defer { if let rejects, !keepsRejects { rejects.discard() } }
        let workers = makeWorkers()
        let file = (path as NSString).lastPathComponent

        // Two stages overlap: a reader thread parses and validates the next batch while this
        // thread seals and commits the current one (in parallel across cores).
        let fileSize = reader.fileSize
        let keepsSource = rejects != nil
        func readAhead(_ reader: sending CSVReader) -> Pending<(CSVReader, ParsedBatch), Never> {
            Pending(handing: reader) { reader in
                (reader, Self.readBatch(reader, shape: shape, kind: kind, keepsSource: keepsSource))
            }
        }
        var next: Pending<(CSVReader, ParsedBatch), Never>? = readAhead(reader)
        // On failure, the read in flight finishes before this returns.
        defer { _ = next?.wait() }
        /// Reads, validates and commits every batch; `transaction` runs each batch's writes.
        func run(_ transaction: (_ body: (any StoreWriting) throws -> Void) throws(VaultError) -> Void) throws(VaultError) {
            let batcher = BatchCommitter(kind: kind, vault: self, columns: shape.columns, workers: workers, session: session, file: file)
            var startsImport = true
            while let current = next {
                let (reading, batch) = current.wait()
                next = batch.isLast ? nil : readAhead(reading)
                report.rows += batch.rows
                for rejection in batch.rejections { report.reject(line: rejection.line, reason: rejection.reason) }
                var batchRejections = batch.rejections
                if !batch.valid.isEmpty || startsImport {
                    var committed = report
                    var lookups: [ImportReport.Rejection] = []
                    let first = startsImport
                    try transaction { tx in
                        if first { try batcher.begin(in: tx) }
                        if !batch.valid.isEmpty { (committed, lookups) = try batcher.commit(batch.valid, report: report, in: tx) }
                    }
                    startsImport = false
                    report = committed
                    batchRejections += lookups
                }
                if let rejects, !batchRejections.isEmpty {
                    do { try rejects.write(batchRejections, source: batch.source) } catch { throw .file(error) }
                }
                progress?(WorkProgress(completed: batch.bytesRead, total: fileSize, unit: "bytes"))
                if let failure = batch.failure { throw failure }
            }
        }
        if options.dryRun {
            // One transaction for the whole file, rolled back: later rows see what earlier ones
            // would have done (a reference seen twice is an update the second time), and
            // nothing of it stays.
            var rolledBack = false
            do {
                try store.write { tx throws in
                    try run { body throws(VaultError) in
                        do { try body(tx) } catch { throw VaultError(wrapping: error) }
                    }
                    rolledBack = true
                    throw DryRunRollback()
                }
            } catch {
                if !rolledBack { throw error }
            }
            try audit(.user(session), .import, fields: shape.columns.map(\.name),
                      detail: "\(kind.rawValue) (dry run): \(report.rows) rows, \(report.inserted) would be inserted, \(report.updated) updated, \(report.unchanged) unchanged, \(report.rejected) rejected; nothing written")
        } else {
            try run { body throws(VaultError) in
                do { try store.write { tx in try body(tx) } } catch { throw VaultError(wrapping: error) }
            }
            try checkpoint()
        }
        if let rejects, report.rejected > 0 {
            do { try rejects.close() } catch { throw .file(error) }
            keepsRejects = true
            report.rejectsFile = rejects.path
        }
        // Rejections come from two stages (validation, then lookups): restore file order.
        report.rejections.sort { $0.line < $1.line }
        logger.info("import finished", metadata: [
            "kind": "\(kind.rawValue)", "rows": "\(report.rows)", "inserted": "\(report.inserted)",
            "updated": "\(report.updated)", "unchanged": "\(report.unchanged)", "rejected": "\(report.rejected)",
            "dry_run": "\(options.dryRun)",
        ])
        return report
    }

    /// Reads and validates the next batch: `importBatchSize` rows, or what is left of the file.
    /// `keepsSource`: the batch keeps each row's source fields, for a rejects file.
    static func readBatch(_ reader: CSVReader, shape: RowShape, kind: ImportKind, keepsSource: Bool = false) -> ParsedBatch {
        var batch = ParsedBatch()
        let columns = shape.columns
        do throws(CSVError) {
            while let record = try reader.next() {
                batch.rows += 1
                if keepsSource { batch.source[record.line] = record.fields }
                if let problem = record.problem {
                    batch.rejections.append(.init(line: record.line, reason: problem))
                } else {
                    switch shape.fields(of: record.fields) {
                    case let .failure(widthProblem):
                        batch.rejections.append(.init(line: record.line, reason: widthProblem.description))
                    case let .success((texts, transformRejections)):
                        switch validate(texts, columns: columns, kind: kind, already: transformRejections) {
                        case let .success(values): batch.valid.append((record.line, values))
                        case let .failure(rejection):
                            batch.rejections.append(.init(line: record.line, reason: rejection.description))
                        }
                    }
                }
                // Hand over by rows read, not rows valid, so a file of bad rows stays bounded too.
                if batch.rows == importBatchSize {
                    batch.bytesRead = reader.bytesRead
                    return batch
                }
            }
            batch.bytesRead = reader.bytesRead
        } catch {
            // An unterminated quote swallows the rest of the file into one record: reject that
            // record and keep the rows before it. Other read failures stop the import.
            if case let .unterminatedQuotedField(_, line) = error {
                batch.rows += 1
                batch.rejections.append(.init(line: line, reason: "unterminated quoted field; the file from this line on was not imported"))
                batch.bytesRead = reader.bytesRead
            } else {
                batch.failure = .importFile(error.description)
            }
        }
        batch.isLast = true
        return batch
    }

    /// Normalized values of one row, or every rejection: those found before (by a mapping's
    /// transforms, whose fields are not checked again) and each field the schema refuses.
    static func validate(_ texts: [String], columns: [FieldSpec], kind: ImportKind,
                         already: [ValueRejection] = []) -> Result<[String?], RowRejection> {
        var values: [String?] = []
        values.reserveCapacity(columns.count)
        var rejections = already
        for (c, spec) in columns.enumerated() {
            if !already.isEmpty, already.contains(where: { $0.field == spec.name }) { values.append(nil); continue }
            do throws(ValueRejection) {
                let value = try spec.normalize(texts[c], rowRegion: spec.rowRegion { name in
                    columns.firstIndex(where: { $0.name == name }).map { texts[$0] }
                })
                // Customers may omit required fields on update; the upsert checks them on insert.
                if value == nil, spec.required, spec.name == Schema.referenceField || kind != .customers {
                    throw ValueRejection(field: spec.name, reason: "required")
                }
                values.append(value)
            } catch {
                rejections.append(error)
                values.append(nil)
            }
        }
        return rejections.isEmpty ? .success(values) : .failure(RowRejection(fields: rejections))
    }

    /// Maps header names to field specs; unknown, duplicate or missing key columns refuse the file.
    private func resolveColumns(_ header: [String], kind: ImportKind, file: String) throws(VaultError) -> [FieldSpec] {
        let known = ImportColumns.fields(of: kind, schema: schema)
        var seen = Set<String>()
        var columns: [FieldSpec] = []
        for (i, name) in header.enumerated() {
            guard let spec = known.first(where: { $0.name == name }) else {
                // Echo the name only if it looks like a field name: a file without a header row
                // would otherwise put its first customer's data in the message.
                let looksLikeName = Schema.isValidFieldName(name)
                let shown = looksLikeName ? " '\(name)'" : ""
                throw .importFile("\(file):1: column \(i + 1)\(shown) is not a \(kind.rawValue) field (is the header row missing, or is this a CRM export that needs --map?); expected some of: \(known.map(\.name).joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw .importFile("\(file):1: column '\(name)' appears twice") }
            columns.append(spec)
        }
        for name in ImportColumns.mandatory(of: kind) where !seen.contains(name) {
            throw .importFile("\(file):1: missing column '\(name)'; add it to the header")
        }
        return columns
    }
}

/// Every field of one row that was refused; reported together so one run shows them all.
struct RowRejection: Error, CustomStringConvertible {
    var fields: [ValueRejection]
    var description: String { fields.map(\.description).joined(separator: "; ") }
}

/// Thrown inside a dry run's transaction to roll it back.
private struct DryRunRollback: Error {}

/// How a source row becomes the fields of an import: its columns are the fields (the header
/// names them), or a mapping builds the fields from them.
enum RowShape {
    /// `dropsLastColumn`: the file's last column (a rejects file's reason) is not data.
    case direct([FieldSpec], dropsLastColumn: Bool)
    /// `width`: the number of columns in the file's header.
    case mapped(ResolvedMapping, width: Int)

    var columns: [FieldSpec] {
        switch self {
        case let .direct(columns, _): columns
        case let .mapped(mapping, _): mapping.columns
        }
    }

    /// The field texts of `fields` (with what a mapping's transforms refused), or why the
    /// row's width does not fit the header.
    func fields(of fields: [String]) -> Result<([String], [ValueRejection]), WidthProblem> {
        switch self {
        case let .direct(columns, dropsLastColumn):
            let width = columns.count + (dropsLastColumn ? 1 : 0)
            var fields = fields
            if dropsLastColumn, fields.count == width { fields.removeLast() }
            guard fields.count == columns.count else {
                return .failure(WidthProblem(found: fields.count + width - columns.count, expected: width))
            }
            return .success((fields, []))
        case let .mapped(mapping, width):
            guard fields.count == width else { return .failure(WidthProblem(found: fields.count, expected: width)) }
            return .success(mapping.apply(fields))
        }
    }

    struct WidthProblem: Error, CustomStringConvertible {
        var found: Int
        var expected: Int
        var description: String { "has \(found) fields, the header has \(expected)" }
    }
}

/// Fixed columns of orders.csv and outcomes.csv (customer columns come from the schema).
enum ImportColumns {
    /// The fields a file of `kind` may have.
    static func fields(of kind: ImportKind, schema: Schema) -> [FieldSpec] {
        switch kind {
        case .customers: schema.fields
        case .orders: orders
        case .outcomes: outcomes
        }
    }

    /// The columns every file of `kind` must have.
    static func mandatory(of kind: ImportKind) -> [String] {
        switch kind {
        case .customers: [Schema.referenceField]
        case .orders: orders.map(\.name)
        case .outcomes: outcomes.map(\.name)
        }
    }

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

/// One batch parsed and validated by the reader thread.
struct ParsedBatch {
    var rows = 0
    var valid: [(line: Int, values: [String?])] = []
    var rejections: [ImportReport.Rejection] = []
    /// Each row's fields as read, by line (kept only when rejected rows are written out).
    var source: [Int: [String]] = [:]
    var bytesRead = 0
    /// The file ends with this batch (or reading it failed).
    var isLast = false
    /// Reading failed after this batch's rows: they are committed, then the import stops.
    var failure: VaultError?
}

/// Commits a validated batch in one transaction (sealing in parallel across cores).
private final class BatchCommitter {
    let kind: ImportKind
    let vault: Vault
    let columns: [FieldSpec]
    let workers: [CryptoWorker]
    let referenceColumn: Int
    let session: Session
    let file: String

    init(kind: ImportKind, vault: Vault, columns: [FieldSpec], workers: [CryptoWorker], session: Session, file: String) {
        self.session = session
        self.file = file
        self.kind = kind
        self.vault = vault
        self.columns = columns
        self.workers = workers
        referenceColumn = columns.firstIndex { $0.name == Schema.referenceField }!
    }

    /// Prepares the import's first transaction (orders count repeated rows from zero).
    func begin(in tx: any StoreWriting) throws {
        if kind == .orders { try tx.resetOrderOccurrences() }
    }

    static let unknownCustomer = "customer_ref: no customer with this reference (import customers first)"

    /// Writes the batch in `tx`. Returns `report` with the batch counted, and the rows the
    /// lookups rejected (counted in it too); the caller keeps them once `tx` commits.
    func commit(_ valid: [(line: Int, values: [String?])], report: ImportReport,
                in tx: any StoreWriting) throws -> (ImportReport, [ImportReport.Rejection]) {
        var batchReport = report
        var rejected: [ImportReport.Rejection] = []
        var touched: [Int64] = []
        switch kind {
        case .customers: try commitCustomers(valid, in: tx, report: &batchReport, rejected: &rejected, touched: &touched)
        case .orders: try commitOrders(valid, in: tx, report: &batchReport, rejected: &rejected, touched: &touched)
        case .outcomes: try commitOutcomes(valid, in: tx, report: &batchReport, rejected: &rejected, touched: &touched)
        }
        // One entry per committed batch, in the batch's transaction: what was written is
        // always accounted for, even if the import is killed before it finishes.
        try vault.audit(.user(session), .import, fields: columns.map(\.name), customers: CustomerIDSet(touched),
                        detail: "\(kind.rawValue): \(valid.count) rows in batch", in: tx)
        for rejection in rejected { batchReport.reject(line: rejection.line, reason: rejection.reason) }
        return (batchReport, rejected)
    }

    private func commitCustomers(_ rows: [(line: Int, values: [String?])], in tx: any StoreWriting, report: inout ImportReport,
                                 rejected: inout [ImportReport.Rejection], touched: inout [Int64]) throws {
        let upserts = rows.map { CustomerUpsert(line: $0.line, reference: $0.values[referenceColumn]!, values: $0.values) }
        let outcomes = try vault.upsertCustomers(upserts, columns: columns, workers: workers, in: tx)
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case let .inserted(id): report.inserted += 1; touched.append(id)
            case let .updated(id): report.updated += 1; touched.append(id)
            case let .unchanged(id): report.unchanged += 1; touched.append(id)
            case let .rejected(reason): rejected.append(.init(line: upserts[i].line, reason: reason))
            }
        }
    }

    /// Looks up customers by reference digest and unwraps their data keys (in parallel).
    private func customers(for rows: [(line: Int, values: [String?])], in tx: any StoreReading)
        throws -> (digests: [[UInt8]], keys: [[UInt8]: (id: Int64, cipherKey: SymmetricKey)])
    {
        var digests: [[UInt8]] = []
        for row in rows { digests.append(try workers[0].indexDigest(field: Schema.referenceField, value: row.values[referenceColumn]!)) }
        let distinct = Array(Set(digests))
        let found = try tx.customerKeys(referenceIndexes: distinct).map { (digest: $0.referenceIndex, id: $0.id, wrapped: $0.wrappedDataKey) }
        let unwrapped = try ForkJoin.map(found.count, contexts: workers) { [found] i, worker in
            try worker.unwrap(found[i].wrapped, customerID: found[i].id)
        }
        var keys: [[UInt8]: (id: Int64, cipherKey: SymmetricKey)] = [:]
        for (i, f) in found.enumerated() { keys[f.digest] = (f.id, unwrapped[i]) }
        return (digests, keys)
    }

    private func commitOrders(_ rows: [(line: Int, values: [String?])], in tx: any StoreWriting, report: inout ImportReport,
                              rejected: inout [ImportReport.Rejection], touched: inout [Int64]) throws {
        let (digests, keys) = try customers(for: rows, in: tx)
        let dedupMAC = try HMACSHA256(key: vault.keyRing.indexKey(for: "order-dedup"))
        let names = columns.map(\.name)
        let dateColumn = names.firstIndex(of: "order_date")!, amountColumn = names.firstIndex(of: "amount")!
        let categoryColumn = names.firstIndex(of: "product_category")!
        let nonces = workers[0].nonces
        var ciphers: [Int64: AES256GCM] = [:]
        for (i, row) in rows.enumerated() {
            guard let customer = keys[digests[i]] else {
                rejected.append(.init(line: row.line, reason: Self.unknownCustomer))
                continue
            }
            let d = row.values[dateColumn]!, a = row.values[amountColumn]!, c = row.values[categoryColumn]!
            let identity = Array("\(customer.id)\u{1F}\(d)\u{1F}\(a)\u{1F}\(c)".utf8)
            let base = Array(try dedupMAC.authenticate(identity).prefix(16))
            let n = try tx.nextOrderOccurrence(base)
            let dedupKey = Array(try dedupMAC.authenticate(identity + Array("\u{1F}\(n)".utf8)).prefix(16))
            let cipher: AES256GCM
            if let existing = ciphers[customer.id] { cipher = existing } else {
                cipher = try AES256GCM(key: customer.cipherKey)
                ciphers[customer.id] = cipher
            }
            let sealed = try OrderRecord(date: d, amount: a, category: c).seal(customerID: customer.id, dedupKey: dedupKey, cipher: cipher, nonces: nonces)
            let inserted = try tx.insertOrder(SealedOrder(customerID: customer.id, dedupKey: dedupKey, sealed: sealed))
            touched.append(customer.id)
            if inserted { report.inserted += 1 } else { report.unchanged += 1 }
        }
    }

    private func commitOutcomes(_ rows: [(line: Int, values: [String?])], in tx: any StoreWriting, report: inout ImportReport,
                                rejected: inout [ImportReport.Rejection], touched: inout [Int64]) throws {
        let (digests, keys) = try customers(for: rows, in: tx)
        let names = columns.map(\.name)
        let outcomeColumn = names.firstIndex(of: "outcome")!, closedColumn = names.firstIndex(of: "closed_at")!
        let nonces = workers[0].nonces
        for (i, row) in rows.enumerated() {
            guard let customer = keys[digests[i]] else {
                rejected.append(.init(line: row.line, reason: Self.unknownCustomer))
                continue
            }
            let cipher = try AES256GCM(key: customer.cipherKey)
            let sealed = try OutcomeRecord(outcome: row.values[outcomeColumn]!, closedAt: row.values[closedColumn]!)
                .seal(customerID: customer.id, cipher: cipher, nonces: nonces)
            let existed = try tx.replaceOutcome(customerID: customer.id, sealed: sealed)
            touched.append(customer.id)
            if existed { report.updated += 1 } else { report.inserted += 1 }
        }
    }
}
