import Foundation

/// The one grammar for days and times that people type: review periods (`--from`, `--to`,
/// `--month`), audit log windows (`--since`, `--until`) and anything later that takes a day or
/// a time. Every command parses through here, so `today` or a time without a zone means the
/// same everywhere. All days are UTC days.
///
/// - A **day**: `today`, `yesterday` (any case), `YYYY-MM-DD`, or `YYYY-MM`, a whole month
///   (its first day where a period starts, its last where it ends).
/// - A **time**: a day as above (its first moment where a window starts, the end of the day
///   where it ends), or an ISO 8601 date-time `YYYY-MM-DDTHH:MM[:SS[.fff]]` (a space may
///   replace the `T`) with a zone (`Z`, `+02:00`, `+0200`) or without one, which is UTC.
public enum DateInput {
    /// Which end of a span a value gives.
    public enum End: Sendable, Equatable {
        /// The first day of a period, or the start of a time window (included).
        case start
        /// The last day of a period (included), or the end of a time window (excluded).
        case end
    }

    /// The day forms, for help texts and messages.
    public static let dayForms = "today, yesterday, YYYY-MM-DD or YYYY-MM (UTC days)"
    /// The time forms, for help texts and messages.
    public static let timeForms = "YYYY-MM-DDTHH:MM[:SS] with or without a zone (Z, +02:00; none means UTC), or a day: today, yesterday, YYYY-MM-DD, YYYY-MM"

    /// The day `text` names; for a month, its first (`.start`) or last (`.end`) day. Nil when
    /// `text` is none of the day forms.
    public static func day(_ text: String, _ end: End, today: CivilDate = .today) -> CivilDate? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "today": return today
        case "yesterday": return today.adding(days: -1)
        default: break
        }
        if let date = CivilDate(iso8601: trimmed) { return date }
        guard let month = month(trimmed) else { return nil }
        return end == .start ? month.first : month.last
    }

    /// The first and last day of the month `YYYY-MM`; nil when `text` is not one.
    public static func month(_ text: String) -> (first: CivilDate, last: CivilDate)? {
        let u = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        guard u.count == 7, u[4] == UInt8(ascii: "-"), let year = digits(u[0..<4]), let month = digits(u[5..<7]),
              (1...12).contains(month) else { return nil }
        return (CivilDate(year: year, month: month, day: 1),
                CivilDate(year: year, month: month, day: CivilDate.daysInMonth(year: year, month: month)))
    }

    /// The instant `text` names, in milliseconds since 1970 UTC. A day (or month) gives its
    /// first millisecond for `.start` and the first millisecond after it for `.end` (windows
    /// end exclusively, so `--until 2026-03-01` takes in the whole of that day). Nil when
    /// `text` is none of the time forms.
    public static func milliseconds(_ text: String, _ end: End, today: CivilDate = .today) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let day = day(trimmed, end, today: today) {
            return Int64(day.daysSinceEpoch + (end == .end ? 1 : 0)) * 86_400_000
        }
        return dateTime(trimmed)
    }

    /// The instant `text` names (see `milliseconds(_:_:today:)`), as a `Date`.
    public static func date(_ text: String, _ end: End, today: CivilDate = .today) -> Date? {
        milliseconds(text, end, today: today).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS[.fff...]][Z|±HH:MM|±HHMM|±HH]`, no zone meaning UTC.
    static func dateTime(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count >= 16, let date = CivilDate(iso8601: String(decoding: u[0..<10], as: UTF8.self)),
              u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == UInt8(ascii: " "),
              let hour = digits(u[11..<13]), u[13] == UInt8(ascii: ":"), let minute = digits(u[14..<16]),
              hour < 24, minute < 60 else { return nil }
        var i = 16
        var second = 0, millisecond = 0
        if i < u.count, u[i] == UInt8(ascii: ":") {
            guard i + 3 <= u.count, let s = digits(u[(i + 1)..<(i + 3)]), s < 60 else { return nil }
            second = s
            i += 3
            if i < u.count, u[i] == UInt8(ascii: ".") || u[i] == UInt8(ascii: ",") {
                i += 1
                let start = i
                while i < u.count, (0x30...0x39).contains(u[i]) { i += 1 }
                guard i > start else { return nil }
                let fraction = Array(u[start..<min(i, start + 3)]) + Array(repeating: UInt8(ascii: "0"), count: max(0, 3 - (i - start)))
                millisecond = digits(fraction[0..<3]) ?? 0
            }
        }
        var offsetMinutes = 0
        if i < u.count {
            let zone = u[i...]
            if zone.count == 1, zone.first == UInt8(ascii: "Z") || zone.first == UInt8(ascii: "z") {
                offsetMinutes = 0
            } else {
                guard let sign = zone.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
                let rest = Array(zone.dropFirst())
                let parts: (Int?, Int?)
                switch rest.count {
                case 2: parts = (digits(rest[0..<2]), 0)
                case 4: parts = (digits(rest[0..<2]), digits(rest[2..<4]))
                case 5 where rest[2] == UInt8(ascii: ":"): parts = (digits(rest[0..<2]), digits(rest[3..<5]))
                default: return nil
                }
                guard let h = parts.0, let m = parts.1, h <= 18, m < 60 else { return nil }
                offsetMinutes = (h * 60 + m) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millisecond)
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return bytes.isEmpty ? nil : value
    }
}
