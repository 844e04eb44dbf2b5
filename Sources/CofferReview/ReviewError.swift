import Coffer

/// What a review refuses, each saying what is wrong and what to do, in the review's own terms:
/// the period, a setting, the package directory. An adapter (the command-line tool, a server)
/// words the remedy in its own (which flag or field gives that value); vault errors met on the
/// way (permissions, a tampered log, a file that cannot be written) travel as `vault`.
public enum ReviewError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A day of the period that is not a `YYYY-MM-DD` date.
    case notADate(ReviewPeriod.Bound, text: String)
    /// A month that is not `YYYY-MM`.
    case notAMonth(String)
    /// Both a month and days were given for one period.
    case monthWithDays
    /// Neither a month nor days were given.
    case periodMissing
    /// One day of the period was given without the other.
    case dayMissing(ReviewPeriod.Bound)
    /// The period ends after today (UTC): it has not ended, so its package would be incomplete.
    case periodInFuture(to: CivilDate, today: CivilDate)
    /// The first day of the period is after its last.
    case periodReversed(from: CivilDate, to: CivilDate)
    /// The period spans more than `maximumDays` days.
    case periodTooLong(from: CivilDate, to: CivilDate, maximumDays: Int)
    /// A threshold outside the values it takes (`setting.requirement`).
    case settingOutOfRange(ReviewSettings.Setting)
    /// Working hours that are not `HH-HH`.
    case workHoursMalformed(String)
    /// The package directory exists and is a file (or anything but a directory).
    case packageTargetNotADirectory(path: String)
    /// The package directory exists and holds files.
    case packageTargetNotEmpty(path: String)
    /// The directory the package directory would go in does not exist.
    case packageParentMissing(parent: String, target: String)
    /// Something appeared in the package directory while the package was written.
    case packageTargetChanged(path: String, reason: String)
    /// A vault error met while exporting: permissions, the audit log, writing the files.
    case vault(VaultError)

    /// The message in the review's own words.
    public var description: String { message(naming: .words) }

    /// The message with the values the user gave named by `naming`: an adapter passes its
    /// own names (the command-line tool, its flags) and keeps the wording and the remedy.
    /// A vault error keeps its own description.
    public func message(naming: Naming) -> String {
        switch self {
        case let .notADate(bound, text):
            "\(naming.day(bound)) '\(text)' is not a day; use today, yesterday, YYYY-MM-DD or YYYY-MM (UTC), e.g. 2026-01-31"
        case let .notAMonth(text):
            "\(naming.month) '\(text)' is not a month; use YYYY-MM, e.g. 2026-01"
        case .monthWithDays:
            "give either \(naming.month) or \(naming.day(.first)) and \(naming.day(.last)), not both"
        case .periodMissing:
            "give the period: \(naming.month), or \(naming.day(.first)) and \(naming.day(.last))"
        case let .dayMissing(bound):
            "\(naming.day(bound == .first ? .last : .first)) needs \(naming.day(bound)) too (or give \(naming.month) instead)"
        case let .periodInFuture(to, today):
            "the period ends on \(to), after today (\(today), UTC): it has not ended, so its package would be incomplete; end it today or earlier (a period ending today covers the log up to the export)"
        case let .periodReversed(from, to):
            "\(naming.day(.first)) \(from) is after \(naming.day(.last)) \(to); give the first day of the period, then the last"
        case let .periodTooLong(from, to, maximumDays):
            "the period \(from) to \(to) is longer than \(maximumDays) days; export a shorter period"
        case let .settingOutOfRange(setting):
            "\(naming.setting(setting)) must be \(setting.requirement)"
        case let .workHoursMalformed(text):
            "\(naming.setting(.workHours)) '\(text)' is not HH-HH; give UTC hours like 07-19"
        case let .packageTargetNotADirectory(path):
            "\(naming.packageDirectory(path)) exists and is not a directory; give a new directory for the package"
        case let .packageTargetNotEmpty(path):
            "\(naming.packageDirectory(path)) exists and is not empty; give a new directory (a package is never written over files)"
        case let .packageParentMissing(parent, target):
            "the directory \(parent) (where \(naming.packageDirectory(target)) would go) does not exist; create it first"
        case let .packageTargetChanged(path, reason):
            "\(naming.packageDirectory(path)) changed while the package was written (\(reason)); nothing was written there"
        case let .vault(error):
            error.description
        }
    }

    /// How a message names the values the user gave: a day of the period, a setting, the
    /// package directory (given its path).
    public struct Naming: Sendable {
        public var day: @Sendable (ReviewPeriod.Bound) -> String
        public var setting: @Sendable (ReviewSettings.Setting) -> String
        public var packageDirectory: @Sendable (String) -> String
        /// A whole month given as the period.
        public var month: String

        public init(day: @escaping @Sendable (ReviewPeriod.Bound) -> String, setting: @escaping @Sendable (ReviewSettings.Setting) -> String,
                    packageDirectory: @escaping @Sendable (String) -> String, month: String = "the month") {
            self.month = month
            self.day = day
            self.setting = setting
            self.packageDirectory = packageDirectory
        }

        /// The review's own words (`description`).
        public static let words = Naming(day: { $0.name }, setting: { $0.name }, packageDirectory: { "the package directory \($0)" })
    }
}

extension ReviewError {
    /// A stable snake_case name for the case (the `code` of an `ErrorBody`); a vault error keeps
    /// its own.
    public var code: String {
        switch self {
        case .notADate: "not_a_date"
        case .notAMonth: "not_a_month"
        case .monthWithDays: "month_with_days"
        case .periodMissing: "period_missing"
        case .dayMissing: "day_missing"
        case .periodInFuture: "period_in_future"
        case .periodReversed: "period_reversed"
        case .periodTooLong: "period_too_long"
        case .settingOutOfRange: "setting_out_of_range"
        case .workHoursMalformed: "work_hours_malformed"
        case .packageTargetNotADirectory: "package_target_not_a_directory"
        case .packageTargetNotEmpty: "package_target_not_empty"
        case .packageParentMissing: "package_parent_missing"
        case .packageTargetChanged: "package_target_changed"
        case let .vault(error): error.code
        }
    }
}
