import Coffer

/// An input as rules see it: a field from a role's view or a derived value attribute.
struct Observation: Sendable {
    var label: String
    /// Closed numeric interval the label stands for (nil ends unbounded); meaningful when `isNumeric`.
    var lower: Double?
    var upper: Double?
    var isNumeric: Bool
    /// Days (since 1970-01-01) a date label can stand for.
    var days: ClosedRange<Int>?
    /// A plain number shown as such (reasons then name the rule, not the exact value).
    var isExactNumber: Bool
    var isReadable: Bool

    init(_ value: ViewedValue) {
        label = value.label
        lower = value.lower
        upper = value.upper
        isNumeric = value.isNumeric
        days = value.days
        isExactNumber = value.form == .plain && value.isNumeric
        isReadable = value.form != .unreadable
    }

    init(label: String) {
        self.label = label
        isNumeric = false
        isExactNumber = false
        isReadable = true
    }

    init(number: Double) {
        label = formatNumber(number)
        lower = number
        upper = number
        isNumeric = true
        isExactNumber = true
        isReadable = true
    }
}

/// The outcome of testing one condition on one customer.
public enum Verdict: UInt8, Sendable, Equatable {
    case match
    case noMatch
    /// The value's band straddles the rule's threshold: it may or may not hold.
    case indeterminate
    /// The customer has no value: unknown, which is not the same as no.
    case missing
    /// A value is stored but cannot be read as the view promises.
    case invalid

    var isKnown: Bool { self == .match || self == .noMatch || self == .indeterminate }
}

extension Operator {
    /// Tests `observation` (nil: missing).
    func verdict(_ observation: Observation?) -> Verdict {
        if case let .missing(wanted) = self {
            let absent = observation == nil
            return absent == wanted ? .match : .noMatch
        }
        guard let observation else { return .missing }
        guard observation.isReadable else { return .invalid }
        switch self {
        case let .oneOf(labels):
            if labels.contains(observation.label) { return .match }
            // Labels the view cannot list in advance (free text such as an industry) match
            // without regard to case: `equals: software` holds for "Software".
            if !observation.isNumeric, labels.contains(where: { sameIgnoringCase($0, observation.label) }) { return .match }
            // A plain number equals a label that reads as the same number: decimals keep the
            // digits they were imported with, so "5000.00" must match `equals: 5000`.
            if observation.isExactNumber, observation.days == nil, let x = observation.lower,
               labels.contains(where: { Double($0) == x }) {
                return .match
            }
            return .noMatch
        case let .range(min, max):
            guard observation.isNumeric else { return .invalid }
            if Self.disjoint(observation, min, max) { return .noMatch }
            let inside = (min.map { m in observation.lower.map { $0 >= m } ?? false } ?? true)
                && (max.map { m in observation.upper.map { $0 <= m } ?? false } ?? true)
            return inside ? .match : .indeterminate
        case let .overlaps(min, max):
            guard observation.isNumeric else { return .invalid }
            return Self.disjoint(observation, min, max) ? .noMatch : .match
        case .missing:
            return .invalid // handled above
        }
    }

    /// Whether the observation's interval and `[min, max]` share no value.
    private static func disjoint(_ o: Observation, _ min: Double?, _ max: Double?) -> Bool {
        if let max, let lower = o.lower, lower > max { return true }
        if let min, let upper = o.upper, upper < min { return true }
        return false
    }
}

/// Whether two labels are equal ignoring case (ASCII without allocating; others by Unicode
/// lowercase mapping).
func sameIgnoringCase(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    if x.allSatisfy({ $0 < 0x80 }) && y.allSatisfy({ $0 < 0x80 }) {
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { p, q in p == q || (p | 0x20 == q | 0x20 && (p | 0x20) >= 0x61 && (p | 0x20) <= 0x7A) }
    }
    return a.lowercased() == b.lowercased()
}
