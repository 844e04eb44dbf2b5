import CofferCrypto

/// A generalized value: what the reader sees and, for numeric bands and age bands, the
/// half-open interval `[lower, upper)` it stands for (so band-aware scoring need not parse labels).
public struct GeneralizedValue: Sendable, Equatable {
    public var label: String
    /// Inclusive lower bound; nil when unbounded below or not numeric (months, quarters, prefixes).
    public var lower: Double?
    /// Exclusive upper bound; nil when unbounded above or not numeric.
    public var upper: Double?

    public init(label: String, lower: Double? = nil, upper: Double? = nil) {
        self.label = label
        self.lower = lower
        self.upper = upper
    }
}

/// Applies a field view to one canonical (already validated) value. Pure: no I/O, no state
/// beyond the pseudonymizer's keyed contexts.
///
/// A value that does not parse as its type (which validation should have prevented) or that the
/// view cannot represent renders as nil, like a redacted one; nothing here traps on input.
struct ViewRenderer {
    /// The value as `view` shows it; nil for `.redacted` and for values the view cannot represent.
    static func render(_ value: String, field: FieldSpec, view: FieldView, pseudonymizer: Pseudonymizer, asOf: CivilDate) throws(CryptoError) -> String? {
        switch view {
        case .plain:
            return value
        case .redacted:
            return nil
        case .masked:
            return mask(value, field: field)
        case let .pseudonym(domain):
            // Phone numbers by their digits, like blind indexes, so formatting does not split a person in two.
            return try pseudonymizer.token(domain: domain, field: field.name, value: field.blindIndexForm(ofNormalized: value))
        case let .generalized(generalization):
            return generalize(value, field: field, generalization, asOf: asOf)?.label
        }
    }

    // MARK: Masking

    /// Masks by type: email `j***@e***.com`, phone `*** *** 1234`, name fields initials `A. L.`,
    /// other strings and text the first character + `***`. The number of `*` never depends on
    /// the value, so masks do not reveal lengths. Nil for types that cannot be masked.
    static func mask(_ value: String, field: FieldSpec) -> String? {
        switch field.type {
        case .email: return maskEmail(value)
        case .phone: return maskPhone(value)
        case .string where isNameField(field): return initials(value)
        case .string, .text: return value.first.map { "\($0)***" }
        default: return nil
        }
    }

    /// `full_name`, `name` and `*_name` string fields are masked to initials.
    static func isNameField(_ field: FieldSpec) -> Bool {
        field.type == .string && (field.name == "name" || field.name.hasSuffix("_name"))
    }

    /// First character of the local part, first character of the first domain label, the last label as is.
    static func maskEmail(_ value: String) -> String? {
        guard let at = value.lastIndex(of: "@") else { return nil }
        let labels = value[value.index(after: at)...].split(separator: ".", omittingEmptySubsequences: false)
        guard let local = value[..<at].first, labels.count >= 2, let host = labels[0].first, let tld = labels.last, !tld.isEmpty else { return nil }
        return "\(local)***@\(host)***.\(tld)"
    }

    /// `*** *** ` + the last 4 digits. Numbers with fewer than 7 digits (not valid phones) show
    /// no digit at all, so at least 3 digits always stay hidden.
    static func maskPhone(_ value: String) -> String {
        let digits = value.unicodeScalars.filter { ("0"..."9").contains($0) }
        guard digits.count >= 7 else { return "*** *** ****" }
        return "*** *** " + String(String.UnicodeScalarView(digits.suffix(4)))
    }

    /// The first character of each whitespace-separated word followed by `.`: "Ada Lovelace" →
    /// "A. L.", "Олена Коваленко" → "О. К.". Names written without spaces (e.g. "张伟") give one
    /// initial ("张."). Characters are grapheme clusters and keep their case.
    static func initials(_ value: String) -> String? {
        let words = value.split(whereSeparator: \.isWhitespace)
        guard !words.isEmpty else { return nil }
        return words.map { "\($0.first!)." }.joined(separator: " ")
    }

    // MARK: Generalization

