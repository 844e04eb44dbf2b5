import Coffer
import CofferSupport
import Foundation

/// The one pass a review export makes over the audit log, alongside its verification.
///
/// `ReviewScan.process` runs on the verifier's checking threads, one batch of verified entries
/// at a time: it renders the period's entries into the three event formats and counts them into
/// a small table; `ReviewAccumulator.merge` then takes the batches in log order on one thread.
/// Memory stays flat: a batch's bytes are written and dropped, and what is kept is bounded
/// (counts per actor, role, action, purpose, outcome and day; capped lists of notable entries).

/// One row of the activity table: who did what, why, with what outcome, on which day.
struct ActivityKey: Hashable, Sendable {
    var actor: String
    var role: String
    var action: AuditAction
    var purpose: String
    var outcome: String
    /// Days since 1970-01-01 (UTC).
    var day: Int32
    /// Outside the configured working hours (period entries only).
    var offHours: Bool
}

/// Counts of one activity row.
struct ActivityCount: Sendable {
    var entries = 0
    /// Customers named by the entries (a bulk read of 1,000 counts 1,000).
    var customers: Int64 = 0
    /// Entries that read at least one customer.
    var readEntries = 0
    var lastTime = Int64.min
    /// A few entries (seq, time) of off-hours reads, for the report.
    var samples: [EntrySample] = []
    /// The distinct customers read (allowed read entries only): reading the same customers
    /// again, as repeated scoring runs do, does not add to them.
    var readIDs = IDRuns()

    mutating func add(_ other: ActivityCount, sampleLimit: Int) {
        entries += other.entries
        customers += other.customers
        readIDs.formUnion(other.readIDs)
        readEntries += other.readEntries
        lastTime = max(lastTime, other.lastTime)
        if samples.count < sampleLimit { samples += other.samples.prefix(sampleLimit - samples.count) }
    }
}

/// A set of customer ids as runs (first, count), kept compact: runs are appended as entries
/// arrive and sorted and merged when they have doubled, so a day of whole-population reads
/// stays one run however many there were, and `count` counts each customer once.
struct IDRuns: Sendable {
    private var runs: [(first: Int64, count: Int64)] = []
    private var compactedCount = 0

    mutating func append(first: Int64, count: Int64) {
        runs.append((first, count))
        if runs.count > 2 * compactedCount + 64 { compact() }
    }

    mutating func formUnion(_ other: IDRuns) {
        guard !other.runs.isEmpty else { return }
        runs += other.runs
        if runs.count > 2 * compactedCount + 64 { compact() }
    }

    /// The number of distinct ids.
    var count: Int64 {
        var copy = self
        copy.compact()
        return copy.runs.reduce(0) { $0 + $1.count }
    }

    private mutating func compact() {
        runs.sort { $0.first < $1.first }
        var merged: [(first: Int64, count: Int64)] = []
        merged.reserveCapacity(runs.count)
        for run in runs {
            if let last = merged.last, run.first <= last.first + last.count {
                merged[merged.count - 1].count = max(last.count, run.first + run.count - last.first)
            } else {
                merged.append(run)
            }
        }
        runs = merged
        compactedCount = merged.count
    }
}

/// An entry named by seq and time.
public struct EntrySample: Sendable, Equatable, Codable {
    public var seq: Int64
    public var time: String
}

/// An audit entry a reviewer sees in a list (denials, exports, erasures, bulk reads ...).
/// Ids and names only, as in the log itself.
public struct ReviewEvent: Sendable, Equatable, Codable {
    public var seq: Int64
    public var time: String
    public var timeMs: Int64
    public var actor: String
    public var role: String
    public var action: AuditAction
    public var purpose: String
    public var outcome: String
    public var fields: [String]
    public var customerCount: Int64
    /// Internal ids as ranges (`1-5,9`); empty when the set is too scattered to list here
    /// (`events.jsonl` always has it).
    public var customers: String
    public var detail: String

    static let maximumRangesLength = 400

    private enum JSONKeys: String, CodingKey {
        case seq, time, actor, role, action, purpose, outcome, fields, customerCount = "customer_count", customers, detail
    }

