import Foundation

/// Told about every group of audit entries the vault commits on their own (reads, denials,
/// failed lookups: every `Vault.audit` call without a transaction), so a server can expose
/// group sizes and commit latency without the vault knowing about metrics.
///
/// Called on the committing thread, after the commit and outside every lock: keep it quick.
/// Entries that commit inside a change's own transaction (a `put`, an import batch, a key
/// operation) are not reported here; they are durable when that change is.
public protocol AuditCommitObserver: Sendable {
    /// `entries` entries became durable in one transaction (one fsync) that took `duration`,
    /// counted from the start of the write transaction (waiting for other writers included).
    func auditCommitted(entries: Int, duration: Duration)
    /// A group of `entries` entries could not be committed: every caller in it was refused
    /// with `auditUnavailable` and released nothing.
    func auditCommitFailed(entries: Int, duration: Duration)
}

extension AuditCommitObserver {
    public func auditCommitFailed(entries: Int, duration: Duration) {}
}

/// Group commit of the audit entries written on their own: concurrent callers' entries go into
/// one write transaction (one fsync) instead of one each.
///
/// The first caller to find no commit under way leads: it takes every entry waiting (its own
/// first among them, up to `maximumGroup`), commits them in one transaction, hands each caller
/// its result and wakes the first caller queued meanwhile to lead the next group. A caller alone
/// commits at once (no timer, no added latency); callers arriving during a commit wait for the
/// next one, which starts as soon as the current one ends. Each caller returns only once its own
/// entry is durable; if the group's transaction fails, every caller in it gets the failure.
///
/// Entries are chained in arrival order, and their times are stamped on arrival (under the same
/// lock), so seq order is time order among them. Writers that carry their own entry inside their
/// own transaction do not come here; the store serializes them with the groups.
// @unchecked: `queue`, `leading` and `observer` are guarded by `lock`; a slot's `result` is
// written by the leader before it signals the slot's semaphore and read by its caller after.
final class AuditGroupCommit: @unchecked Sendable {
    /// Entries per transaction at most; the rest go to the next group.
    static let maximumGroup = 1_024

    /// Commits drafts (in order) in one transaction and returns them chained, or throws.
    typealias Commit = ([AuditEntry]) throws(VaultError) -> [AuditEntry]

    private final class Slot {
        var draft: AuditEntry
        var result: Result<AuditEntry, VaultError>?
        let wake = DispatchSemaphore(value: 0)
        init(_ draft: AuditEntry) { self.draft = draft }
    }

    private let lock = NSLock()
    private var queue: [Slot] = []
    /// Whether a leader is committing (or about to): arrivals queue and wait.
    private var leading = false
    private var observer: (any AuditCommitObserver)?

    /// Replaces the observer told about each group (nil: none).
    func setObserver(_ observer: (any AuditCommitObserver)?) {
        lock.lock()
        self.observer = observer
        lock.unlock()
    }

    /// Queues `draft` (its time stamped now) and returns it chained and durable, leading a
    /// group commit through `commit` when no other caller is.
    func append(_ draft: AuditEntry, now: () -> Int64, commit: Commit) throws(VaultError) -> AuditEntry {
        let slot = Slot(draft)
        lock.lock()
        slot.draft.timeMilliseconds = now()
        queue.append(slot)
        if leading {
            lock.unlock()
            // Woken with a result (a leader committed this entry), or to lead the next group.
            slot.wake.wait()
            if let result = slot.result { return try result.get() }
        } else {
            leading = true
            lock.unlock()
        }
        lead(commit: commit)
        return try slot.result!.get()
    }

    /// Commits the waiting entries (this caller's among them) as one group and passes on the lead.
    private func lead(commit: Commit) {
        lock.lock()
        let count = min(queue.count, Self.maximumGroup)
        let group = Array(queue.prefix(count))
        queue.removeFirst(count)
        let observer = self.observer
        lock.unlock()

        let clock = ContinuousClock()
        let start = clock.now
        let results: Result<[AuditEntry], VaultError> = Result { () throws(VaultError) in try commit(group.map(\.draft)) }
        let duration = clock.now - start
        switch results {
        case let .success(entries):
            for (slot, entry) in zip(group, entries) { slot.result = .success(entry) }
        case let .failure(error):
            for slot in group { slot.result = .failure(error) }
        }

        lock.lock()
        let next = queue.first
        if next == nil { leading = false }
        lock.unlock()
        // The leader's own slot is first in its group and needs no wake-up.
        for slot in group.dropFirst() { slot.wake.signal() }
        next?.wake.signal()
        // After the wake-ups: the callers do not wait for the observer.
        switch results {
        case .success: observer?.auditCommitted(entries: group.count, duration: duration)
        case .failure: observer?.auditCommitFailed(entries: group.count, duration: duration)
        }
    }
}
