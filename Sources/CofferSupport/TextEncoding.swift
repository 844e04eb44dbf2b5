// Character encodings of the files people bring: Coffer works in UTF-8 and converts at the
// edges, byte by byte and streaming, so a 1 GB Windows export costs no more memory than a
// UTF-8 one.

/// A character encoding a CSV file may come in. Everything inside Coffer is UTF-8: readers
/// convert to it, writers of files meant to go back to their source convert from it.
public enum TextEncoding: String, Sendable, CaseIterable, CustomStringConvertible {
    case utf8 = "utf-8"
    case utf16LittleEndian = "utf-16le"
    case utf16BigEndian = "utf-16be"
    /// Windows' "ANSI" code page for Western Europe and the Americas (what Excel writes there).
    case windows1252 = "windows-1252"
    /// ISO 8859-1. Bytes 0x80–0x9F are control codes there, never text: a file that has them is
    /// windows-1252, so they are rejected as invalid.
    case latin1 = "latin-1"

    public var description: String { rawValue }

    /// Reads the name a user types: `utf-8`, `utf8`, `utf-16` (byte order from the BOM, else
    /// little-endian, as Windows writes it), `utf-16le`, `utf-16be`, `windows-1252`, `cp1252`,
    /// `latin-1`, `latin1`, `iso-8859-1`. Case-insensitive. `utf-16` returns nil for the byte
    /// order, which the reader settles from the file.
    public static func named(_ name: String) -> (encoding: TextEncoding, byteOrderFromFile: Bool)? {
        switch name.lowercased() {
        case "utf-8", "utf8": (.utf8, false)
        case "utf-16", "utf16": (.utf16LittleEndian, true)
        case "utf-16le", "utf16le": (.utf16LittleEndian, false)
        case "utf-16be", "utf16be": (.utf16BigEndian, false)
        case "windows-1252", "cp1252", "windows1252": (.windows1252, false)
        case "latin-1", "latin1", "iso-8859-1", "iso8859-1": (.latin1, false)
        default: nil
        }
    }

    /// The names `named(_:)` accepts, for help texts and errors.
    public static let acceptedNames = "utf-8, utf-16, utf-16le, utf-16be, windows-1252, latin-1"

    /// What a rejected row's reason says about a byte sequence this encoding does not define.
    var invalidBytesProblem: String {
        switch self {
        case .utf8: "invalid UTF-8"
        case .utf16LittleEndian, .utf16BigEndian: "invalid UTF-16"
        case .windows1252: "a byte windows-1252 does not define"
        case .latin1: "a latin-1 control byte (0x80-0x9F; a file from Windows is windows-1252)"
        }
    }

    /// The byte-order mark a file in this encoding starts with, when it has one.
    var byteOrderMark: [UInt8] {
        switch self {
        case .utf8: [0xEF, 0xBB, 0xBF]
        case .utf16LittleEndian: [0xFF, 0xFE]
        case .utf16BigEndian: [0xFE, 0xFF]
        case .windows1252, .latin1: []
        }
    }
}

// MARK: - Decoding to UTF-8

/// Converts a byte stream in one encoding to UTF-8, chunk by chunk. A unit the encoding does not
/// define becomes the byte 0xFF, which is never valid UTF-8, so the CSV reader's own check
/// rejects the row holding it, with its line, and nothing is guessed.
struct UTF8Transcoder {
    let encoding: TextEncoding
    /// A leading U+FEFF is a byte-order mark, not data.
    private var atStart = true
    /// A UTF-16 high surrogate waiting for its low half across a chunk boundary.
    private var pendingHighSurrogate: UInt16?

    /// The byte that stands for an undecodable unit in the output.
    static let invalidMarker: UInt8 = 0xFF

    init(encoding: TextEncoding) {
        precondition(encoding != .utf8, "UTF-8 needs no transcoding")
        self.encoding = encoding
    }

    /// Decodes from `src` into `dst` while at least 4 bytes of room are left. Returns the input
    /// bytes consumed (an odd trailing byte of UTF-16 is left for the next call unless `final`)
    /// and the output bytes written.
    mutating func decode(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>, capacity: Int,
                         final: Bool) -> (consumed: Int, produced: Int) {
        switch encoding {
        case .windows1252, .latin1: return decodeSingleByte(src, count: count, into: dst, capacity: capacity)
        case .utf16LittleEndian, .utf16BigEndian: return decodeUTF16(src, count: count, into: dst, capacity: capacity, final: final)
        case .utf8: return (0, 0)
        }
    }