    /// The generalized form of `value`, or nil when it does not parse or falls outside what the
    /// generalization can express (a birth date after `asOf`).
    static func generalize(_ value: String, field: FieldSpec, _ generalization: Generalization, asOf: CivilDate) -> GeneralizedValue? {
        switch generalization {
        case let .ageBand(width):
            guard width > 0, let birth = CivilDate(iso8601: value) else { return nil }
            let age = self.age(born: birth, on: asOf)
            guard age >= 0 else { return nil }
            let low = age / width * width, high = low + width - 1
            return GeneralizedValue(label: width == 1 ? "\(low)" : "\(low)-\(high)", lower: Double(low), upper: Double(high + 1))
        case .month:
            guard let date = CivilDate(iso8601: value) else { return nil }
            return GeneralizedValue(label: String(date.iso8601.prefix(7)))
        case .quarter:
            guard let date = CivilDate(iso8601: value) else { return nil }
            return GeneralizedValue(label: "\(date.iso8601.prefix(4))-Q\((date.month - 1) / 3 + 1)")
        case let .prefix(n):
            guard n > 0 else { return nil }
            // A value no longer than the prefix would be shown whole: hide it entirely.
            guard let end = value.index(value.startIndex, offsetBy: n, limitedBy: value.endIndex), end != value.endIndex else {
                return GeneralizedValue(label: "*")
            }
            return GeneralizedValue(label: value[..<end] + "*")
        case let .bands(bounds):
            guard !bounds.isEmpty, let x = field.type == .integer ? Int64(value).map(Double.init) : Double(value), x.isFinite else { return nil }
            let cents = bounds.map(Self.cents)
            // Integer fields show whole upper ends ("0-24999"), decimals to the cent ("0-24999.99").
            let step: Int64 = field.type == .integer ? 100 : 1
            return band(bandIndex(x, bounds), bounds: bounds, label: formatCents, cents, step: step)
        case let .buckets(bounds):
            guard !bounds.isEmpty, let x = Int64(value) else { return nil }
            return band(bandIndex(x, bounds), bounds: bounds.map(Double.init), label: { "\($0)" }, bounds, step: 1)
        }
    }

    /// -1 below the first bound, else the index of the last bound not above `x`.
    static func bandIndex<T: Comparable>(_ x: T, _ bounds: [T]) -> Int {
        var i = -1
        while i + 1 < bounds.count, bounds[i + 1] <= x { i += 1 }
        return i
    }

    /// The label of band `i`: `<first`, `low-high` (`low to high` when either end is negative, `low`
    /// when the band holds one step) or `last+`. `keys` are the bounds in label units, `step` the
    /// smallest step of the field in those units.
    private static func band(_ i: Int, bounds: [Double], label: (Int64) -> String, _ keys: [Int64], step: Int64) -> GeneralizedValue {
        if i < 0 { return GeneralizedValue(label: "<" + label(keys[0]), lower: nil, upper: bounds[0]) }
        if i == keys.count - 1 { return GeneralizedValue(label: label(keys[i]) + "+", lower: bounds[i], upper: nil) }
        let high = keys[i + 1] - step
        // "-10 to -1" rather than the unreadable "-10--1".
        let separator = keys[i] < 0 || high < 0 ? " to " : "-"
        let text = keys[i] == high ? label(high) : label(keys[i]) + separator + label(high)
        return GeneralizedValue(label: text, lower: bounds[i], upper: bounds[i + 1])
    }

    /// Whole years from `birth` to `date`. Someone born on 29 February becomes a year older on
    /// 1 March in common years.
    static func age(born birth: CivilDate, on date: CivilDate) -> Int {
        let hadBirthday = (date.month, date.day) >= (birth.month, birth.day)
        return date.year - birth.year - (hadBirthday ? 0 : 1)
    }

    /// A band bound in hundredths (loaded bounds have at most 2 decimals and 13 integer digits;
    /// others are clamped so that label arithmetic cannot overflow).
    static func cents(_ bound: Double) -> Int64 {
        let scaled = (bound * 100).rounded()
        guard scaled.isFinite else { return bound < 0 ? -4_000_000_000_000_000_000 : 4_000_000_000_000_000_000 }
        return Int64(Swift.max(-4e18, Swift.min(4e18, scaled)))
    }

    /// "50000", "0.50", "-1.25".
    static func formatCents(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let whole = cents.magnitude / 100, fraction = cents.magnitude % 100
        if fraction == 0 { return "\(sign)\(whole)" }
        return "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
