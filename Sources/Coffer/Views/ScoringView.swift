import CofferCrypto
import Foundation

/// One field of a customer as a role sees it, in a form that rules can reason about without
/// the stored value: the label the role sees plus, where the view allows, the interval of
/// values the label stands for.
///
/// Only the vault makes these (from a role's views); the qualification engine takes nothing else,
/// so code that would score stored plaintext does not compile.
public struct ViewedValue: Sendable, Equatable, Hashable {
    /// How the value was rendered for the role (what a rule may assume about its label).
    public enum Form: String, Sendable, Hashable {
        case plain, masked, pseudonym, generalized
        /// Stored, but the view cannot show it (a value that no longer validates).
        case unreadable
    }

    public let form: Form
    /// What the role sees: "30-39", "SW*", "2026-03", "true", "DE", a pseudonym.
    public let label: String
    /// For numbers, numeric bands and ages: the closed interval `[lower, upper]` of values the
    /// label stands for (equal bounds for a plain number; nil for an unbounded end). A date
    /// counts as the age in years on the reading day (birth dates). Nil when not numeric.
    public let lower: Double?
    public let upper: Double?
    /// For dates: the first and last day (days since 1970-01-01) the label stands for, e.g.
    /// the whole month for "2026-03". Nil when not a date or when only an age is shown.
    public let days: ClosedRange<Int>?

    /// Whether the label stands for a numeric interval (`lower`/`upper` are meaningful).
    public let isNumeric: Bool

    @_spi(Testing)
    public init(form: Form, label: String, lower: Double? = nil, upper: Double? = nil, isNumeric: Bool = false, days: ClosedRange<Int>? = nil) {
        self.form = form
        self.label = label
        self.lower = lower
        self.upper = upper
        self.isNumeric = isNumeric || lower != nil || upper != nil
        self.days = days
    }

    static let unreadable = ViewedValue(form: .unreadable, label: "")
}

/// How a customer's deal ended, when an outcome was imported.
public enum DealOutcome: String, Sendable, Equatable, Codable {
    case won, lost
}

/// What the qualification engine gets for one customer: the requested fields as the role sees
/// them, and derived attributes computed inside the vault. No internal id, no stored value.
public struct ScoringRow: Sendable {
    /// `customer_ref` as the role sees it: a pseudonym for analysts. Nil when the role does not
    /// see it at all (then rows cannot be handed off).
    public let reference: String?
    /// One entry per requested field, in request order; nil when the customer has no value.
    public let values: [ViewedValue?]
    /// Purchase statistics from the customer's orders (requested with `purchases`); nil when
    /// not requested or when the customer has no orders.
    public let purchases: PurchaseSummary?
    /// The imported won/lost outcome (requested with `outcomes`).
    public let outcome: DealOutcome?

    @_spi(Testing)
    public init(reference: String?, values: [ViewedValue?], purchases: PurchaseSummary? = nil, outcome: DealOutcome? = nil) {
        self.reference = reference
        self.values = values
        self.purchases = purchases
        self.outcome = outcome
    }
}

/// A bulk read for scoring: which fields, which derived attributes, and what the audit entry
/// for the run says (e.g. the model name and digest).
public struct ScoringScanRequest: Sendable {
    public var fields: [String]
    /// Decrypt orders and hand over their BTYD statistics (never the orders themselves).
    public var purchases: Bool
    /// Hand over the won/lost outcome (for calibration).
    public var outcomes: Bool
    /// What the scan is for, as its audit entry records it.
    public var job: Job
    /// The audit entry's detail: what the run was (no values).
    public var detail: String

    public init(fields: [String], purchases: Bool = false, outcomes: Bool = false, job: Job = .score, detail: String) {
        self.fields = fields
        self.purchases = purchases
        self.outcomes = outcomes
        self.job = job
        self.detail = detail
    }

    /// The qualification jobs that read every customer through a scoring scan.
    public enum Job: Sendable {
        case score, icp, calibrate

        var auditAction: AuditAction {
            switch self {
            case .score: .score
            case .icp: .icp
            case .calibrate: .calibrate
            }
        }
    }
}

/// An authorized, audited bulk read for scoring, made by `Vault.beginScoringScan`: its passes
/// (purchase statistics first, when a model needs population figures; then the rows) all count
/// as the one read the audit entry records, over the customers that existed when it began.
// @unchecked: used by one caller at a time (a scan's passes run one after another); the worker
// threads of a pass only read `firstPass`, which is written between passes.
public final class ScoringScan: @unchecked Sendable {
    let vault: Vault
    let role: RolePolicy
    let request: ScoringScanRequest
    let positions: [Int]
    let lastID: Int64
    /// Customers covered by the scan (erasures during it make passes yield fewer).
    public let customerCount: Int
    /// What the purchase-statistics pass kept, so that the rows pass unwraps no data key and
    /// decrypts no order a second time.
    private var firstPass: FirstPass?

