/// A date layout a source file writes, in `strftime` notation (`%d.%m.%Y`, `%m/%d/%Y`,
/// `%Y-%m-%d %H:%M`), read into the schema's `YYYY-MM-DD`.
///
/// Directives: `%Y` (4-digit year), `%y` (2-digit: 69–99 are 19xx, 00–68 20xx, as POSIX
/// says), `%m` and `%d` (1 or 2 digits), `%b` / `%B` (English month names, abbreviated or
/// full, any case), `%H` `%M` `%S` (read and dropped: the vault keeps dates), `%%`. Anything
/// else is literal. A value must match the whole layout; a time-of-day part it has beyond the
/// layout (`T10:15:00Z`) is an error, so that a wrong layout is noticed, not half-read.
struct SourceDateFormat: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case year4, year2, month, monthName, day, timePart
        case literal(UInt8)
    }

    let layout: String
    let pieces: [Piece]

    /// Parses `layout`; nil with a reason when it has an unknown directive or no year, month and day.
    static func parse(_ layout: String) -> Result<SourceDateFormat, DateLayoutError> {
        var pieces: [Piece] = []
        var bytes = Array(layout.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == UInt8(ascii: "%") else { pieces.append(.literal(b)); continue }
            guard let d = bytes.popFirst() else { return .failure(DateLayoutError(reason: "ends with a lone %")) }
            switch d {
            case UInt8(ascii: "Y"): pieces.append(.year4)
            case UInt8(ascii: "y"): pieces.append(.year2)
            case UInt8(ascii: "m"): pieces.append(.month)
            case UInt8(ascii: "b"), UInt8(ascii: "B"): pieces.append(.monthName)
            case UInt8(ascii: "d"), UInt8(ascii: "e"): pieces.append(.day)
            case UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S"): pieces.append(.timePart)
            case UInt8(ascii: "%"): pieces.append(.literal(d))
            default:
                return .failure(DateLayoutError(reason: "unknown directive %\(String(decoding: [d], as: UTF8.self)) (use %Y %y %m %b %d %H %M %S)"))
            }
        }
        let hasYear = pieces.contains(.year4) || pieces.contains(.year2)
        let hasMonth = pieces.contains(.month) || pieces.contains(.monthName)
        guard hasYear, hasMonth, pieces.contains(.day) else {
            return .failure(DateLayoutError(reason: "needs a year (%Y or %y), a month (%m or %b) and a day (%d)"))
        }
        return .success(SourceDateFormat(layout: layout, pieces: pieces))
    }

    /// The ISO date of `text`, or nil when it does not match the layout or is no calendar date.
    func read(_ text: String) -> CivilDate? {
        let u = Array(text.utf8)
        var i = 0
        var year: Int?, month: Int?, day: Int?
        func number(maxDigits: Int, exact: Bool = false) -> Int? {
            var value = 0, digits = 0
            while i < u.count, digits < maxDigits, u[i] >= 0x30, u[i] <= 0x39 {
                value = value * 10 + Int(u[i] - 0x30)
                i += 1; digits += 1
            }
            if digits == 0 || (exact && digits != maxDigits) { return nil }
            return value
        }
        for piece in pieces {
            switch piece {
            case .year4: guard let y = number(maxDigits: 4, exact: true) else { return nil }; year = y
            case .year2:
                guard let y = number(maxDigits: 2, exact: true) else { return nil }
                year = y >= 69 ? 1900 + y : 2000 + y
            case .month: guard let m = number(maxDigits: 2) else { return nil }; month = m
            case .day: guard let d = number(maxDigits: 2) else { return nil }; day = d
            case .timePart: guard number(maxDigits: 2) != nil else { return nil }
            case .monthName:
                var letters: [UInt8] = []
                while i < u.count, (u[i] | 0x20) >= 0x61, (u[i] | 0x20) <= 0x7A { letters.append(u[i] | 0x20); i += 1 }
                guard let m = Self.month(named: String(decoding: letters, as: UTF8.self)) else { return nil }
                month = m
            case let .literal(c):
                guard i < u.count, u[i] == c else { return nil }
                i += 1
            }
        }
        guard i == u.count, let year, let month, let day else { return nil }
        let date = CivilDate(year: year, month: month, day: day)
        return date.isValid ? date : nil
    }

    private static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august",
                                     "september", "october", "november", "december"]

    private static func month(named name: String) -> Int? {
        if let k = monthNames.firstIndex(of: name) { return k + 1 }
        if name.count == 3, let k = monthNames.firstIndex(where: { $0.hasPrefix(name) }) { return k + 1 }
        if name == "sept" { return 9 }
        return nil
    }
}

struct DateLayoutError: Error, Sendable {
    var reason: String
}
