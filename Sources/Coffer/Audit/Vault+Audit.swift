import CofferCrypto
import Foundation

/// The result of checking the whole audit chain.
public struct AuditVerification: Sendable, Equatable, Codable {
    /// Entries checked.
    public var entries: Int64
    /// Sequence number of the last entry, 0 for an empty log.
    public var lastSeq: Int64
    /// The first entry that fails, if any, and why (edited, deleted, reordered, forged...).
    public var firstBadSeq: Int64?
    public var problem: String?
    public var isIntact: Bool { firstBadSeq == nil && problem == nil }
}

/// Selects audit entries. Every condition given must hold.
public struct AuditQuery: Sendable {
    public var actor: String?
    public var action: AuditAction?
    public var outcome: AuditEntry.Outcome?
    public var customerID: Int64?
    /// Entries at or after this time.
    public var since: Date?
    /// Entries before this time.
    public var until: Date?
    /// At most this many entries: the newest ones with `newestFirst`, the oldest otherwise.
    public var limit: Int?
    /// Newest first (what a person reading the log wants), or in log order.
    public var newestFirst: Bool
    public init(actor: String? = nil, action: AuditAction? = nil, outcome: AuditEntry.Outcome? = nil, customerID: Int64? = nil,
                since: Date? = nil, until: Date? = nil, limit: Int? = nil, newestFirst: Bool = false) {
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.customerID = customerID
        self.since = since
        self.until = until
        self.limit = limit
        self.newestFirst = newestFirst
    }
}

extension Vault {
    /// The current time in milliseconds since 1970 UTC, as audit entries and history rows record it.
    package static var nowMilliseconds: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Appends one audit entry: the only way an entry is written.
    ///
    /// With `tx`, the entry joins the caller's write transaction (a change and its entry commit
    /// together, or neither does). Without it, the entry is group-committed (`AuditGroupCommit`:
    /// with the entries of concurrent callers, in one durable transaction) before this returns,
    /// and the call fails closed: it throws `auditUnavailable` if that transaction fails, and a
    /// caller must then release nothing. `purpose` is recorded only as one of the policy's
    /// purpose names (free text, which could be anything, is logged as `<other>`).
    @discardableResult
    package func audit(_ actor: AuditActor, _ action: AuditAction, purpose: String? = nil, outcome: AuditEntry.Outcome = .ok,
               fields: [String] = [], customers: CustomerIDSet = CustomerIDSet(), detail: String = "",
               in tx: (any StoreWriting)? = nil) throws(VaultError) -> AuditEntry {
        let draft = AuditEntry(seq: 0, timeMilliseconds: Vault.nowMilliseconds, actor: actor.name, role: actor.role,
                               action: action, purpose: auditPurpose(purpose), outcome: outcome, fields: fields, customers: customers,
                               detail: detail, mac: [])
        if let tx {
            do { return try append(draft, in: tx) } catch { throw VaultError(wrapping: error) }
        }
        return try auditGroup.append(draft, now: { Vault.nowMilliseconds }) { drafts throws(VaultError) in
            do throws(VaultError) {
                return try store.write { tx in try self.append(drafts, in: tx) }
            } catch {
                throw .auditUnavailable(error.description)
            }
        }
    }

    /// Sets (or, with nil, removes) the observer told about each group commit of audit entries.
    package func observeAuditCommits(_ observer: (any AuditCommitObserver)?) {
        auditGroup.setObserver(observer)
    }

    /// A purpose as the audit log records it: only the policy's own purpose names, so free text
    /// typed into `--purpose` (which could be anything, even PII) never reaches the log.
    private func auditPurpose(_ purpose: String?) -> String {
        guard let purpose, !purpose.isEmpty else { return "" }
        let known = Set(policy.roles.values.flatMap { $0.purposes ?? [] })
        return known.contains(purpose) ? purpose : "<other>"
    }

    /// Chains `draft` to the last entry and inserts it in `db`'s transaction. Everything goes
    /// through `audit(_:_:…)`; only tests call this directly, to plant entries at chosen times.
    func append(_ draft: AuditEntry, in tx: any StoreWriting) throws -> AuditEntry {
        try append([draft], in: tx)[0]
    }

    /// Chains `drafts`, in order, to the last entry and inserts them in `tx`'s transaction: the
    /// head is read once, and each MAC covers the one before it.
    private func append(_ drafts: [AuditEntry], in tx: any StoreWriting) throws -> [AuditEntry] {
        let chain = try AuditChain(auditKey: keyRing.auditKey, vaultID: keyRing.vaultID)
        let last = try tx.lastAuditLink()
        var seq = last?.seq ?? 0
        var previous = last?.mac ?? chain.genesis
        var entries: [AuditEntry] = []
        entries.reserveCapacity(drafts.count)
        for var entry in drafts {
            seq += 1
            entry.seq = seq
            entry.mac = try chain.mac(for: entry, previous: previous)
            previous = entry.mac
            try tx.insertAuditEntry(entry)
            entries.append(entry)
        }
        return entries
    }