    init(vault: Vault, role: RolePolicy, request: ScoringScanRequest, positions: [Int], lastID: Int64, customerCount: Int) {
        self.vault = vault
        self.role = role
        self.request = request
        self.positions = positions
        self.lastID = lastID
        self.customerCount = customerCount
    }

    /// Each customer's purchase statistics (nil: no orders), batch by batch in id order, without
    /// decrypting any field. Requires `purchases` in the request. The statistics and the
    /// unwrapped data keys are kept for `rows`, which then unwraps and reads nothing again.
    public func purchaseSummaries(progress: ((WorkProgress) -> Void)? = nil, _ body: ([PurchaseSummary?]) throws -> Void) throws(VaultError) {
        guard request.purchases else { throw .invalidInput("the scan was not opened for purchase statistics") }
        let today = CivilDate.today
        var ids: [Int64] = [], summaries: [PurchaseSummary?] = []
        ids.reserveCapacity(customerCount)
        summaries.reserveCapacity(customerCount)
        let keySize = SymmetricKey.byteCount, capacity = customerCount
        // The keys go straight from each batch into memory that is wiped when the scan ends.
        let dataKeys = try SecureBytes(count: max(1, capacity * keySize)) { (keys: UnsafeMutableRawBufferPointer) throws(VaultError) in
            _ = try pass(orders: true, outcomes: false, progress: progress, transform: { customer, scanned, _ in
                (try customer.purchaseSummary(scanned.orders, observedUntil: today), customer.dataKey)
            }) { batchIDs, batch in
                // Customers are only ever added above the scan's last id, so a pass sees at most `capacity`.
                guard ids.count + batch.count <= capacity else { throw VaultError.corruptVault("the scan found more customers than it began with") }
                for (n, (_, key)) in batch.enumerated() {
                    key.withUnsafeBytes { key in
                        UnsafeMutableRawBufferPointer(rebasing: keys[(ids.count + n) * keySize ..< (ids.count + n + 1) * keySize]).copyMemory(from: key)
                    }
                }
                ids += batchIDs
                let batchSummaries = batch.map(\.0)
                summaries += batchSummaries
                try body(batchSummaries)
            }
        }
        firstPass = FirstPass(ids: ids, summaries: summaries, dataKeys: dataKeys)
    }

    /// One pass over the scan's customers, counted for `progress`; errors become `VaultError`s.
    private func pass<Output>(orders: Bool, outcomes: Bool, progress: ((WorkProgress) -> Void)?,
                              dataKey: (@Sendable (Int64) throws -> SymmetricKey?)? = nil,
                              transform: @escaping @Sendable (OpenedCustomer, Vault.ScannedCustomer, CryptoWorker) throws -> Output,
                              _ body: ([Int64], [Output]) throws -> Void) throws(VaultError) -> Int {
        var done = 0
        do {
            try vault.scanCustomers(upTo: lastID, orders: orders, outcomes: outcomes, dataKey: dataKey, transform: transform) { ids, outputs in
                try body(ids, outputs)
                done += outputs.count
                progress?(WorkProgress(completed: done, total: customerCount, unit: "customers"))
            }
        } catch {
            throw VaultError(wrapping: error)
        }
        return done
    }

    /// Every customer as a `ScoringRow`. `transform` runs on the worker threads (both cores);
    /// `body` on the caller's thread with each batch's outputs in id order. Returns the count.
    @discardableResult
    public func rows<Output>(progress: ((WorkProgress) -> Void)? = nil, transform: @escaping @Sendable (ScoringRow) throws -> Output,
                             _ body: ([Output]) throws -> Void) throws(VaultError) -> Int {
        let schema = vault.schema, request = self.request
        let fields = RoleProjection(schema: schema, role: role, positions: positions)
        let reference = RoleProjection(schema: schema, role: role, positions: [schema.index(of: Schema.referenceField)!])
        let firstPass = self.firstPass
        let today = fields.asOf
        return try pass(orders: request.purchases && firstPass == nil, outcomes: request.outcomes, progress: progress,
                        dataKey: firstPass.map { kept in { @Sendable id in try kept.index(of: id).map { try kept.dataKey(at: $0) } } },
                        transform: { customer, scanned, worker in
            let pseudonymizer = try worker.pseudonymizer()
            var summary: PurchaseSummary?
            if let firstPass {
                summary = firstPass.index(of: customer.id).flatMap { firstPass.summaries[$0] }
            } else if request.purchases {
                summary = try customer.purchaseSummary(scanned.orders, observedUntil: today)
            }
            let outcome = try scanned.outcome.flatMap { sealed in DealOutcome(rawValue: try customer.outcome(sealed).outcome) }
            return try transform(ScoringRow(reference: reference.labels(of: customer, pseudonymizer: pseudonymizer)[0],
                                            values: fields.viewedValues(of: customer, pseudonymizer: pseudonymizer),
                                            purchases: summary, outcome: outcome))
        }) { _, outputs in try body(outputs) }
    }

