import Foundation

/// The one output contract of every machine-readable answer: `coffer … --json` today, the
/// server's `/v1` bodies next. README, "Output contract", states it for users.
///
/// - keys are snake_case (`customer_id`, `key_file`): the encoder converts Swift's camelCase
///   property names, acronyms included (`customerID` → `customer_id`, `rocAUC` → `roc_auc`);
///   the keys of a JSON *dictionary* (customer field names, tier names) are data and are
///   written as they are;
/// - times are ISO 8601 in UTC with milliseconds, always the same shape:
///   `2026-12-02T18:35:12.345Z` (sortable as text; `.000` when the source has seconds only);
///   dates without a time stay `YYYY-MM-DD`;
/// - digests and MACs are lowercase hex strings, never arrays of bytes;
/// - numbers are JSON numbers, lists are always arrays (an empty one when there is nothing);
/// - errors are one `ErrorBody`.
public enum OutputContract {
    /// The encoder every JSON answer goes through: snake_case keys, contract times, keys sorted
    /// (stable output to diff), slashes unescaped (paths read as written).
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .throw
        return encoder
    }

    /// The decoder of contract JSON (a server's answers): snake_case keys to Swift names, times
    /// in the contract's shape to dates. Decoding what `encoder` wrote gives the same value.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let milliseconds = milliseconds(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a time in the output contract's shape (2026-12-02T18:35:12.345Z)")
            }
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
        return decoder
    }

    /// Milliseconds since 1970-01-01 UTC of a `2026-12-02T18:35:12.345Z` time; nil for any other shape.
    public static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) else { return nil }
                value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts))
        return seconds * 1000 + Int64(millis)
    }

    /// `value` as contract JSON text (pretty, or one line).
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        String(decoding: try encoder(pretty: pretty).encode(value), as: UTF8.self)
    }

    /// `2026-12-02T18:35:12.345Z`.
    public static func timestamp(_ date: Date) -> String {
        timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// `2026-12-02T18:35:12.345Z` from milliseconds since 1970-01-01 UTC.
    public static func timestamp(milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = milliseconds - seconds * 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis))
    }

    /// Lowercase hex, two digits a byte.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A decimal text (`129.90`, `-3`, `1e3`) as a JSON number when it is one, else nil; for
    /// values held as text (CSV cells, sealed fields) that are numbers in the contract.
    public static func number(_ text: String) -> Decimal? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              trimmed.contains(where: \.isNumber) else { return nil }
        return Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX"))
    }
}

/// The body of every error in JSON: `{"error": {"code": …, "message": …, "exit_code": …}}`.
///
/// `coffer --json` writes it as one line on standard error when a command fails; the server
/// answers with it. `code` is a stable snake_case name a script can branch on (`customer_not_found`,
/// `not_permitted`, …); `message` is what a person reads, never a value, key or token; `exit_code`
/// is the CLI's exit code for the error (the same in text and JSON modes), so a client of the
/// server can exit as the embedded CLI would.
public struct ErrorBody: Sendable, Equatable, Codable {
    public struct Detail: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        public var exitCode: Int32

        public init(code: String, message: String, exitCode: Int32) {
            self.code = code
            self.message = message
            self.exitCode = exitCode
        }
    }

    public var error: Detail

    public init(code: String, message: String, exitCode: Int32) {
        error = Detail(code: code, message: message, exitCode: exitCode)
    }
}