    /// Recomputes every MAC from the first entry on and names the first that does not match.
    ///
    /// Each entry's MAC covers the previous entry's stored MAC, so an edited, deleted, inserted
    /// or reordered entry breaks the chain exactly there; rewriting the chain needs the audit key.
    ///
    /// With a `hook`, each batch of verified entries is also handed to `hook.process` on a
    /// checking thread and its result to `hook.deliver` in log order: a review export reads,
    /// verifies and formats the log in one pass.
    package func verifyAudit<Output: Sendable>(progress: ((WorkProgress) -> Void)? = nil, hook: AuditBatchHook<Output>?) throws(VaultError) -> AuditVerification {
        let auditKey = keyRing.auditKey, vaultID = keyRing.vaultID
        let readerChain: AuditChain
        do { readerChain = try AuditChain(auditKey: auditKey, vaultID: vaultID) } catch { throw .crypto(error) }
        let process = hook?.process
        return try store.read { tx in
            let total = try tx.auditEntryCount()
            // A verdict: entry `seq` is the first bad one, `lastSeq` the last entry read. The
            // entries read before were numbered 1, 2, ..., so their count is `expectedSeq - 1` and
            // nothing is counted per entry (a counter these helpers shared with the scan's body
            // would cost a dynamic exclusivity check on every entry).
            func fail(_ seq: Int64, _ problem: String, lastSeq: Int64) -> AuditVerification {
                AuditVerification(entries: seq, lastSeq: lastSeq, firstBadSeq: seq, problem: problem)
            }
            func badMAC(_ seq: Int64, lastSeq: Int64) -> AuditVerification {
                fail(seq, "entry \(seq) does not match its MAC (edited, forged, reordered, or the entry before it changed)", lastSeq: lastSeq)
            }
            // Each entry is checked against the *stored* MAC of the one before it, so this thread
            // can lay out batch N+1 while another computes the MACs of batch N; a bad stored MAC
            // fails its own entry first, so the first failure is still the first bad entry.
            var previous = readerChain.genesis
            var expectedSeq: Int64 = 1
            var batch = AuditBatch()
            // Two batches are checked at a time, each on a thread of its own with a chain of its
            // own; results are collected oldest first, so the first failure reported is still the
            // first bad entry.
            var inFlight: [Pending<CheckedAuditBatch<Output>, Never>] = []
            // However this returns, no check outlives it.
            defer { for checking in inFlight { _ = checking.wait() } }
            func check(_ batch: AuditBatch, chain: sending AuditChain) -> Pending<CheckedAuditBatch<Output>, Never> {
                Pending(handing: chain) { chain in
                    var checked = CheckedAuditBatch<Output>(chain: chain)
                    // An HMAC failure inside OpenSSL counts as a failed entry: fail closed.
                    do { checked.failure = try batch.firstFailure(chain: chain) } catch { checked.failure = batch.seqs.first }
                    if checked.failure == nil, let process { checked.output = Result { try process(AuditRecordBatch(batch: batch)) } }
                    return checked
                }
            }
            /// Hands a verified batch's hook output (or rethrows its hook error) to `hook.deliver`.
            func deliver(_ output: Result<Output, any Error>?) throws {
                if let output, let hook { try hook.deliver(output.get()) }
            }
            // Waits for the batches in flight, oldest first; delivers their hook output while all is well.
            func finishAll() throws -> Int64? {
                var first: Int64?
                while !inFlight.isEmpty {
                    let checked = inFlight.removeFirst().wait()
                    if first == nil { first = checked.failure }
                    if first == nil { try deliver(checked.output) }
                }
                return first
            }
            // The verdict when the scan stopped at a bad entry.
            var stopped: AuditVerification?
            // Every stored entry, whatever its seq: one outside 1...n is reported, not skipped.
            try tx.scanAuditEntries { row in
                let seq = row.seq
                if seq != expectedSeq {
                    if let bad = try finishAll(), bad < seq {
                        stopped = badMAC(bad, lastSeq: seq)
                    } else if let bad = try batch.firstFailure(chain: readerChain) {
                        stopped = badMAC(bad, lastSeq: seq)
                    } else {
                        stopped = fail(seq, seq > expectedSeq
                            ? "entry \(expectedSeq)\(seq - expectedSeq > 1 ? "-\(seq - 1)" : "") is missing (deleted)"
                            : "entry \(seq) is out of order", lastSeq: seq)
                    }
                    return false
                }
                batch.add(seq: seq, mac: row.mac) { writer in
                    writer.begin(seq: seq, timeMilliseconds: row.timeMilliseconds, prefix: previous)
                    writer.bytes(row.actor)
                    writer.bytes(row.role)
                    writer.bytes(row.action)
                    writer.bytes(row.purpose)
                    writer.bytes(row.outcome)
                    writer.bytes(row.fields)
                    writer.int(row.customerCount)
                    writer.bytes(row.customers)
                    writer.bytes(row.detail)
                    return CustomerIDSet.count(ofEncoded: row.customers) == row.customerCount
                }
                previous.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: row.mac.baseAddress, count: min(row.mac.count, $0.count))) }
                expectedSeq += 1
                if batch.seqs.count == AuditBatch.capacity {
                    if inFlight.count == 2 {
                        // Collect the older batch in flight first; its chain checks this one.
                        let checked = inFlight.removeFirst().wait()
                        if let bad = checked.failure {
                            stopped = badMAC(bad, lastSeq: seq)
                            return false
                        }
                        try deliver(checked.output)
                        inFlight.append(check(batch, chain: checked.chain))
                    } else {
                        let chain: AuditChain
                        do throws(CryptoError) { chain = try AuditChain(auditKey: auditKey, vaultID: vaultID) } catch { throw VaultError.crypto(error) }
                        inFlight.append(check(batch, chain: chain))
                    }
                    batch = AuditBatch()
                    progress?(WorkProgress(completed: Int(seq), total: Int(total), unit: "entries"))
                }
                return true
            }
            if let stopped { return stopped }
            let lastSeq = expectedSeq - 1
            if let bad = try finishAll() { return badMAC(bad, lastSeq: lastSeq) }
            if let bad = try batch.firstFailure(chain: readerChain) { return badMAC(bad, lastSeq: lastSeq) }
            if let hook, !batch.seqs.isEmpty { try hook.deliver(hook.process(AuditRecordBatch(batch: batch))) }
            return AuditVerification(entries: lastSeq, lastSeq: lastSeq)
        }
    }

    /// `verifyAudit(progress:hook:)` without a hook: the chain check alone.
    func verifyAudit(progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> AuditVerification {
        try verifyAudit(progress: progress, hook: AuditBatchHook<Void>?.none)
    }

    /// Entries matching `query`, oldest first (newest first with `query.newestFirst`).
    func auditEntries(_ query: AuditQuery) throws(VaultError) -> [AuditEntry] {
        try store.read { tx in
            var out: [AuditEntry] = []
            // Who touched a customer is answered from the entries themselves (their MAC-covered id
            // sets), not from a side index that could be edited without breaking the chain.
            try tx.auditEntries(actor: query.actor, action: query.action, outcome: query.outcome,
                                sinceMilliseconds: query.since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) },
                                untilMilliseconds: query.until.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) },
                                newestFirst: query.newestFirst) { entry in
                if let id = query.customerID, !entry.customers.contains(id) { return true }
                out.append(entry)
                return query.limit.map { out.count < $0 } ?? true
            }
            return out
        }
    }
}

