import Foundation

/// Why a value was refused. Says what is wrong with it without repeating it (values are PII).
public struct ValueRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public var description: String { "\(field): \(reason)" }
}

extension FieldSpec {
    /// Validates `raw` and returns its canonical form, or nil when it is empty (missing).
    ///
    /// Canonical forms: text trimmed and in Unicode NFC; email also case-folded; booleans
    /// `true`/`false`; enum values as the schema spells them; phone numbers in E.164
    /// (`+12135550142`), a national form read in `rowRegion` (the row's `region_from` value)
    /// when given, else in the field's `region`.
    public func normalize(_ raw: String, rowRegion: String? = nil) throws(ValueRejection) -> String? {
        let trimmed = normalizedText(raw)
        if trimmed.isEmpty { return nil }
        func reject(_ reason: String) -> ValueRejection { ValueRejection(field: name, reason: reason) }
        switch type {
        case .string, .text:
            if type == .string, trimmed.utf8.contains(where: { $0 == 0x0a || $0 == 0x0d }) {
                throw reject("line breaks are not allowed (use a text field)")
            }
            if trimmed.unicodeScalars.count > maxLength { throw reject("longer than \(maxLength) characters") }
            if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" }) {
                throw reject("contains control characters")
            }
            return trimmed
        case .email:
            let folded = trimmed.lowercased()
            guard Self.isValidEmail(folded) else { throw reject("not a valid email address") }
            return folded
        case .phone:
            let region = rowRegion.flatMap { $0.isEmpty ? nil : $0 } ?? self.region
            do { return try PhoneNumbering.e164(trimmed, region: region) } catch { throw reject(error.description) }
        case .date:
            guard CivilDate(iso8601: trimmed) != nil else { throw reject("not a valid date (use YYYY-MM-DD)") }
            return trimmed
        case .integer:
            guard let value = Int64(trimmed) else { throw reject("not an integer") }
            try checkBounds(Double(value))
            return String(value)
        case .decimal:
            guard Self.isPlainDecimal(trimmed), let value = Double(trimmed) else {
                throw reject("not a decimal number (digits with an optional '.' part, no thousands separators)")
            }
            try checkBounds(value)
            return trimmed.hasPrefix("+") ? String(trimmed.dropFirst()) : trimmed
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes", "y", "1": return "true"
            case "false", "no", "n", "0": return "false"
            default: throw reject("not a boolean (use true or false)")
            }
        case .enum:
            guard let canonical = canonicalValues[trimmed.lowercased()] else {
                throw reject(values.count <= 12 ? "not one of the allowed values (\(values.joined(separator: ", ")))" : "not one of the \(values.count) allowed values in the schema")
            }
            return canonical
        }
    }

    /// For a phone field with `region_from`, the region the row gives (`value(field)` is the
    /// row's raw value of a field, nil when the row does not name it); nil otherwise.
    public func rowRegion(_ value: (String) -> String?) -> String? {
        guard type == .phone, let regionField, let raw = value(regionField) else { return nil }
        let code = raw.trimmingCharacters(in: .whitespaces).uppercased()
        return code.isEmpty ? nil : code
    }

    /// The form a blind index hashes: the canonical value; for phone numbers the digits of the
    /// E.164 form (a number stored before E.164 normalization gives its own digits until
    /// `reindexPhones` rewrites it).
    public func blindIndexForm(ofNormalized value: String) -> String {
        type == .phone ? (Self.phoneDigits(value) ?? value) : value
    }

    private func checkBounds(_ value: Double) throws(ValueRejection) {
        if let minimum, value < minimum { throw ValueRejection(field: name, reason: "below the minimum \(Self.format(minimum))") }
        if let maximum, value > maximum { throw ValueRejection(field: name, reason: "above the maximum \(Self.format(maximum))") }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// Trim surrounding whitespace and bring to NFC (ASCII is already NFC and skips Foundation).
    private func normalizedText(_ raw: String) -> String {
        var text = raw
        if !raw.utf8.allSatisfy({ $0 < 0x80 }) {
            text = raw.precomposedStringWithCanonicalMapping
        }
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !Self.isSpace($0) })!
        if first == utf8.startIndex, last == utf8.index(before: utf8.endIndex) { return text }
        return String(text[first...last])
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }

    static func isValidEmail(_ email: String) -> Bool {
        let bytes = Array(email.utf8)
        guard bytes.count <= 254, let at = bytes.firstIndex(of: 0x40), bytes.lastIndex(of: 0x40) == at else { return false }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64, domain.count >= 3 else { return false }
        if bytes.contains(where: { $0 <= 0x20 || $0 == 0x7f || $0 == 0x22 || $0 == 0x28 || $0 == 0x29 || $0 == 0x2c || $0 == 0x3a || $0 == 0x3b || $0 == 0x3c || $0 == 0x3e || $0 == 0x5b || $0 == 0x5c || $0 == 0x5d }) {
            return false
        }
        guard local.first != 0x2e, local.last != 0x2e else { return false }
        let labels = domain.split(separator: 0x2e, omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.first != 0x2d && $0.last != 0x2d }) else { return false }
        return true
    }

    /// The digits of a phone number as written (the blind-index form of an E.164 value), or nil if it is not one.
    static func phoneDigits(_ phone: String) -> String? {
        var digits: [UInt8] = []
        for (i, b) in phone.utf8.enumerated() {
            switch b {
            case 0x30...0x39: digits.append(b)
            case 0x2b where i == 0: continue
            case 0x20, 0x2d, 0x2e, 0x28, 0x29: continue
            default: return nil
            }
        }
        guard (7...15).contains(digits.count) else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    static func isPlainDecimal(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let f = bytes.first, f == 0x2d || f == 0x2b { bytes = bytes.dropFirst() }
        var sawDigit = false, sawDot = false, digitsAfterDot = 0
        for b in bytes {
            if (0x30...0x39).contains(b) {
                sawDigit = true
                if sawDot { digitsAfterDot += 1 }
            } else if b == 0x2e, !sawDot {
                sawDot = true
            } else {
                return false
            }
        }
        return sawDigit && (!sawDot || digitsAfterDot > 0)
    }
}
