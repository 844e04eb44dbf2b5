import Coffer
import Foundation

/// The in-order half of the review pass: merges each batch's counts and notable entries
/// (on one thread, in log order), then turns them and the vault's state into a `ReviewSummary`.
final class ReviewAccumulator {
    let period: ReviewPeriod
    let settings: ReviewSettings
    /// Entries listed per kind (all are counted; `events.jsonl` has every one).
    static let listLimit = 200
    static let largestBulkReads = 50

    private(set) var activity: [ActivityKey: ActivityCount] = [:]
    private(set) var periodEntries = 0
    private(set) var first: (seq: Int64, time: Int64)?
    private(set) var last: (seq: Int64, time: Int64)?
    private var sizeCounts = [Int](repeating: 0, count: ReviewScan.sizeBins.count)
    private var lists: [AuditAction.ReviewCategory: ReviewSummary.EventList] = [:]
    private var denials = ReviewSummary.EventList()
    private var bulk: ReviewSummary.BulkReads
    private var denialBursts: DenialBurstDetector

    init(period: ReviewPeriod, settings: ReviewSettings) {
        self.period = period
        self.settings = settings
        bulk = ReviewSummary.BulkReads(minimumCustomers: settings.bulkReadMinimum)
        denialBursts = DenialBurstDetector(threshold: settings.denialThreshold,
                                           windowMilliseconds: Int64(settings.denialWindowMinutes) * 60_000)
    }

    func merge(_ batch: ReviewBatchResult) {
        for (key, count) in batch.activity { activity[key, default: ActivityCount()].add(count, sampleLimit: 3) }
        periodEntries += batch.periodEntries
        if first == nil { first = batch.first }
        if let last = batch.last { self.last = last }
        for (i, n) in batch.sizeCounts.enumerated() { sizeCounts[i] += n }
        for event in batch.notable {
            if event.outcome == "denied" {
                Self.add(event, to: &denials)
                denialBursts.observe(event)
            }
            // Refused or failed attempts are listed with the denials, not as exports, erasures ...
            if event.outcome == "ok", let category = event.action.reviewCategory {
                Self.add(event, to: &lists[category, default: .init()])
            }
            if event.outcome == "ok", event.action.readsCustomerData, event.customerCount >= Int64(settings.bulkReadMinimum) {
                addBulkRead(event)
            }
        }
    }

    private static func add(_ event: ReviewEvent, to list: inout ReviewSummary.EventList) {
        list.count += 1
        list.customers += event.customerCount
        if list.listed.count < listLimit { list.listed.append(event) } else { list.truncated = true }
    }

    private func addBulkRead(_ event: ReviewEvent) {
        bulk.count += 1
        bulk.customers += event.customerCount
        if bulk.largest.count == Self.largestBulkReads, let smallest = bulk.largest.last, smallest.customerCount >= event.customerCount { return }
        let index = bulk.largest.firstIndex { $0.customerCount < event.customerCount } ?? bulk.largest.count
        bulk.largest.insert(event, at: index)
        if bulk.largest.count > Self.largestBulkReads { bulk.largest.removeLast() }
    }

    /// Everything the summary needs from outside the log.
    struct VaultState {
        var vaultID: String
        var generatedBy: String
        var now: Int64
        var keys: [KeyRow]
        var customers: Int
        var users: [UserState]
        var policy: Policy
        var history: [PolicyVersion]
        var verification: AuditVerification
        var head: AuditEntry
        var checkpoint: AuditCheckpoint
    }

    struct KeyRow {
        var kind: String
        var version: Int64
        var state: String
        var createdAt: Int64
        var retiredAt: Int64?
        var uses: Int64
        var customers: Int?
    }

    struct UserState {
        var name: String
        var role: String
        var createdAt: Int64
        var revoked: Bool
        var intact: Bool
    }

    /// Actions that make a role privileged in the users section.
    static let privilegedActions: [Action] = [.manageUsers, .manageKeys, .reidentify, .erase]