extension Vault {
    /// Appends `count` synthetic read entries (benchmarks and tests of scale), 100,000 per
    /// transaction, chained like any other. With `spanningDays`, their times are spread evenly
    /// over that many days before now (oldest first); otherwise they are all "now".
    /// Not for production code: it writes entries for actors that did nothing.
    @_spi(Benchmarks) public func appendSyntheticAuditEntries(_ count: Int, spanningDays: Int = 0,
                                                              progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) {
        let chain: AuditChain
        do { chain = try AuditChain(auditKey: keyRing.auditKey, vaultID: keyRing.vaultID) } catch { throw .crypto(error) }
        let now = Vault.nowMilliseconds
        let step = count > 0 ? Double(spanningDays) * 86_400_000 / Double(count) : 0
        var done = 0
        while done < count {
            let end = min(count, done + 100_000)
            try store.write { tx in
                let last = try tx.lastAuditLink()
                var seq = last?.seq ?? 0
                var previous = last?.mac ?? chain.genesis
                for i in done..<end {
                    seq += 1
                    var entry = AuditEntry(seq: seq, timeMilliseconds: now - Int64(step * Double(count - i)), actor: "analyst\(i % 7)",
                                           role: "analyst", action: .read, purpose: "qualification", outcome: .ok,
                                           fields: ["customer_ref", "city", "birth_date"], customers: CustomerIDSet([Int64(i % 50_000 + 1)]),
                                           detail: "", mac: [])
                    entry.mac = try chain.mac(for: entry, previous: previous)
                    previous = entry.mac
                    try tx.insertAuditEntry(entry)
                }
            }
            done = end
            progress?(WorkProgress(completed: done, total: count, unit: "entries"))
        }
    }
}

