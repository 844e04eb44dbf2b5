import Foundation
import Testing
@testable import CofferSupport

/// Files as spreadsheets and CRMs write them, written byte by byte: each delimiter and encoding
/// is read back to the same UTF-8 fields, detected when not given, and undecodable bytes reject
/// their row with its line.
struct CSVDialectTests {
    /// "René Müller;Köln\n" and friends in windows-1252 bytes.
    static let windows1252Bytes: [UInt8] = Array("name;city\n".utf8)
        + [0x52, 0x65, 0x6E, 0xE9, 0x20, 0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x3B, 0x4B, 0xF6, 0x6C, 0x6E, 0x0A]   // René Müller;Köln
        + [0x80, 0x35, 0x3B, 0x93, 0x71, 0x94, 0x0A]                                                             // €5;“q”

    private func write(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "coffer-dialect-\(UUID().uuidString).csv"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func readAll(_ reader: CSVReader) throws -> [CSVRecord] {
        var out: [CSVRecord] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    @Test(arguments: [(CSVDelimiter.comma, ","), (.semicolon, ";"), (.tab, "\t"), (.pipe, "|")])
    func eachDelimiterReadsTheSameFields(delimiter: CSVDelimiter, separator: String) throws {
        let header: String = ["ref", "name", "note"].joined(separator: separator) + "\n"
        let first: String = ["CUS-1", "\"Smith\(separator) Jo\"", "plain"].joined(separator: separator) + "\r\n"
        let second: String = ["CUS-2", "", "\"say \"\"hi\"\"\""].joined(separator: separator) + "\n"
        let text = header + first + second
        for chunk in [1, 2, 7, 64, 1 << 16] {
            let path = try write(Array(text.utf8))
            let reader = try CSVReader(path: path, delimiter: nil, encoding: nil, chunkSize: chunk)
            #expect(reader.dialect.dialect.delimiter == delimiter)
            #expect(reader.dialect.detectedDelimiter)
            // Plain UTF-8 with commas is nothing to tell; anything else is said once.
            #expect((reader.dialect.note == nil) == (delimiter == .comma))
            let records = try readAll(reader)
            let expected: [[String]] = [["ref", "name", "note"], ["CUS-1", "Smith\(separator) Jo", "plain"], ["CUS-2", "", "say \"hi\""]]
            #expect(records.map(\.fields) == expected)
            #expect(records.allSatisfy { $0.problem == nil })
        }
    }

    @Test func aGivenDelimiterIsNotSecondGuessed() throws {
        // Semicolons in the header, but the user says commas: one column.
        let path = try write(Array("a;b,c\n1;2,3\n".utf8))
        let reader = try CSVReader(path: path, delimiter: .comma, encoding: .utf8)
        #expect(reader.dialect.note == nil)
        #expect(try readAll(reader).map(\.fields) == [["a;b", "c"], ["1;2", "3"]])
    }

    @Test func windows1252IsDetectedAndConverted() throws {
        for chunk in [1, 3, 5, 1 << 16] {
            let reader = try CSVReader(path: try write(Self.windows1252Bytes), delimiter: nil, encoding: nil, chunkSize: chunk)
            #expect(reader.dialect.dialect == CSVDialect(delimiter: .semicolon, encoding: .windows1252))
            #expect(reader.dialect.note == "detected encoding windows-1252, semicolon as the delimiter (--encoding and --delimiter to override)")
            #expect(try readAll(reader).map(\.fields) == [["name", "city"], ["René Müller", "Köln"], ["€5", "“q”"]])
        }
    }

    @Test func latin1ReadsAccentsAndRejectsControlBytes() throws {
        let bytes: [UInt8] = Array("n\n".utf8) + [0x4A, 0xF8, 0x72, 0x67, 0x65, 0x6E, 0x0A] + [0x80, 0x0A] + Array("ok\n".utf8)
        let reader = try CSVReader(path: try write(bytes), encoding: .latin1)
        let records = try readAll(reader)
        #expect(records.map(\.fields) == [["n"], ["Jørgen"], [""], ["ok"]])
        #expect(records[2].line == 3)
        #expect(records[2].problem == "a latin-1 control byte (0x80-0x9F; a file from Windows is windows-1252) in field 1")
        #expect(records[3].problem == nil)
    }

    @Test func windows1252UndefinedBytesRejectTheirRowOnly() throws {
        let bytes: [UInt8] = Array("a,b\n".utf8) + [0x78, 0x2C, 0x81, 0x0A] + Array("c,d\n".utf8)
        let records = try readAll(try CSVReader(path: try write(bytes), encoding: .windows1252))
        #expect(records[1].problem == "a byte windows-1252 does not define in field 2")
        #expect(records[1].line == 2)
        #expect(records[2].fields == ["c", "d"])
        #expect(records[2].problem == nil)
    }

    private func utf16(_ text: String, bigEndian: Bool, bom: Bool) -> [UInt8] {
        var out: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
        for unit in text.utf16 {
            out += bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
        }
        return out
    }

    @Test(arguments: [(false, true), (true, true), (false, false), (true, false)])
    func utf16EitherByteOrderWithOrWithoutBOM(bigEndian: Bool, bom: Bool) throws {
        let text = "ref\tname\nCUS-1\t张伟 😀\nCUS-2\tZoë\n"
        for chunk in [1, 2, 3, 5, 1 << 16] {
            let reader = try CSVReader(path: try write(utf16(text, bigEndian: bigEndian, bom: bom)), delimiter: nil, encoding: nil, chunkSize: chunk)
            #expect(reader.dialect.dialect == CSVDialect(delimiter: .tab, encoding: bigEndian ? .utf16BigEndian : .utf16LittleEndian))
            #expect(try readAll(reader).map(\.fields) == [["ref", "name"], ["CUS-1", "张伟 😀"], ["CUS-2", "Zoë"]])
        }
    }

    @Test func utf16GivenWithoutByteOrderFollowsTheBOM() throws {
        let path = try write(utf16("a,b\n1,2\n", bigEndian: true, bom: true))
        let reader = try CSVReader(path: path, delimiter: nil, encoding: .utf16LittleEndian, utf16ByteOrderFromFile: true)
        #expect(reader.dialect.dialect.encoding == .utf16BigEndian)
        #expect(try readAll(reader).map(\.fields) == [["a", "b"], ["1", "2"]])
    }

    @Test func unpairedSurrogatesRejectTheirRow() throws {
        var bytes = utf16("a\n", bigEndian: false, bom: true)
        bytes += [0x00, 0xD8, 0x78, 0x00, 0x0A, 0x00]   // high surrogate, then "x"
        bytes += utf16("ok\n", bigEndian: false, bom: false)
        bytes += [0x00, 0xDC, 0x0A, 0x00]               // lone low surrogate
        bytes += [0x79, 0x00, 0x00, 0xD8]               // "y" and a high surrogate at the end of the file
        let records = try readAll(try CSVReader(path: try write(bytes), encoding: .utf16LittleEndian))
        #expect(records.map(\.problem) == [nil, "invalid UTF-16 in field 1", nil, "invalid UTF-16 in field 1", "invalid UTF-16 in field 1"])
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
        #expect(records[2].fields == ["ok"])
    }

    @Test func utf8WithAFewBadBytesStaysUTF8() throws {
        // Mostly good UTF-8 (two accented rows) and one corrupt byte: UTF-8, the bad row rejected.
        let bytes = Array("name\nZoë\nJosé\n".utf8) + [0x42, 0xE9, 0x0A]
        let reader = try CSVReader(path: try write(bytes), delimiter: nil, encoding: nil)
        #expect(reader.dialect.dialect.encoding == .utf8)
        let records = try readAll(reader)
        #expect(records.map(\.problem) == [nil, nil, nil, "invalid UTF-8 in field 1"])
    }

    @Test func aUTF8BOMIsDetectedAndSkipped() throws {
        let reader = try CSVReader(path: try write([0xEF, 0xBB, 0xBF] + Array("x;y\n1;2\n".utf8)), delimiter: nil, encoding: nil)
        #expect(reader.dialect.dialect == CSVDialect(delimiter: .semicolon, encoding: .utf8))
        #expect(try readAll(reader).map(\.fields) == [["x", "y"], ["1", "2"]])
    }

    @Test func delimitersInsideQuotedHeadersDoNotCount() throws {
        let reader = try CSVReader(path: try write(Array("\"a;b;c;d\",e,f\n1,2,3\n".utf8)), delimiter: nil, encoding: nil)
        #expect(reader.dialect.dialect.delimiter == .comma)
    }

    @Test func namesUsersTypeAreRead() {
        #expect(CSVDelimiter(argument: ";") == .semicolon)
        #expect(CSVDelimiter(argument: "\\t") == .tab)
        #expect(CSVDelimiter(argument: "tab") == .tab)
        #expect(CSVDelimiter(argument: ":") == nil)
        #expect(TextEncoding.named("UTF-16")! == (.utf16LittleEndian, true))
        #expect(TextEncoding.named("cp1252")! == (.windows1252, false))
        #expect(TextEncoding.named("ISO-8859-1")! == (.latin1, false))
        #expect(TextEncoding.named("ebcdic") == nil)
    }

    @Test(arguments: [TextEncoding.windows1252, .latin1, .utf16LittleEndian, .utf16BigEndian])
    func theWriterWritesTheSourceDialectBack(encoding: TextEncoding) throws {
        let path = NSTemporaryDirectory() + "coffer-dialect-out-\(UUID().uuidString).csv"
        let dialect = CSVDialect(delimiter: .semicolon, encoding: encoding)
        let writer = try CSVWriter(path: path, dialect: dialect)
        let rows = [["name", "city"], ["René; Müller", "Köln"], ["Zoë", "Århus"]]
        for row in rows { try writer.write(row) }
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.starts(with: encoding.byteOrderMark) && (encoding.byteOrderMark.isEmpty == (encoding == .windows1252 || encoding == .latin1)))
        let back = try readAll(try CSVReader(path: path, delimiter: nil, encoding: encoding == .windows1252 || encoding == .latin1 ? encoding : nil))
        #expect(back.map(\.fields) == rows)
        #expect(back.allSatisfy { $0.problem == nil })
    }
}
