import Coffer
import CofferSupport

/// The anomaly rules of a review. Each is stated in `summary.json` with the thresholds used.
///
/// - `read_volume`: compares each actor with itself and with its role, never with a fixed
///   number alone. An actor's volume on a day is the number of *distinct* customers its allowed
///   reads named that day (reads, finds, exports, scoring, re-identifications ...): a bulk
///   export of 10,000 counts 10,000, and scoring the same 10,000 customers fourteen times in
///   a day still counts 10,000. A day of the period is flagged when its volume exceeds
///   max(F × the median of the actor's own active days in the B days before that day — earlier
///   days of the period included —, F × the median daily volume of the other actors of its role
///   on their active days in the baseline and the period, the floor M). An actor with no earlier
///   active day and no role peers has nothing to be compared with: it is not flagged but listed
///   under `unbaselined` with its largest day (its large single reads are in the bulk reads).
/// - `off_hours`: reads of customer data outside the working hours (UTC).
/// - `repeated_denials`: N or more denied attempts by one actor within W minutes.
enum Anomalies {
    static let readVolume = "read_volume"
    static let offHours = "off_hours"
    static let repeatedDenials = "repeated_denials"
    /// Findings listed at most (the rest are counted as truncated).
    static let maximumFindings = 500

    static func rules(_ s: ReviewSettings) -> [ReviewSummary.AnomalyRule] {
        let factor = SVGChart.format(s.volumeFactor)
        return [
            .init(id: readVolume, description: "The distinct customers an actor read in one day exceed the largest of \(factor)x the median of its own active days in the \(s.baselineDays) days before that day, \(factor)x the median daily volume of the other actors of its role, and \(s.minimumDailyReads) customers. Reading the same customers again (repeated scoring runs) does not add to a day's volume; an actor with no history and no role peers is listed as unbaselined, not flagged."),
            .init(id: offHours, description: "Reads of customer data outside \(hour(s.workHoursStart))-\(hour(s.workHoursEnd)) UTC."),
            .init(id: repeatedDenials, description: "\(s.denialThreshold) or more denied attempts by one actor within \(s.denialWindowMinutes) minutes."),
        ]
    }

    static func hour(_ h: Int) -> String { h < 10 ? "0\(h):00" : "\(h):00" }

    static func evaluate(activity: [ActivityKey: ActivityCount], actorRoles: [String: String], period: ReviewPeriod,
                         settings: ReviewSettings, denialFindings: [ReviewSummary.AnomalyFinding]) -> ReviewSummary.AnomalyReport {
        let volume = volumeFindings(activity: activity, actorRoles: actorRoles, period: period, settings: settings)
        var findings = volume.findings
        findings += offHoursFindings(activity: activity, actorRoles: actorRoles, settings: settings)
        findings += denialFindings
        let truncated = findings.count > maximumFindings
        return .init(rules: rules(settings), findings: Array(findings.prefix(maximumFindings)), truncated: truncated,
                     unbaselined: volume.unbaselined)
    }

    /// The median of `values` (0 for none).
    static func median(_ values: [Int64]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
    }

    static func volumeFindings(activity: [ActivityKey: ActivityCount], actorRoles: [String: String], period: ReviewPeriod,
                               settings: ReviewSettings) -> (findings: [ReviewSummary.AnomalyFinding], unbaselined: [ReviewSummary.Unbaselined]) {
        let firstDay = Int32(period.from.daysSinceEpoch), lastDay = Int32(period.to.daysSinceEpoch)
        let baselineStart = firstDay - Int32(settings.baselineDays)
        var ids: [String: [Int32: IDRuns]] = [:]
        for (key, count) in activity where key.outcome == "ok" && count.customers > 0 && key.action.readsCustomerData
            && key.day >= baselineStart && key.day <= lastDay {
            ids[key.actor, default: [:]][key.day, default: IDRuns()].formUnion(count.readIDs)
        }
        let daily = ids.mapValues { $0.mapValues(\.count) }
        // Role of actors seen only before the period: their latest role there.
        var roles = actorRoles
        var roleTime: [String: Int64] = [:]
        for (key, count) in activity where roles[key.actor] == nil || roleTime[key.actor] != nil {
            if count.lastTime >= roleTime[key.actor, default: .min] {
                roles[key.actor] = key.role
                roleTime[key.actor] = count.lastTime
            }
        }
        var findings: [ReviewSummary.AnomalyFinding] = []
        var unbaselined: [ReviewSummary.Unbaselined] = []
        for (actor, days) in daily.sorted(by: { $0.key < $1.key }) {
            let role = roles[actor] ?? ""
            let peers = median(daily.filter { $0.key != actor && roles[$0.key] == role }.flatMap { $0.value.values })
            var largestUncompared: (day: Int32, volume: Int64)?
            for (day, volume) in days.sorted(by: { $0.key < $1.key }) where day >= firstDay {
                let history = days.filter { $0.key < day && $0.key >= day - Int32(settings.baselineDays) }.map(\.value)
                let own = median(history)
                if history.isEmpty && peers == 0 {
                    if volume > largestUncompared?.volume ?? -1 { largestUncompared = (day, volume) }
                    continue
                }
                let threshold = max(settings.volumeFactor * own, settings.volumeFactor * peers, Double(settings.minimumDailyReads))
                guard Double(volume) > threshold else { continue }
                let ownText = own > 0 ? "its own median of \(SVGChart.format(own))/day" : "no reads of its own in the \(settings.baselineDays) days before"
                let peerText = peers > 0 ? "a median of \(SVGChart.format(peers))/day for other \(role) actors" : "no other \(role) actors reading"
                findings.append(.init(rule: readVolume, actor: actor, role: role, when: CivilDate(daysSinceEpoch: Int(day)).iso8601,
                                      value: Double(volume), threshold: threshold,
                                      explanation: "read \(volume) distinct customers in one day; threshold \(SVGChart.format(threshold)) (\(ownText); \(peerText); minimum \(settings.minimumDailyReads))",
                                      samples: []))
            }
            if let largestUncompared {
                unbaselined.append(.init(actor: actor, role: role, day: CivilDate(daysSinceEpoch: Int(largestUncompared.day)).iso8601,
                                         customers: largestUncompared.volume))
            }
        }
        return (findings, unbaselined)
    }