    /// In JSON (the output contract), the time once, as ISO 8601 UTC with milliseconds (`timeMs`
    /// is for the anomaly rules' arithmetic).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(time, forKey: .time)
        try c.encode(actor, forKey: .actor)
        try c.encode(role, forKey: .role)
        try c.encode(action, forKey: .action)
        try c.encode(purpose, forKey: .purpose)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(fields, forKey: .fields)
        try c.encode(customerCount, forKey: .customerCount)
        try c.encode(customers, forKey: .customers)
        try c.encode(detail, forKey: .detail)
    }

    init(_ r: AuditRecord) throws(VaultError) {
        try self.init(r, action: r.auditAction())
    }

    /// The same, with the entry's action already parsed.
    init(_ r: AuditRecord, action: AuditAction) {
        seq = r.seq
        timeMs = r.timeMilliseconds
        time = ReviewClock.iso(r.timeMilliseconds)
        actor = AuditRecord.string(r.actor)
        role = AuditRecord.string(r.role)
        self.action = action
        purpose = AuditRecord.string(r.purpose)
        outcome = AuditRecord.string(r.outcome)
        let joined = AuditRecord.string(r.fields)
        fields = joined.isEmpty ? [] : joined.split(separator: ",").map(String.init)
        customerCount = r.customerCount
        let ranges = ByteBuffer(capacity: 64)
        if r.customers.count <= Self.maximumRangesLength / 2 { EventFormatter.appendRanges(r.customers, to: ranges) }
        customers = ranges.count <= Self.maximumRangesLength ? String(decoding: ranges.bytes, as: UTF8.self) : ""
        detail = AuditRecord.string(r.detail)
    }
}

/// Milliseconds to text, UTC.
enum ReviewClock {
    static let dayMilliseconds: Int64 = 86_400_000

