import Coffer
import Foundation

/// The days a review covers: `from` through `to`, both included, as whole UTC days.
public struct ReviewPeriod: Sendable, Equatable {
    public let from: CivilDate
    public let to: CivilDate
    /// Longest period one package covers (about ten years), so per-day tables stay small.
    public static let maximumDays = 3_660

    /// Which end of the period a value gives.
    public enum Bound: Sendable, Equatable {
        /// The first day (`from`).
        case first
        /// The last day, included (`to`).
        case last

        /// The day, in words.
        public var name: String { self == .first ? "the first day of the period" : "the last day of the period" }
    }

    /// Checks the period: `from` must not be after `to`, and it must span at most `maximumDays`.
    public init(from: CivilDate, to: CivilDate) throws(ReviewError) {
        guard from <= to else { throw .periodReversed(from: from, to: to) }
        guard to.daysSinceEpoch - from.daysSinceEpoch < Self.maximumDays else {
            throw .periodTooLong(from: from, to: to, maximumDays: Self.maximumDays)
        }
        self.from = from
        self.to = to
    }

    /// Parses the two days of a period in `DateInput`'s day forms: `today`, `yesterday`,
    /// `YYYY-MM-DD`, or `YYYY-MM` (its first day for `from`, its last for `to`).
    public init(from: String, to: String, today: CivilDate = .today) throws(ReviewError) {
        try self.init(from: try Self.parse(from, .first, today: today), to: try Self.parse(to, .last, today: today))
    }

    /// The whole month `YYYY-MM`.
    public init(month: String) throws(ReviewError) {
        guard let days = DateInput.month(month) else { throw .notAMonth(month) }
        try self.init(from: days.first, to: days.last)
    }

    /// The period a request gives: a month, or a first and a last day, never both.
    public init(from: String?, to: String?, month: String?, today: CivilDate = .today) throws(ReviewError) {
        switch (from, to, month) {
        case let (nil, nil, month?): try self.init(month: month)
        case let (from?, to?, nil): try self.init(from: from, to: to, today: today)
        case (nil, nil, nil): throw .periodMissing
        case (_, _, _?): throw .monthWithDays
        case (nil, _, nil): throw .dayMissing(.first)
        case (_, nil, nil): throw .dayMissing(.last)
        }
    }

    static func parse(_ text: String, _ bound: Bound, today: CivilDate) throws(ReviewError) -> CivilDate {
        guard let date = DateInput.day(text, bound == .first ? .start : .end, today: today) else { throw .notADate(bound, text: text) }
        return date
    }

    /// Refuses a period that has not ended by `today` (UTC): its package would be incomplete
    /// and a later one would repeat it. A period ending today is allowed and covers the log up
    /// to the moment of export (the package's head entry).
    public func checkEnded(today: CivilDate = .today) throws(ReviewError) {
        guard to <= today else { throw .periodInFuture(to: to, today: today) }
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

    /// One threshold, as errors name it.
    public enum Setting: Sendable, Equatable, CaseIterable {
        case rotationPeriodDays, inactiveDays, workHours, bulkReadMinimum, baselineDays, volumeFactor, minimumDailyReads
        case denialThreshold, denialWindowMinutes

        /// What the setting is, in words.
        public var name: String {
            switch self {
            case .rotationPeriodDays: "the key rotation period (days)"
            case .inactiveDays: "the inactivity period (days)"
            case .workHours: "the working-hours range (UTC)"
            case .bulkReadMinimum: "the bulk read minimum (customers in one entry)"
            case .baselineDays: "the baseline period (days)"
            case .volumeFactor: "the read volume factor"
            case .minimumDailyReads: "the minimum daily reads (customers)"
            case .denialThreshold: "the denial threshold (denials by one actor)"
            case .denialWindowMinutes: "the denial window"
            }
        }

        /// The values it takes.
        public var requirement: String {
            switch self {
            case .rotationPeriodDays, .inactiveDays, .volumeFactor, .minimumDailyReads: "at least 1"
            case .workHours: "HH-HH with 0 <= start < end <= 24 (UTC), e.g. 07-19"
            case .bulkReadMinimum, .denialThreshold: "at least 2"
            case .baselineDays: "from 1 to 366"
            case .denialWindowMinutes: "from 1 to 1440 minutes"
            }
        }
    }

    /// Whether `setting` holds a value it takes.
    public func isValid(_ setting: Setting) -> Bool {
        switch setting {
        case .rotationPeriodDays: rotationPeriodDays >= 1
        case .inactiveDays: inactiveDays >= 1
        case .workHours: (0...23).contains(workHoursStart) && (1...24).contains(workHoursEnd) && workHoursStart < workHoursEnd
        case .bulkReadMinimum: bulkReadMinimum >= 2
        case .baselineDays: (1...366).contains(baselineDays)
        case .volumeFactor: volumeFactor >= 1 && volumeFactor.isFinite
        case .minimumDailyReads: minimumDailyReads >= 1
        case .denialThreshold: denialThreshold >= 2
        case .denialWindowMinutes: (1...1_440).contains(denialWindowMinutes)
        }
    }

    /// Refuses thresholds that make no sense, naming the first setting to fix.
    public func validate() throws(ReviewError) {
        if let setting = Setting.allCases.first(where: { !isValid($0) }) { throw .settingOutOfRange(setting) }
    }

    /// Parses `HH-HH` (e.g. `07-19`) into working hours.
    public mutating func setWorkHours(_ text: String) throws(ReviewError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isASCII) }),
              let start = Int(parts[0]), let end = Int(parts[1]) else {
            throw .workHoursMalformed(text)
        }
        workHoursStart = start
        workHoursEnd = end
        try validate()
    }
}