    private mutating func decodeSingleByte(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>,
                                           capacity: Int) -> (consumed: Int, produced: Int) {
        atStart = false
        let table = encoding == .windows1252 ? windows1252High : latin1High
        var i = 0, o = 0
        let raw = UnsafeRawPointer(src)
        while i < count && o + 4 <= capacity {
            // Eight ASCII bytes at a time: the common case is copied, not looked up.
            if i + 8 <= count && o + 8 <= capacity
                && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                (dst + o).update(from: src + i, count: 8)
                i += 8; o += 8
                continue
            }
            let b = src[i]
            i += 1
            if b < 0x80 { dst[o] = b; o += 1; continue }
            let entry = table[Int(b) - 0x80]
            if entry == 0 { dst[o] = Self.invalidMarker; o += 1; continue }
            o += appendUTF8(scalar: entry, to: dst + o)
        }
        return (i, o)
    }

    private mutating func decodeUTF16(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>,
                                      capacity: Int, final: Bool) -> (consumed: Int, produced: Int) {
        let little = encoding == .utf16LittleEndian
        var i = 0, o = 0
        while i + 1 < count && o + 4 <= capacity {
            let unit = little ? UInt16(src[i]) | UInt16(src[i + 1]) << 8 : UInt16(src[i]) << 8 | UInt16(src[i + 1])
            i += 2
            if atStart {
                atStart = false
                if unit == 0xFEFF { continue }
            }
            if let high = pendingHighSurrogate {
                pendingHighSurrogate = nil
                if unit >= 0xDC00 && unit <= 0xDFFF {
                    let scalar = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(unit) - 0xDC00)
                    o += appendUTF8(scalar: scalar, to: dst + o)
                    continue
                }
                // An unpaired high surrogate; `unit` itself still decodes below (at most 3 bytes
                // more, so the 4 bytes of room checked above hold both).
                dst[o] = Self.invalidMarker; o += 1
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                pendingHighSurrogate = unit
            } else if unit >= 0xDC00 && unit <= 0xDFFF {
                dst[o] = Self.invalidMarker; o += 1
            } else {
                o += appendUTF8(scalar: UInt32(unit), to: dst + o)
            }
        }
        if final && i + 1 >= count && o + 1 <= capacity {
            // A lone high surrogate or an odd last byte at the end of the file.
            if pendingHighSurrogate != nil || i < count {
                pendingHighSurrogate = nil
                dst[o] = Self.invalidMarker; o += 1
                i = count
            }
        }
        return (i, o)
    }

}

/// Writes `scalar` as UTF-8 at `dst` (room for 4 bytes assumed); returns the length.
@inline(__always)
private func appendUTF8(scalar: UInt32, to dst: UnsafeMutablePointer<UInt8>) -> Int {
    if scalar < 0x80 {
        dst[0] = UInt8(scalar)
        return 1
    } else if scalar < 0x800 {
        dst[0] = UInt8(0xC0 | scalar >> 6)
        dst[1] = UInt8(0x80 | scalar & 0x3F)
        return 2
    } else if scalar < 0x10000 {
        dst[0] = UInt8(0xE0 | scalar >> 12)
        dst[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
        dst[2] = UInt8(0x80 | scalar & 0x3F)
        return 3
    } else {
        dst[0] = UInt8(0xF0 | scalar >> 18)
        dst[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
        dst[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
        dst[3] = UInt8(0x80 | scalar & 0x3F)
        return 4
    }
}

/// Unicode scalars of bytes 0x80–0xFF in windows-1252; 0 where the code page defines none.
private let windows1252High: [UInt32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
] + (0xA0...0xFF).map { UInt32($0) }

/// Bytes 0x80–0xFF in ISO 8859-1: the C1 controls (0x80–0x9F) are not text and count as invalid.
private let latin1High: [UInt32] = Array(repeating: 0, count: 0x20) + (0xA0...0xFF).map { UInt32($0) }

// MARK: - Encoding from UTF-8

extension TextEncoding {
    /// `utf8` converted to this encoding, for files that go back to their source (a rejects
    /// file). A character the encoding cannot hold becomes `?`; rows read from a file in this
    /// encoding never have one, and the reasons Coffer adds are ASCII.
    public func encode(utf8: [UInt8]) -> [UInt8] {
        if self == .utf8 { return utf8 }
        var out: [UInt8] = []
        out.reserveCapacity(self == .windows1252 || self == .latin1 ? utf8.count : utf8.count * 2)
        for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
            let v = scalar.value
            switch self {
            case .utf8:
                break
            case .windows1252, .latin1:
                if v < 0x80 { out.append(UInt8(v)); continue }
                let table = self == .windows1252 ? windows1252High : latin1High
                if let k = table.firstIndex(of: v), v != 0 { out.append(UInt8(0x80 + k)) } else { out.append(0x3F) }
            case .utf16LittleEndian, .utf16BigEndian:
                for unit in String(scalar).utf16 {
                    if self == .utf16LittleEndian { out += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
                    else { out += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
                }
            }
        }
        return out
    }
}
