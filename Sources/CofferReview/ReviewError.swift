import Coffer

/// What a review refuses, each saying what is wrong and what to do, in the review's own terms:
/// the period, a setting, the package directory. An adapter (the command-line tool, a server)
/// words the remedy in its own (which flag or field gives that value); vault errors met on the
/// way (permissions, a tampered log, a file that cannot be written) travel as `vault`.
public enum ReviewError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A day of the period that is not a `YYYY-MM-DD` date.
    case notADate(ReviewPeriod.Bound, text: String)
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

    public var description: String {
        switch self {
        case let .notADate(bound, text):
            "\(bound.name) ('\(text)') is not a date; use YYYY-MM-DD (a UTC day), e.g. 2026-01-31"
        case let .periodReversed(from, to):
            "the first day of the period (\(from)) is after its last day (\(to)); give the first day, then the last"
        case let .periodTooLong(from, to, maximumDays):
            "the period \(from) to \(to) is longer than \(maximumDays) days; export a shorter period"
        case let .settingOutOfRange(setting):
            "\(setting.name) must be \(setting.requirement)"
        case let .workHoursMalformed(text):
            "the working hours '\(text)' are not HH-HH; give UTC hours like 07-19"
        case let .packageTargetNotADirectory(path):
            "the package directory \(path) exists and is not a directory; give a new directory for the package"
        case let .packageTargetNotEmpty(path):
            "the package directory \(path) exists and is not empty; give a new directory (a package is never written over files)"
        case let .packageParentMissing(parent, target):
            "the directory \(parent) (where the package directory \(target) would go) does not exist; create it first"
        case let .packageTargetChanged(path, reason):
            "the package directory \(path) changed while the package was written (\(reason)); nothing was written there"
        case let .vault(error):
            error.description
        }
    }
}