    static func day(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / dayMilliseconds : (milliseconds - dayMilliseconds + 1) / dayMilliseconds
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func iso(_ milliseconds: Int64) -> String {
        var formatter = EventFormatter()
        let out = ByteBuffer(capacity: 32)
        formatter.appendTime(milliseconds, to: out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func date(_ milliseconds: Int64) -> String {
        CivilDate(daysSinceEpoch: Int(day(milliseconds))).iso8601
    }
}

/// What one batch contributes: its rendered events, its counts, its notable entries.
// @unchecked: filled by one checking thread, then handed whole to the verifying thread; never used by two at once.
final class ReviewBatchResult: @unchecked Sendable {
    let jsonl: ByteBuffer
    let csv: ByteBuffer
    let ocsf: ByteBuffer
    var activity: [(key: ActivityKey, count: ActivityCount)] = []
    /// Period entries that are denied, in a reviewer's category, or bulk reads, in log order.
    var notable: [ReviewEvent] = []
    /// Read entries by size (customers per entry), in `ReviewScan.sizeBins`.
    var sizeCounts = [Int](repeating: 0, count: ReviewScan.sizeBins.count)
    var periodEntries = 0
    /// First and last period entries of the batch: (seq, time in ms).
    var first: (seq: Int64, time: Int64)?
    var last: (seq: Int64, time: Int64)?

    init(pools: ReviewScan.Pools) {
        jsonl = pools.jsonl.take()
        csv = pools.csv.take()
        ocsf = pools.ocsf.take()
    }
}

/// The per-batch half of the pass; immutable, so the checking threads share it.
struct ReviewScan: Sendable {
    let period: ReviewPeriod
    let settings: ReviewSettings
    /// Entries after this one (written while the export runs) are left out.
    let headSeq: Int64
    /// Earliest entry counted: the baseline and inactivity windows before the period.
    let scanStart: Int64
    /// Output buffers, returned by the file writers once written.
    let pools = Pools()

    struct Pools: Sendable {
        let jsonl = ByteBufferPool(capacity: 4 << 20)
        let csv = ByteBufferPool(capacity: 2 << 20)
        let ocsf = ByteBufferPool(capacity: 8 << 20)
    }

    /// Bins of the bulk-read size histogram: customers per read entry.
    static let sizeBins: [(lower: Int64, upper: Int64, label: String)] = [
        (1, 1, "1"), (2, 9, "2-9"), (10, 99, "10-99"), (100, 999, "100-999"), (1_000, 9_999, "1k-10k"),
        (10_000, 99_999, "10k-100k"), (100_000, Int64.max, "100k+"),
    ]

    static func sizeBin(_ count: Int64) -> Int {
        sizeBins.firstIndex { count <= $0.upper } ?? sizeBins.count - 1
    }

    init(period: ReviewPeriod, settings: ReviewSettings, headSeq: Int64, now: Int64) {
        self.period = period
        self.settings = settings
        self.headSeq = headSeq
        let end = min(period.endMilliseconds, now)
        scanStart = min(period.startMilliseconds - Int64(settings.baselineDays) * ReviewClock.dayMilliseconds,
                        end - Int64(settings.inactiveDays) * ReviewClock.dayMilliseconds)
    }

    func process(_ batch: AuditRecordBatch) throws -> ReviewBatchResult {
        let result = ReviewBatchResult(pools: pools)
        var table = ActivityTable()
        var formatter = EventFormatter()
        let start = period.startMilliseconds, end = period.endMilliseconds
        let hoursStart = Int64(settings.workHoursStart), hoursEnd = Int64(settings.workHoursEnd)
        try batch.forEach { r in
            let time = r.timeMilliseconds
            guard r.seq <= headSeq, time >= scanStart, time < end else { return }
            let inPeriod = time >= start
            let day = ReviewClock.day(time)
            let hour = (time - day * ReviewClock.dayMilliseconds) / 3_600_000
            let offHours = inPeriod && (hour < hoursStart || hour >= hoursEnd)
            let row = try table.row(for: r, day: Int32(truncatingIfNeeded: day), offHours: offHours)
            let traits = table.traits[row]
            let reads = traits.isRead && r.customerCount > 0
            table.counts[row].entries += 1
            table.counts[row].customers += r.customerCount
            table.counts[row].lastTime = max(table.counts[row].lastTime, time)
            if reads {
                table.counts[row].readEntries += 1
                CustomerIDSet.forEachRun(ofEncoded: r.customers) { table.counts[row].readIDs.append(first: $0, count: $1) }
            }
            guard inPeriod else { return }
            if reads, offHours, table.counts[row].samples.count < 3 {
                table.counts[row].samples.append(EntrySample(seq: r.seq, time: ReviewClock.iso(time)))
            }
            result.periodEntries += 1
            formatter.appendJSONLine(r, to: result.jsonl)
            formatter.appendCSVRow(r, to: result.csv)
            formatter.appendOCSF(r, mapping: traits.ocsf, to: result.ocsf)
            if reads { result.sizeCounts[Self.sizeBin(r.customerCount)] += 1 }
            let isNotable = traits.category != nil || traits.isDenied || (reads && r.customerCount >= Int64(settings.bulkReadMinimum))
            if isNotable { result.notable.append(ReviewEvent(r, action: traits.action)) }
            if result.first == nil { result.first = (r.seq, time) }
            result.last = (r.seq, time)
        }
        result.activity = table.rows()
        return result
    }
}

/// Per-batch counts keyed by the raw bytes of (actor, role, action, purpose, outcome, day,
/// off-hours), so an entry costs a hash and a compare; Strings are made once per distinct row.
private struct ActivityTable {
    struct Traits {
        var action: AuditAction
        var isRead: Bool
        var isDenied: Bool
        var category: AuditAction.ReviewCategory?
        var ocsf: OCSFMapping
    }

    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []
    private var keyRanges: [Range<Int>] = []
    private var arena: [UInt8] = []
    private var keys: [ActivityKey] = []
    var counts: [ActivityCount] = []
    var traits: [Traits] = []
    private let scratch = ByteBuffer(capacity: 256)

    mutating func row(for r: AuditRecord, day: Int32, offHours: Bool) throws(VaultError) -> Int {
        scratch.removeAll()
        // Column by column (an array literal here would allocate per entry).
        scratch.append(r.actor)
        scratch.append(0x1f)
        scratch.append(r.role)
        scratch.append(0x1f)
        scratch.append(r.action)
        scratch.append(0x1f)
        scratch.append(r.purpose)
        scratch.append(0x1f)
        scratch.append(r.outcome)
        scratch.append(0x1f)
        withUnsafeBytes(of: day.littleEndian) { scratch.append($0) }
        scratch.append(offHours ? 1 : 0)
        let key = scratch.bytes
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { break }
            if hashes[index] == hash, keyRanges[index].count == key.count,
               arena.withUnsafeBytes({ memcmp($0.baseAddress! + keyRanges[index].lowerBound, key.baseAddress!, key.count) }) == 0 {
                return index
            }
            slot = (slot + 1) & mask
        }
        let index = keys.count
        let action = try r.auditAction()
        let outcome = AuditRecord.string(r.outcome)
        keys.append(ActivityKey(actor: AuditRecord.string(r.actor), role: AuditRecord.string(r.role), action: action,
                                purpose: AuditRecord.string(r.purpose), outcome: outcome, day: day, offHours: offHours))
        counts.append(ActivityCount())
        traits.append(Traits(action: action, isRead: outcome == "ok" && action.readsCustomerData, isDenied: outcome == "denied",
                             category: action.reviewCategory, ocsf: OCSFMapping(action)))
        hashes.append(hash)
        keyRanges.append(arena.count..<(arena.count + key.count))
        arena.append(contentsOf: key.bindMemory(to: UInt8.self))
        slots[slot] = Int32(index)
        if keys.count * 2 > slots.count { rehash() }
        return index
    }

    private mutating func rehash() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    func rows() -> [(key: ActivityKey, count: ActivityCount)] {
        Array(zip(keys, counts)).map { (key: $0, count: $1) }
    }
}