    func summary(_ state: VaultState) -> ReviewSummary {
        let periodRows = activity.filter { $0.key.day >= Int32(period.from.daysSinceEpoch) }
        var totals = ReviewSummary.Totals()
        var actors: [String: ReviewSummary.ActorActivity] = [:]
        var actorRoleTime: [String: Int64] = [:]
        var roles: [String: ReviewSummary.Count] = [:], actions: [String: ReviewSummary.Count] = [:], purposes: [String: ReviewSummary.Count] = [:]
        var days: [Int32: ReviewSummary.DayActivity] = [:]
        for (key, count) in periodRows {
            let denied = key.outcome == "denied" ? count.entries : 0
            let reads = key.outcome == "ok" && key.action.readsCustomerData ? count.customers : 0
            totals.entries += count.entries
            totals.ok += key.outcome == "ok" ? count.entries : 0
            totals.denied += denied
            totals.failed += key.outcome == "failed" ? count.entries : 0
            totals.customersRead += reads
            var actor = actors[key.actor] ?? ReviewSummary.ActorActivity(actor: key.actor, role: key.role)
            if count.lastTime >= actorRoleTime[key.actor, default: .min] {
                actor.role = key.role
                actorRoleTime[key.actor] = count.lastTime
            }
            actor.entries += count.entries
            actor.denied += denied
            actor.failed += key.outcome == "failed" ? count.entries : 0
            actor.readEntries += reads > 0 ? count.readEntries : 0
            actor.customersRead += reads
            if key.offHours, reads > 0 { actor.offHoursReads += count.readEntries }
            actors[key.actor] = actor
            Self.count(&roles[key.role, default: .init(name: key.role)], count.entries, denied, reads)
            Self.count(&actions[key.action.rawValue, default: .init(name: key.action.rawValue)], count.entries, denied, reads)
            let purpose = key.purpose.isEmpty ? "(none)" : key.purpose
            Self.count(&purposes[purpose, default: .init(name: purpose)], count.entries, denied, reads)
            var day = days[key.day] ?? ReviewSummary.DayActivity(day: CivilDate(daysSinceEpoch: Int(key.day)).iso8601)
            day.entries += count.entries
            day.denied += denied
            if reads > 0 { day.customersReadByRole[key.role, default: 0] += reads }
            days[key.day] = day
        }
        totals.actors = actors.count
        let allDays = (period.from.daysSinceEpoch...period.to.daysSinceEpoch).map { d in
            days[Int32(d)] ?? ReviewSummary.DayActivity(day: CivilDate(daysSinceEpoch: d).iso8601)
        }
        func ranked(_ table: [String: ReviewSummary.Count]) -> [ReviewSummary.Count] {
            table.values.sorted { ($0.entries, $1.name) > ($1.entries, $0.name) }
        }
        var histogram: [ReviewSummary.SizeBin] = []
        for (i, bin) in ReviewScan.sizeBins.enumerated() {
            histogram.append(.init(label: bin.label, lower: bin.lower, upper: bin.upper == .max ? nil : bin.upper, entries: sizeCounts[i]))
        }
        var bulk = self.bulk
        bulk.sizeHistogram = histogram
        let anomalies = Anomalies.evaluate(activity: activity, actorRoles: actors.mapValues(\.role), period: period,
                                           settings: settings, denialFindings: denialBursts.findings)
        return ReviewSummary(
            vaultID: state.vaultID, generatedAt: ReviewClock.iso(state.now), generatedBy: state.generatedBy,
            period: .init(from: period.from.iso8601, to: period.to.iso8601, startMs: period.startMilliseconds,
                          endMs: period.endMilliseconds, days: period.days),
            settings: settings, totals: totals,
            byActor: actors.values.sorted { ($0.customersRead, $0.entries, $1.actor) > ($1.customersRead, $1.entries, $0.actor) },
            byRole: ranked(roles), byAction: ranked(actions), byPurpose: ranked(purposes), days: allDays,
            denials: denials, reidentifications: lists[.reidentification] ?? .init(), handoffs: lists[.handoff] ?? .init(),
            exports: lists[.export] ?? .init(), erasures: lists[.erasure] ?? .init(), bulkReads: bulk,
            keys: keyInventory(state), users: userReview(state), policy: policyReview(state),
            auditChain: .init(intact: state.verification.isIntact, entriesChecked: state.verification.entries,
                              lastSeq: state.verification.lastSeq,
                              firstInPeriod: first.map { EntrySample(seq: $0.seq, time: ReviewClock.iso($0.time)) },
                              lastInPeriod: last.map { EntrySample(seq: $0.seq, time: ReviewClock.iso($0.time)) },
                              head: EntrySample(seq: state.head.seq, time: ReviewClock.iso(state.head.timeMilliseconds)),
                              checkpoint: state.checkpoint),
            anomalies: anomalies)
    }

    private static func count(_ row: inout ReviewSummary.Count, _ entries: Int, _ denied: Int, _ reads: Int64) {
        row.entries += entries
        row.denied += denied
        row.customersRead += reads
    }

