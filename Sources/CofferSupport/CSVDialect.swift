/// How a CSV file is written: which byte separates fields and which character encoding it is
/// in. Spreadsheets and CRMs differ: Excel in most of Europe writes semicolons in windows-1252,
/// Excel's "Unicode text" is tab-separated UTF-16.
public struct CSVDialect: Sendable, Equatable, CustomStringConvertible {
    public var delimiter: CSVDelimiter
    public var encoding: TextEncoding

    /// RFC 4180: commas, UTF-8.
    public static let standard = CSVDialect(delimiter: .comma, encoding: .utf8)

    public init(delimiter: CSVDelimiter, encoding: TextEncoding) {
        self.delimiter = delimiter
        self.encoding = encoding
    }

    public var description: String { "\(encoding), \(delimiter.name)-separated" }
}

/// The field separators Coffer reads and writes.
public enum CSVDelimiter: UInt8, Sendable, CaseIterable {
    case comma = 0x2C
    case semicolon = 0x3B
    case tab = 0x09
    case pipe = 0x7C

    /// Reads `,` `;` `|`, a tab character or `\t` or `tab`, and the names `comma`, `semicolon`, `pipe`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case ",", "comma": self = .comma
        case ";", "semicolon": self = .semicolon
        case "\t", "\\t", "tab": self = .tab
        case "|", "pipe": self = .pipe
        default: return nil
        }
    }

    public static let acceptedNames = ", ; \\t |"

    public var name: String {
        switch self {
        case .comma: "comma"
        case .semicolon: "semicolon"
        case .tab: "tab"
        case .pipe: "pipe"
        }
    }
}

/// What the reader was told and what it found out: each part of the dialect either given by
/// the user or detected from the file's first bytes.
public struct CSVDialectChoice: Sendable, Equatable {
    public var dialect: CSVDialect
    public var detectedDelimiter: Bool
    public var detectedEncoding: Bool

    /// One line for the user, when anything was detected: what Coffer will read the file as
    /// and how to override it. Nil when both parts were given, or when the detection found
    /// plain RFC 4180 (UTF-8, commas): nothing to tell.
    public var note: String? {
        guard detectedDelimiter || detectedEncoding, dialect != .standard else { return nil }
        var found: [String] = []
        if detectedEncoding { found.append("encoding \(dialect.encoding)") }
        if detectedDelimiter { found.append("\(dialect.delimiter.name) as the delimiter") }
        var overrides: [String] = []
        if detectedEncoding { overrides.append("--encoding") }
        if detectedDelimiter { overrides.append("--delimiter") }
        return "detected \(found.joined(separator: ", ")) (\(overrides.joined(separator: " and ")) to override)"
    }
}

extension CSVDialect {
    /// Settles the parts not given from `sample`, the file's first bytes (`complete` when the
    /// sample is the whole file):
    /// - encoding: a byte-order mark decides; without one, NUL bytes in alternate positions mean
    ///   UTF-16, valid UTF-8 (or plain ASCII) means UTF-8, anything else windows-1252 (which
    ///   reads every latin-1 text too);
    /// - delimiter: the one of `,` `;` tab `|` found most often outside quotes in the header
    ///   line; comma when none is (a one-column file) and on a tie, in that order.
    ///
    /// `utf16ByteOrderFromFile`: the user said `utf-16` without a byte order; a BOM settles it.
    public static func settle(delimiter: CSVDelimiter?, encoding: TextEncoding?, utf16ByteOrderFromFile: Bool = false,
                              sample: [UInt8], complete: Bool) -> CSVDialectChoice {
        var resolvedEncoding: TextEncoding
        if let encoding {
            resolvedEncoding = encoding
            if utf16ByteOrderFromFile, sample.starts(with: TextEncoding.utf16BigEndian.byteOrderMark) {
                resolvedEncoding = .utf16BigEndian
            }
        } else {
            resolvedEncoding = detectEncoding(sample, complete: complete)
        }
        let resolvedDelimiter = delimiter ?? detectDelimiter(headerOf: sample, encoding: resolvedEncoding)
        return CSVDialectChoice(dialect: CSVDialect(delimiter: resolvedDelimiter, encoding: resolvedEncoding),
                                detectedDelimiter: delimiter == nil, detectedEncoding: encoding == nil)
    }

    static func detectEncoding(_ sample: [UInt8], complete: Bool) -> TextEncoding {
        for candidate in [TextEncoding.utf8, .utf16LittleEndian, .utf16BigEndian] where sample.starts(with: candidate.byteOrderMark) {
            return candidate
        }
        // UTF-16 without a BOM: text in the Latin range has a NUL in every other byte.
        let pairs = min(sample.count / 2, 512)
        if pairs >= 2 {
            var evenZeros = 0, oddZeros = 0
            for k in 0..<pairs {
                if sample[2 * k] == 0 { evenZeros += 1 }
                if sample[2 * k + 1] == 0 { oddZeros += 1 }
            }
            if oddZeros * 2 > pairs && evenZeros * 8 < pairs { return .utf16LittleEndian }
            if evenZeros * 2 > pairs && oddZeros * 8 < pairs { return .utf16BigEndian }
        }
        // A sample cut inside a character is still UTF-8: check up to the last whole one.
        var checked = sample.count
        if !complete {
            // Drop the last character when it is multi-byte: it may be cut short.
            var k = checked - 1, steps = 0
            while k >= 0 && sample[k] & 0xC0 == 0x80 && steps < 3 { k -= 1; steps += 1 }
            if k >= 0 && sample[k] >= 0xC0 { checked = k }
        }
        // Mostly valid UTF-8 stays UTF-8 (its few bad bytes reject their rows); text with
        // non-ASCII bytes that mostly do not form UTF-8 is a Windows code page.
        var valid = 0, invalid = 0, i = 0
        sample.withUnsafeBufferPointer { bytes in
            while i < checked {
                let c = bytes[i]
                if c < 0x80 { i += 1; continue }
                let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                if length > 1, i + length <= checked, csvIsValidUTF8(UnsafeBufferPointer(rebasing: bytes[i..<(i + length)])) {
                    valid += 1
                    i += length
                } else {
                    invalid += 1
                    i += 1
                }
            }
        }
        return invalid == 0 || valid > invalid ? .utf8 : .windows1252
    }

    static func detectDelimiter(headerOf sample: [UInt8], encoding: TextEncoding) -> CSVDelimiter {
        var header = sample
        if encoding != .utf8 && !sample.isEmpty {
            var transcoder = UTF8Transcoder(encoding: encoding)
            var out = [UInt8](repeating: 0, count: sample.count * 2 + 8)
            let produced = sample.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    transcoder.decode(src.baseAddress!, count: src.count, into: dst.baseAddress!, capacity: dst.count, final: true).produced
                }
            }
            header = Array(out[0..<produced])
        }
        var counts: [CSVDelimiter: Int] = [:]
        var quoted = false
        for byte in header {
            if byte == 0x22 { quoted.toggle(); continue }
            if quoted { continue }
            if byte == 0x0A { break }
            if let delimiter = CSVDelimiter(rawValue: byte) { counts[delimiter, default: 0] += 1 }
        }
        var best = CSVDelimiter.comma
        for candidate in CSVDelimiter.allCases where counts[candidate, default: 0] > counts[best, default: 0] {
            best = candidate
        }
        return best
    }
}