    /// The purchase-statistics pass's results, by customer id (ascending): each customer's
    /// statistics and its unwrapped data key (`SymmetricKey.byteCount` bytes at its index).
    private struct FirstPass: Sendable {
        let ids: [Int64]
        let summaries: [PurchaseSummary?]
        let dataKeys: SecureBytes

        /// The position of customer `id` (nil if it did not exist during the first pass).
        func index(of id: Int64) -> Int? {
            var low = 0, high = ids.count
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] < id { low = middle + 1 } else { high = middle }
            }
            return low < ids.count && ids[low] == id ? low : nil
        }

        func dataKey(at index: Int) throws -> SymmetricKey {
            let size = SymmetricKey.byteCount
            return try dataKeys.withUnsafeBytes { keys in try SymmetricKey(copying: UnsafeRawBufferPointer(rebasing: keys[index * size ..< (index + 1) * size])) }
        }
    }
}

extension Vault {
    /// Opens a bulk read for scoring, as `session`'s role sees customers (requires `score`).
    ///
    /// Only the requested fields will be decrypted; a requested field the role sees as redacted
    /// is refused (and the refusal audited). One audit entry (the fields, every customer,
    /// `request.detail`) is committed before anything is read.
    package func beginScoringScan(_ request: ScoringScanRequest, session: Session, purpose: String? = nil) throws(VaultError) -> ScoringScan {
        let role = try authorize(session, .score, action: request.job.auditAction, purpose: purpose)
        var positions: [Int] = []
        for name in request.fields {
            guard let position = schema.index(of: name) else { throw .unknownField(name, known: []) }
            guard role.view(of: name) != .redacted else {
                try audit(.user(session), request.job.auditAction, purpose: purpose,
                          outcome: .denied, detail: "field \(name) is redacted for the role")
                throw .notPermitted("role \(role.name) sees \(name) redacted; it cannot be scored on")
            }
            positions.append(position)
        }
        let ids = try allCustomerIDs()
        let referenceVisible = role.view(of: Schema.referenceField) != .redacted
        let derived = [request.purchases ? "derived: purchase statistics" : nil, request.outcomes ? "derived: outcome" : nil].compactMap { $0 }
        try audit(.user(session), request.job.auditAction, purpose: purpose,
                  fields: (referenceVisible ? [Schema.referenceField] : []) + request.fields + derived,
                  customers: ids, detail: request.detail)
        return ScoringScan(vault: self, role: role, request: request, positions: positions, lastID: ids.last ?? 0,
                           customerCount: Int(ids.count))
    }

    /// One customers row as a bulk scan reads it, with its sealed orders and outcome when asked.
    struct ScannedCustomer {
        var record: CustomerRecord
        var orders: [SealedOrder] = []
        var outcome: [UInt8]?
    }

