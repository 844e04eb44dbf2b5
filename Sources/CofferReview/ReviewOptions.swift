import Coffer
import Foundation

/// The days a review covers: `from` through `to`, both included, as whole UTC days.
public struct ReviewPeriod: Sendable, Equatable {
    public let from: CivilDate
    public let to: CivilDate
    /// Longest period one package covers (about ten years), so per-day tables stay small.
    public static let maximumDays = 3_660

    /// Checks the period: `from` must not be after `to`, and it must span at most `maximumDays`.
    public init(from: CivilDate, to: CivilDate) throws(VaultError) {
        guard from <= to else {
            throw .invalidInput("--from \(from) is after --to \(to); give the first day of the period, then the last")
        }
        guard to.daysSinceEpoch - from.daysSinceEpoch < Self.maximumDays else {
            throw .invalidInput("the period \(from) to \(to) is longer than \(Self.maximumDays) days; export a shorter period")
        }
        self.from = from
        self.to = to
    }

    /// Parses `YYYY-MM-DD` dates (as `--from` and `--to` take them).
    public init(from: String, to: String) throws(VaultError) {
        try self.init(from: try Self.parse(from, option: "--from"), to: try Self.parse(to, option: "--to"))
    }

    static func parse(_ text: String, option: String) throws(VaultError) -> CivilDate {
        guard let date = CivilDate(iso8601: text) else {
            throw .invalidInput("\(option) '\(text)' is not a date; use YYYY-MM-DD (a UTC day), e.g. 2026-01-31")
        }
        return date
    }

    /// First millisecond of `from` (UTC).
    public var startMilliseconds: Int64 { Int64(from.daysSinceEpoch) * 86_400_000 }
    /// First millisecond after `to` (UTC): the period is `start..<end`.
    public var endMilliseconds: Int64 { Int64(to.daysSinceEpoch + 1) * 86_400_000 }
    /// Number of days in the period.
    public var days: Int { to.daysSinceEpoch - from.daysSinceEpoch + 1 }
}

/// Thresholds of a review: key rotation, inactivity, working hours and the anomaly rules.
/// The values used are written into `summary.json` with the findings they produced.
public struct ReviewSettings: Sendable, Equatable, Codable {
    /// A KEK older than this many days is reported as overdue for rotation.
    public var rotationPeriodDays = 90
    /// A user with no audit entry in this many days before the end of the period is inactive.
    public var inactiveDays = 30
    /// Working hours, UTC, as `start..<end` hours; reads outside them are reported.
    public var workHoursStart = 7
    public var workHoursEnd = 19
    /// A read of at least this many customers in one entry is a bulk read.
    public var bulkReadMinimum = 100
    /// Days before the period from which each actor's own baseline is taken.
    public var baselineDays = 28
    /// An actor's daily read volume is anomalous above this multiple of its baseline and of its role's.
    public var volumeFactor = 3.0
    /// ... and only above this many customers read in the day.
    public var minimumDailyReads = 1_000
    /// This many denials by one actor ...
    public var denialThreshold = 5
    /// ... within this many minutes are reported.
    public var denialWindowMinutes = 10

    public init() {}

    /// Refuses thresholds that make no sense, naming the flag to fix.
    public func validate() throws(VaultError) {
        func require(_ ok: Bool, _ message: String) throws(VaultError) {
            guard ok else { throw .invalidInput(message) }
        }
        try require(rotationPeriodDays >= 1, "--rotation-days must be at least 1")
        try require(inactiveDays >= 1, "--inactive-days must be at least 1")
        try require((0...23).contains(workHoursStart) && (1...24).contains(workHoursEnd) && workHoursStart < workHoursEnd,
                    "--work-hours must be HH-HH with 0 <= start < end <= 24 (UTC), e.g. 07-19")
        try require(bulkReadMinimum >= 2, "--bulk-read-min must be at least 2")
        try require((1...366).contains(baselineDays), "--baseline-days must be from 1 to 366")
        try require(volumeFactor >= 1 && volumeFactor.isFinite, "--volume-factor must be at least 1")
        try require(minimumDailyReads >= 1, "--min-daily-reads must be at least 1")
        try require(denialThreshold >= 2, "--denials must be at least 2")
        try require((1...1_440).contains(denialWindowMinutes), "--denial-window must be from 1 to 1440 minutes")
    }

    /// Parses `HH-HH` (e.g. `07-19`) into working hours.
    public mutating func setWorkHours(_ text: String) throws(VaultError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isASCII) }),
              let start = Int(parts[0]), let end = Int(parts[1]) else {
            throw .invalidInput("--work-hours '\(text)' is not HH-HH; give UTC hours like 07-19")
        }
        workHoursStart = start
        workHoursEnd = end
        try validate()
    }
}