/// Canonical messages of consecutive entries, checked in parallel.
private struct AuditBatch {
    static let capacity = 8_192
    var messages: [UInt8] = []
    var offsets: [Int] = [0]
    var macs: [UInt8] = []
    var seqs: [Int64] = []
    var wellFormed: [Bool] = []
    private var writer = CanonicalWriter()

    init() {
        // Room for a full batch of typical entries, so the arrays do not grow (and copy) as it fills.
        messages.reserveCapacity(Self.capacity * 256)
        offsets.reserveCapacity(Self.capacity + 1)
        macs.reserveCapacity(Self.capacity * HMACSHA256.byteCount)
        seqs.reserveCapacity(Self.capacity)
        wellFormed.reserveCapacity(Self.capacity)
    }

    // Inlined into the scan's per-entry body: a call per entry shows in the verifier's profile.
    @inline(__always)
    mutating func add(seq: Int64, mac: UnsafeRawBufferPointer, _ build: (inout CanonicalWriter) -> Bool) {
        let ok = build(&writer) && mac.count == HMACSHA256.byteCount
        messages.append(contentsOf: writer.bytes.bindMemory(to: UInt8.self))
        offsets.append(messages.count)
        if mac.count == HMACSHA256.byteCount {
            macs.append(contentsOf: mac.bindMemory(to: UInt8.self))
        } else {
            macs.append(contentsOf: repeatElement(0, count: HMACSHA256.byteCount))
        }
        seqs.append(seq)
        wellFormed.append(ok)
    }

    mutating func removeAll() {
        messages.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        macs.removeAll(keepingCapacity: true)
        seqs.removeAll(keepingCapacity: true)
        wellFormed.removeAll(keepingCapacity: true)
    }

    /// The seq of the first entry whose MAC does not verify, if any.
    func firstFailure(chain: AuditChain) throws -> Int64? {
        var computed = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
        return try messages.withUnsafeBytes { all in
            try macs.withUnsafeBytes { stored in
                for i in seqs.indices {
                    let message = UnsafeRawBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]])
                    try computed.withMutableBytes { out in try chain.mac(of: message, into: out) }
                    let expected = UnsafeRawBufferPointer(rebasing: stored[(i * 32)..<(i * 32 + 32)])
                    if !wellFormed[i] || !constantTimeEquals(computed, expected) { return seqs[i] }
                }
                return nil
            }
        }
    }
}

/// Work done on every verified batch of audit entries in the verifying pass (see
/// `verifyAudit(progress:hook:)`): `process` runs on a checking thread (two batches may be
/// processed at once), in parallel with the reading of later batches, once the batch's MACs
/// have verified; `deliver` receives its
/// result on the verifying thread, batch after batch in log order. Errors from either stop
/// the verification and are rethrown.
package struct AuditBatchHook<Output: Sendable> {
    package let process: @Sendable (AuditRecordBatch) throws -> Output
    package let deliver: (Output) throws -> Void

    package init(process: @escaping @Sendable (AuditRecordBatch) throws -> Output, deliver: @escaping (Output) throws -> Void) {
        self.process = process
        self.deliver = deliver
    }
}

/// One audit batch as a checking thread returns it: its chain (for the next batch), its first
/// bad entry, and, when all verified, the hook's output or error.
private struct CheckedAuditBatch<Output: Sendable> {
    var chain: AuditChain
    var failure: Int64?
    var output: Result<Output, any Error>?
}

/// The entries of one verified batch, in seq order.
package struct AuditRecordBatch {
    fileprivate let batch: AuditBatch

    package var count: Int { batch.seqs.count }

    /// Calls `body` with each entry, read back from the exact bytes whose MAC was checked.
    package func forEach(_ body: (AuditRecord) throws -> Void) throws {
        try batch.messages.withUnsafeBytes { all in
            try batch.macs.withUnsafeBytes { macs in
                for i in batch.seqs.indices {
                    let message = UnsafeRawBufferPointer(rebasing: all[batch.offsets[i]..<batch.offsets[i + 1]])
                    let mac = UnsafeRawBufferPointer(rebasing: macs[(i * 32)..<(i * 32 + 32)])
                    guard let record = AuditRecord(message: message, prefixLength: HMACSHA256.byteCount, mac: mac) else {
                        throw VaultError.corruptVault("audit entry \(batch.seqs[i]) is malformed")
                    }
                    try body(record)
                }
            }
        }
    }
}