    /// The loop under every bulk scan: reads customers (ids up to `lastID`) batch by batch in id
    /// order and hands each one, opened, to `transform` on parallel workers; `body` gets each
    /// batch's ids and outputs in order. `dataKey` supplies data keys already unwrapped (by an
    /// earlier pass); customers it has none for are unwrapped here.
    func scanCustomers<Output>(upTo lastID: Int64, orders: Bool = false, outcomes: Bool = false,
                               dataKey: (@Sendable (Int64) throws -> SymmetricKey?)? = nil,
                               transform: @escaping @Sendable (OpenedCustomer, ScannedCustomer, CryptoWorker) throws -> Output,
                               _ body: ([Int64], [Output]) throws -> Void) throws {
        let workers = makeWorkers()
        let schema = self.schema, store = self.store
        @Sendable func readBatch(after: Int64) throws -> [ScannedCustomer] {
            try store.read { tx -> [ScannedCustomer] in
                var rows = try tx.customers(after: after, upTo: lastID, limit: Self.scanBatchSize).map { ScannedCustomer(record: $0) }
                guard let first = rows.first?.record.id, let last = rows.last?.record.id, orders || outcomes else { return rows }
                var index: [Int64: Int] = [:]
                for (i, row) in rows.enumerated() { index[row.record.id] = i }
                if orders {
                    for order in try tx.orders(customerIDs: first...last) {
                        if let i = index[order.customerID] { rows[i].orders.append(order) }
                    }
                }
                if outcomes {
                    for outcome in try tx.outcomes(customerIDs: first...last) {
                        if let i = index[outcome.customerID] { rows[i].outcome = outcome.sealed }
                    }
                }
                return rows
            }
        }
        var next = try readBatch(after: 0)
        while let last = next.last {
            let rows = next
            // The next batch is read while this one is decrypted.
            let prefetch = Pending { try readBatch(after: last.record.id) }
            do {
                let outputs = try ForkJoin.map(rows.count, contexts: workers) { i, worker in
                    let record = rows[i].record
                    let customer = if let key = try dataKey?(record.id) {
                        try OpenedCustomer(record, dataKey: key, schema: schema)
                    } else {
                        try OpenedCustomer(record, schema: schema, worker: worker)
                    }
                    return try transform(customer, rows[i], worker)
                }
                try body(rows.map(\.record.id), outputs)
            } catch {
                _ = try? prefetch.wait()
                throw error
            }
            next = try prefetch.wait()
        }
    }
}

extension ViewedValue {
    /// `value` (canonical, validated) as `view` shows it, with the interval it stands for.
    static func render(_ value: String, field: FieldSpec, view: FieldView, pseudonymizer: Pseudonymizer, asOf: CivilDate) throws(CryptoError) -> ViewedValue {
        switch view {
        case .plain:
            switch field.type {
            case .integer, .decimal:
                guard let x = Double(value), x.isFinite else { return .unreadable }
                return ViewedValue(form: .plain, label: value, lower: x, upper: x)
            case .date:
                guard let date = CivilDate(iso8601: value) else { return .unreadable }
                let age = Double(ViewRenderer.age(born: date, on: asOf))
                return ViewedValue(form: .plain, label: value, lower: age, upper: age, days: date.daysSinceEpoch...date.daysSinceEpoch)
            default:
                return ViewedValue(form: .plain, label: value)
            }
        case .generalized(let generalization):
            guard let shown = ViewRenderer.generalize(value, field: field, generalization, asOf: asOf) else { return .unreadable }
            switch generalization {
            case .ageBand, .buckets:
                return ViewedValue(form: .generalized, label: shown.label, lower: shown.lower, upper: shown.upper.map { $0 - 1 }, isNumeric: true)
            case .bands:
                // Integer fields step by 1, decimals by a cent: "0-24999.99" is [0, 24999.99].
                let step = field.type == .integer ? 1.0 : 0.01
                return ViewedValue(form: .generalized, label: shown.label, lower: shown.lower, upper: shown.upper.map { $0 - step }, isNumeric: true)
            case .month, .quarter:
                guard let date = CivilDate(iso8601: value) else { return .unreadable }
                let firstMonth = generalization == .month ? date.month : (date.month - 1) / 3 * 3 + 1
                let first = CivilDate(year: date.year, month: firstMonth, day: 1)
                let last = first.adding(months: generalization == .month ? 1 : 3).adding(days: -1)
                return ViewedValue(form: .generalized, label: shown.label, days: first.daysSinceEpoch...last.daysSinceEpoch)
            case .prefix:
                return ViewedValue(form: .generalized, label: shown.label)
            }
        case .masked:
            guard let shown = ViewRenderer.mask(value, field: field) else { return .unreadable }
            return ViewedValue(form: .masked, label: shown)
        case .pseudonym:
            guard let shown = try ViewRenderer.render(value, field: field, view: view, pseudonymizer: pseudonymizer, asOf: asOf) else { return .unreadable }
            return ViewedValue(form: .pseudonym, label: shown)
        case .redacted:
            return .unreadable
        }
    }
}

extension ScoringRow {
    /// The same customer with only the values at `positions` of `values`, in that order (for
    /// running several models over one scan).
    public func projected(_ positions: [Int]) -> ScoringRow {
        ScoringRow(reference: reference, values: positions.map { values[$0] }, purchases: purchases, outcome: outcome)
    }
}