    private func keyInventory(_ state: VaultState) -> ReviewSummary.KeyInventory {
        var overdue: [String] = []
        let keys = state.keys.map { key -> ReviewSummary.KeyVersion in
            let age = Int((state.now / 1000 - key.createdAt) / 86_400)
            var note = "", late = false
            if key.kind == KeyRing.Kind.kek.rawValue {
                if key.state == KeyState.active.rawValue, age > settings.rotationPeriodDays {
                    late = true
                    note = "active for \(age) days, longer than the \(settings.rotationPeriodDays)-day rotation period: run `coffer keys rotate` and `coffer keys rewrap`"
                } else if key.state == KeyState.decryptOnly.rawValue, (key.customers ?? 0) > 0 {
                    late = true
                    note = "superseded but still wraps \(key.customers ?? 0) customers' data keys: run `coffer keys rewrap`, then `coffer keys retire \(key.version)`"
                } else if key.state == KeyState.decryptOnly.rawValue {
                    note = "superseded and unused: can be retired"
                }
            } else {
                note = "this Coffer version does not rotate \(key.kind) keys"
            }
            if late { overdue.append("\(key.kind) v\(key.version)") }
            return .init(kind: key.kind, version: key.version, state: key.state, createdAt: ReviewClock.iso(key.createdAt * 1000),
                         retiredAt: key.retiredAt.map { ReviewClock.iso($0 * 1000) }, ageDays: age,
                         uses: key.kind == KeyRing.Kind.kek.rawValue ? key.uses : nil, customers: key.customers,
                         overdue: late, note: note)
        }
        return .init(rotationPeriodDays: settings.rotationPeriodDays, customers: state.customers, keys: keys, overdue: overdue,
                     events: lists[.keyEvent] ?? .init())
    }

    private func userReview(_ state: VaultState) -> ReviewSummary.UserReview {
        var lastSeen: [String: Int64] = [:]
        for (key, count) in activity { lastSeen[key.actor] = max(lastSeen[key.actor] ?? .min, count.lastTime) }
        let reference = min(period.endMilliseconds, state.now)
        let cutoff = reference - Int64(settings.inactiveDays) * ReviewClock.dayMilliseconds
        let rows = state.users.map { user -> ReviewSummary.UserRow in
            let privileged = state.policy[user.role].map { role in Self.privilegedActions.contains(where: role.allows) } ?? false
            let seen = lastSeen[user.name]
            let inactive = !user.revoked && user.createdAt * 1000 < cutoff && (seen ?? .min) < cutoff
            return .init(name: user.name, role: user.role, createdAt: ReviewClock.iso(user.createdAt * 1000), revoked: user.revoked,
                         privileged: privileged, lastSeen: seen.map(ReviewClock.iso), inactive: inactive, intact: user.intact)
        }
        return .init(inactiveDays: settings.inactiveDays, privilegedActions: Self.privilegedActions.map(\.rawValue), users: rows,
                     privileged: rows.filter { $0.privileged && !$0.revoked }.map(\.name), inactive: rows.filter(\.inactive).map(\.name),
                     roleChanges: lists[.roleChange] ?? .init())
    }

    private func policyReview(_ state: VaultState) -> ReviewSummary.PolicyReview {
        let intact = state.history.filter(\.intact)
        func text(_ digest: String) -> String? { intact.last { $0.digest == digest }?.yaml }
        var changes: [ReviewSummary.PolicyChange] = []
        for event in (lists[.policyChange] ?? .init()).listed {
            if event.action == .vaultCreate {
                let digest = event.detail.components(separatedBy: "policy ").last ?? ""
                changes.append(.init(seq: event.seq, time: event.time, actor: event.actor, oldDigest: "", newDigest: digest, diff: "",
                                     note: "the vault was created with this policy"))
                continue
            }
            // The audit entry (MAC-chained) names the digests; the texts come from the history.
            let parts = event.detail.replacingOccurrences(of: "policy ", with: "").components(separatedBy: " -> ")
            let old = parts.first ?? "", new = parts.count > 1 ? parts[1] : ""
            var change = ReviewSummary.PolicyChange(seq: event.seq, time: event.time, actor: event.actor, oldDigest: old, newDigest: new,
                                                    diff: "", note: "")
            if let before = text(old), let after = text(new) {
                change.diff = PolicyDiff.unified(old: before, new: after, oldLabel: "policy \(old.prefix(12))", newLabel: "policy \(new.prefix(12))")
                if change.diff.isEmpty { change.note = "no textual change" }
            } else {
                change.note = "the policy text is not in the vault's history (applied before history was kept, or the history row fails its MAC); only the digests are known"
            }
            changes.append(change)
        }
        return .init(inForceDigest: state.policy.digest, changes: changes,
                     alteredHistoryRows: state.history.filter { !$0.intact }.map(\.id))
    }
}