    static func offHoursFindings(activity: [ActivityKey: ActivityCount], actorRoles: [String: String],
                                 settings: ReviewSettings) -> [ReviewSummary.AnomalyFinding] {
        var counts: [String: (entries: Int, samples: [EntrySample])] = [:]
        for (key, count) in activity where key.offHours && key.outcome == "ok" && count.readEntries > 0 && key.action.readsCustomerData {
            var row = counts[key.actor] ?? (0, [])
            row.entries += count.readEntries
            row.samples += count.samples
            counts[key.actor] = row
        }
        return counts.sorted { $0.key < $1.key }.map { actor, row in
            let samples = Array(row.samples.sorted { $0.seq < $1.seq }.prefix(5))
            return .init(rule: offHours, actor: actor, role: actorRoles[actor] ?? "", when: samples.first?.time ?? "",
                         value: Double(row.entries), threshold: 0,
                         explanation: "\(row.entries) read\(row.entries == 1 ? "" : "s") of customer data outside \(hour(settings.workHoursStart))-\(hour(settings.workHoursEnd)) UTC",
                         samples: samples)
        }
    }
}

/// Finds bursts of denials per actor as denied entries arrive in log order. A burst opens when
/// an actor has `threshold` denials within the window, and takes in each further denial that
/// comes within one window of the previous one. Memory: the last `threshold` denials per actor.
struct DenialBurstDetector {
    let threshold: Int
    let windowMilliseconds: Int64
    private var recent: [String: [ReviewEvent]] = [:]
    /// Index in `findings` of each actor's open burst.
    private var open: [String: Int] = [:]
    private(set) var findings: [ReviewSummary.AnomalyFinding] = []

    init(threshold: Int, windowMilliseconds: Int64) {
        self.threshold = threshold
        self.windowMilliseconds = windowMilliseconds
    }

    mutating func observe(_ event: ReviewEvent) {
        var window = recent[event.actor] ?? []
        let previous = window.last?.timeMs
        window.removeAll { $0.timeMs <= event.timeMs - windowMilliseconds }
        window.append(event)
        if window.count > threshold { window.removeFirst(window.count - threshold) }
        recent[event.actor] = window
        if let index = open[event.actor], let previous, event.timeMs - previous < windowMilliseconds {
            findings[index].value += 1
            if findings[index].samples.count < 5 { findings[index].samples.append(EntrySample(seq: event.seq, time: event.time)) }
            findings[index].explanation = Self.explain(count: Int(findings[index].value), threshold: threshold, window: windowMilliseconds)
            return
        }
        open[event.actor] = nil
        guard window.count >= threshold else { return }
        open[event.actor] = findings.count
        findings.append(.init(rule: Anomalies.repeatedDenials, actor: event.actor, role: event.role, when: window[0].time,
                              value: Double(window.count), threshold: Double(threshold),
                              explanation: Self.explain(count: window.count, threshold: threshold, window: windowMilliseconds),
                              samples: window.prefix(5).map { EntrySample(seq: $0.seq, time: $0.time) }))
    }

    static func explain(count: Int, threshold: Int, window: Int64) -> String {
        "\(count) denied attempts in a burst (\(threshold) or more within \(window / 60_000) minutes)"
    }
}
