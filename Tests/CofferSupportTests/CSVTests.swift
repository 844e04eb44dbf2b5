import Foundation
import Testing
@testable import CofferDemoData
@testable import CofferSupport

// MARK: - Helpers

private func csvBytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private func csvParse(_ input: [UInt8], maxRecordBytes: Int = 1 << 20) throws -> [CSVRecord] {
    let reader = CSVReader(data: input, maxRecordBytes: maxRecordBytes)
    var out: [CSVRecord] = []
    while let r = try reader.next() { out.append(r) }
    return out
}

private func csvParse(_ input: String) throws -> [CSVRecord] { try csvParse(csvBytes(input)) }

/// A unique temporary file path, removed by the caller.
private func csvTempPath(_ name: String = "t.csv") -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("csvtests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

private func csvRemoveTemp(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

private func csvParseFile(_ input: [UInt8], chunkSize: Int, maxRecordBytes: Int = 1 << 20) throws -> [CSVRecord] {
    let path = csvTempPath()
    defer { csvRemoveTemp(path) }
    try Data(input).write(to: URL(fileURLWithPath: path))
    let reader = try CSVReader(path: path, chunkSize: chunkSize, maxRecordBytes: maxRecordBytes)
    var out: [CSVRecord] = []
    while let r = try reader.next() { out.append(r) }
    #expect(reader.bytesRead == input.count)
    #expect(reader.fileSize == input.count)
    return out
}

/// Byte-exact view of a record's fields (String == uses canonical equivalence).
private func csvUTF8(_ fields: [String]) -> [[UInt8]] { fields.map { Array($0.utf8) } }


// MARK: - Reader: valid input

@Suite("CSV reader")
struct CSVReaderTests {
    @Test func simpleRecordsAndLines() throws {
        let recs = try csvParse("name,email\nAnn,ann@example.com\n")
        #expect(recs == [
            CSVRecord(line: 1, fields: ["name", "email"]),
            CSVRecord(line: 2, fields: ["Ann", "ann@example.com"]),
        ])
    }

    @Test func quotedCommasAndDoubledQuotes() throws {
        let recs = try csvParse(#""a,b","say ""hi""","""",x"# + "\n")
        #expect(recs.count == 1)
        #expect(recs[0].fields == ["a,b", #"say "hi""#, #"""#, "x"])
        #expect(recs[0].problem == nil)
    }

    @Test func embeddedNewlinesKeepLineNumbersRight() throws {
        let input = "h1,h2\n\"x\ny\",z\n\"p\r\nq\",r\nlast,1\n\"a\n\n\nb\"\nend\n"
        let recs = try csvParse(input)
        #expect(recs.map(\.line) == [1, 2, 4, 6, 7, 11])
        #expect(csvUTF8(recs[1].fields) == csvUTF8(["x\ny", "z"]))
        #expect(csvUTF8(recs[2].fields) == csvUTF8(["p\r\nq", "r"]))
        #expect(recs[3].fields == ["last", "1"])
        #expect(csvUTF8(recs[4].fields) == csvUTF8(["a\n\n\nb"]))
        #expect(recs[5].fields == ["end"])
        #expect(recs.allSatisfy { $0.problem == nil })
    }

    @Test func multiByteUTF8RoundTripsByteExactly() throws {
        let names = ["张伟", "Олена Коваленко", "Zoë 👩‍👩‍👧‍👦", "e\u{301}", "\u{E9}"]
        let input = names.map { "\($0),\"\($0), Jr\"" }.joined(separator: "\n")
        let recs = try csvParse(input)
        #expect(recs.count == names.count)
        for (rec, name) in zip(recs, names) {
            #expect(csvUTF8(rec.fields) == csvUTF8([name, name + ", Jr"]))
            #expect(rec.problem == nil)
        }
    }

    @Test func emptyAndTrailingEmptyFields() throws {
        let recs = try csvParse("a,b,\n,,\n\"\"\n,\"\"\n")
        #expect(recs.map(\.fields) == [["a", "b", ""], ["", "", ""], [""], ["", ""]])
        #expect(recs.map(\.line) == [1, 2, 3, 4])
    }

    @Test func finalRecordWithoutNewline() throws {
        #expect(try csvParse("a,b\nc,d").map(\.fields) == [["a", "b"], ["c", "d"]])
        #expect(try csvParse("a,b\n\"c\nd\"").map(\.fields) == [["a", "b"], ["c\nd"]])
        #expect(try csvParse("a,").map(\.fields) == [["a", ""]])
        #expect(try csvParse("").isEmpty)
    }

    @Test func bomIsSkippedOnlyAtStart() throws {
        let recs = try csvParse([0xEF, 0xBB, 0xBF] + csvBytes("name\nx\u{FEFF}y\n"))
        #expect(csvUTF8(recs.map(\.fields).flatMap { $0 }) == csvUTF8(["name", "x\u{FEFF}y"]))
        #expect(recs[0].line == 1)
        // A lone BOM is an empty file.
        #expect(try csvParse([0xEF, 0xBB, 0xBF]).isEmpty)
    }

    @Test func crlfFiles() throws {
        let recs = try csvParse("a,b\r\n\"c\",d\r\n\r\ne,\"f\"\r\n")
        #expect(recs == [
            CSVRecord(line: 1, fields: ["a", "b"]),
            CSVRecord(line: 2, fields: ["c", "d"]),
            CSVRecord(line: 4, fields: ["e", "f"]),
        ])
    }

    @Test func loneCRIsFieldData() throws {
        let recs = try csvParse("a\rb,c\n\rx\n")
        #expect(csvUTF8(recs[0].fields) == csvUTF8(["a\rb", "c"]))
        #expect(csvUTF8(recs[1].fields) == csvUTF8(["\rx"]))
        #expect(recs.map(\.line) == [1, 2])
        // A CR as the very last byte ends the record like CRLF.
        #expect(try csvParse("a,b\r").map(\.fields) == [["a", "b"]])
        #expect(try csvParse("a,\"b\"\r").map(\.fields) == [["a", "b"]])
    }

    @Test func blankLinesAreSkipped() throws {
        let recs = try csvParse("\n\na\n\r\n\nb\n\n")
        #expect(recs == [CSVRecord(line: 3, fields: ["a"]), CSVRecord(line: 6, fields: ["b"])])
    }

    @Test func progressCounters() throws {
        let input = csvBytes("a,b\nc,d\n")
        let reader = CSVReader(data: input)
        #expect(reader.path == "<memory>")
        #expect(reader.fileSize == 8)
        #expect(reader.bytesRead == 0)
        _ = try reader.next()
        #expect(reader.bytesRead == 4)
        _ = try reader.next()
        #expect(try reader.next() == nil)
        #expect(reader.bytesRead == 8)
        #expect(try reader.next() == nil)
    }
}

// MARK: - Reader: malformed input

@Suite("CSV reader problems")
struct CSVReaderProblemTests {
    @Test func strayQuoteInUnquotedField() throws {
        let recs = try csvParse("h1,h2\nok,ab\"SECRET\nnext,1\n")
        #expect(recs.count == 3)
        #expect(recs[1].line == 2)
        #expect(recs[1].problem == "stray quote in field 2")
        #expect(recs[1].fields == ["ok", "ab\"SECRET"])
        #expect(recs[2] == CSVRecord(line: 3, fields: ["next", "1"]))
    }

    @Test func charactersAfterClosingQuote() throws {
        let recs = try csvParse("\"abc\"SECRET,2\n1,\"x\" ,3\n\"a\nb\"c\nnext\n\"q\"\rz\n")
        #expect(recs.map(\.problem) == [
            "stray quote in field 1", "stray quote in field 2", "stray quote in field 1", nil,
            "stray quote in field 1",
        ])
        #expect(recs.map(\.line) == [1, 2, 3, 5, 6])
        #expect(recs[0].fields == ["abcSECRET", "2"])
        #expect(recs[3].fields == ["next"])
    }

    @Test func strayQuoteRecoveryKeepsLaterQuotedFieldsIntact() throws {
        // The stray quote does not open a quoted section; the later quoted
        // field (with an embedded newline) still parses, so the next line is right.
        let recs = try csvParse("a\"b,\"c\nd\"\nnext\n")
        #expect(recs.count == 2)
        #expect(recs[0].problem == "stray quote in field 1")
        #expect(csvUTF8(recs[0].fields) == csvUTF8(["a\"b", "c\nd"]))
        #expect(recs[1] == CSVRecord(line: 3, fields: ["next"]))
    }

    @Test func invalidUTF8IsReportedAndParsingContinues() throws {
        let input = csvBytes("ok,") + [0xFF, 0xFE] + csvBytes("SECRET\n") + csvBytes("next,é\n")
        let recs = try csvParse(input)
        #expect(recs.count == 2)
        #expect(recs[0].line == 1)
        #expect(recs[0].problem == "invalid UTF-8 in field 2")
        #expect(recs[0].fields == ["ok", ""])
        #expect(recs[1] == CSVRecord(line: 2, fields: ["next", "é"]))
    }

    @Test(arguments: [
        [0xC0, 0xAF] as [UInt8],        // overlong "/"
        [0xE0, 0x80, 0xAF],             // overlong 3-byte
        [0xED, 0xA0, 0x80],             // UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80],       // > U+10FFFF
        [0xE4, 0xB8],                   // truncated 张
        [0x80],                         // lone continuation
        [0xF8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
    ])
    func invalidSequences(_ bad: [UInt8]) throws {
        let recs = try csvParse(csvBytes("a,b") + bad + csvBytes(",c\n"))
        #expect(recs.first?.problem == "invalid UTF-8 in field 2")
    }

    @Test func validatorMatchesStandardLibrary() {
        var rng = DemoDataGenerator.RNG(seed: 7, stream: 0)
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                             0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...12, using: &rng)
            let b = (0..<n).map { _ in pool.randomElement(using: &rng)! }
            let expected = Array(String(decoding: b, as: UTF8.self).utf8) == b
            let got = b.withUnsafeBufferPointer { csvIsValidUTF8($0) }
            #expect(got == expected, "csvBytes \(b)")
        }
    }

    @Test func oversizedRecordIsSkippedWithBoundedMemory() throws {
        let big = String(repeating: "SECRET", count: 100_000)      // 600 KB unquoted
        let bigQuoted = "\"" + String(repeating: "x,\n", count: 50_000) + "\""   // 50k newlines inside
        let input = "h\n\(big),1\nsmall\n\(bigQuoted),2\nafter\n"
        let reader = CSVReader(data: csvBytes(input), maxRecordBytes: 64)
        var recs: [CSVRecord] = []
        while let r = try reader.next() {
            recs.append(r)
            #expect(reader.recordBufferCapacity <= 64)
        }
        #expect(recs == [
            CSVRecord(line: 1, fields: ["h"]),
            CSVRecord(line: 2, fields: [], problem: "record exceeds 64 bytes"),
            CSVRecord(line: 3, fields: ["small"]),
            CSVRecord(line: 4, fields: [], problem: "record exceeds 64 bytes"),
            CSVRecord(line: 50_005, fields: ["after"]),
        ])
    }

    @Test func oversizedRecordFromFileWithSmallChunks() throws {
        let input = csvBytes("a\n" + String(repeating: ",", count: 200_000) + "\n\"" +
                          String(repeating: "y", count: 300_000) + "\"\nz")
        let path = csvTempPath()
        defer { csvRemoveTemp(path) }
        try Data(input).write(to: URL(fileURLWithPath: path))
        let reader = try CSVReader(path: path, chunkSize: 4096, maxRecordBytes: 1000)
        var recs: [CSVRecord] = []
        while let r = try reader.next() {
            recs.append(r)
            #expect(reader.recordBufferCapacity <= 1000)
            #expect(reader.fieldIndexCapacity <= 2 * 1000 + 16)
        }
        #expect(recs.map(\.line) == [1, 2, 3, 4])
        #expect(recs.map(\.problem) == [nil, "record exceeds 1000 bytes", "record exceeds 1000 bytes", nil])
        #expect(recs[3].fields == ["z"])
    }

    @Test func recordBufferGrowsUpToTheLimitOnly() throws {
        let fits = String(repeating: "é", count: 2_400)        // 4800 csvBytes
        let tooBig = String(repeating: "x", count: 20_000)
        let reader = CSVReader(data: csvBytes("\(fits),1\n\(tooBig)\nend\n"), maxRecordBytes: 5_000)
        let first = try #require(try reader.next())
        #expect(first.problem == nil)
        #expect(csvUTF8(first.fields) == csvUTF8([fits, "1"]))
        #expect(try reader.next()?.problem == "record exceeds 5000 bytes")
        #expect(try reader.next()?.fields == ["end"])
        #expect(reader.recordBufferCapacity <= 5_000)
    }

    @Test func recordSizeLimitIsExact() throws {
        // Limit counts the record's raw bytes, excluding its line terminator.
        let ten = "\"a\"\"b\",cde"    // 10 raw csvBytes
        #expect(try csvParse(csvBytes(ten + "\r\n"), maxRecordBytes: 10).first?.problem == nil)
        #expect(try csvParse(csvBytes(ten), maxRecordBytes: 10).first?.fields == ["a\"b", "cde"])
        #expect(try csvParse(csvBytes(ten + "\n"), maxRecordBytes: 9).first?.problem == "record exceeds 9 bytes")
        #expect(try csvParse(csvBytes("\"abcdefgh\"\n"), maxRecordBytes: 9).first?.problem == "record exceeds 9 bytes")
    }

    @Test func unterminatedQuoteThrowsWithStartLine() throws {
        let reader = CSVReader(data: csvBytes("a\n\"b\nc\"\n\"SECRET\nmore,stuff\n"))
        #expect(try reader.next()?.fields == ["a"])
        #expect(try reader.next()?.line == 2)
        let error = #expect(throws: CSVError.self) { try reader.next() }
        #expect(error == .unterminatedQuotedField(path: "<memory>", line: 4))
        let text = error?.description ?? ""
        #expect(text.hasPrefix("<memory>:4: "))
        #expect(!text.contains("SECRET"))
        #expect(try reader.next() == nil)
    }

    @Test func unterminatedQuoteInSmallChunkFile() throws {
        let input = csvBytes("x,y\n1,\"open\r\n")
        let path = csvTempPath()
        defer { csvRemoveTemp(path) }
        try Data(input).write(to: URL(fileURLWithPath: path))
        let reader = try CSVReader(path: path, chunkSize: 3)
        #expect(try reader.next()?.fields == ["x", "y"])
        #expect(throws: CSVError.unterminatedQuotedField(path: path, line: 2)) { try reader.next() }
    }

    @Test func problemsNeverContainFieldValues() throws {
        let secret = "SECRET-4111111111111111"
        let inputs: [[UInt8]] = [
            csvBytes("\(secret)\"x,\(secret)\n"),
            csvBytes("\"\(secret)\"\(secret),1\n"),
            csvBytes("\(secret),") + [0xC3] + csvBytes(secret) + [0x0A],
            csvBytes(String(repeating: secret, count: 10) + "\n"),
        ]
        for input in inputs {
            let rec = try #require(try csvParse(input, maxRecordBytes: 100).first)
            let problem = try #require(rec.problem)
            #expect(!problem.contains(secret))
            #expect(!problem.contains("SECRET"))
            #expect(!problem.contains("4111"))
        }
    }

    @Test func openErrors() throws {
        let missing = "/nonexistent-dir-\(UUID().uuidString)/x.csv"
        #expect(throws: CSVError.self) { _ = try CSVReader(path: missing) }
        do {
            _ = try CSVReader(path: missing)
        } catch {
            guard case let .cannotOpen(path, reason) = error else {
                Issue.record("unexpected \(error)"); return
            }
            #expect(path == missing)
            #expect(!reason.isEmpty)
            #expect(error.description.hasPrefix("\(missing): cannot open file"))
        }
        let dir = (csvTempPath() as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: CSVError.cannotOpen(path: dir, reason: "is a directory")) {
            _ = try CSVReader(path: dir)
        }
    }
}

// MARK: - Chunk boundaries

@Suite("CSV chunking")
struct CSVChunkTests {
    /// Input with every construct that can straddle a chunk boundary.
    static let tricky: [UInt8] = [0xEF, 0xBB, 0xBF] + csvBytes(
        "id,name,note\r\n" +
        "1,张伟,\"a,b\r\nc\"\r\n" +
        "2,\"Олена \"\"Коваленко\"\"\",👩‍👩‍👧‍👦\n" +
        "\r\n\n" +
        "3,\"x\ny\nz\",\"\"\"\"\r\n" +
        "4,a\"b,\"c\"d\n" +
        "5,,\n"
    ) + [0x36, 0x2C, 0xE4, 0xB8, 0x0A] + csvBytes("7,\"end\"\r\n8,last é")

    static let expected: [CSVRecord] = [
        CSVRecord(line: 1, fields: ["id", "name", "note"]),
        CSVRecord(line: 2, fields: ["1", "张伟", "a,b\r\nc"]),
        CSVRecord(line: 4, fields: ["2", "Олена \"Коваленко\"", "👩‍👩‍👧‍👦"]),
        CSVRecord(line: 7, fields: ["3", "x\ny\nz", "\""]),
        CSVRecord(line: 10, fields: ["4", "a\"b", "cd"], problem: "stray quote in field 2"),
        CSVRecord(line: 11, fields: ["5", "", ""]),
        CSVRecord(line: 12, fields: ["6", ""], problem: "invalid UTF-8 in field 2"),
        CSVRecord(line: 13, fields: ["7", "end"]),
        CSVRecord(line: 14, fields: ["8", "last é"]),
    ]

    @Test func inMemoryMatchesExpected() throws {
        let recs = try csvParse(Self.tricky)
        #expect(recs == Self.expected)
        #expect(recs.map { csvUTF8($0.fields) } == Self.expected.map { csvUTF8($0.fields) })
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 13, 1 << 16])
    func everyChunkSizeGivesSameRecords(chunkSize: Int) throws {
        let recs = try csvParseFile(Self.tricky, chunkSize: chunkSize)
        #expect(recs == Self.expected)
        #expect(recs.map { csvUTF8($0.fields) } == Self.expected.map { csvUTF8($0.fields) })
    }

    @Test func unterminatedAtEveryChunkSize() throws {
        for chunk in 1...7 {
            let path = csvTempPath()
            defer { csvRemoveTemp(path) }
            try Data(csvBytes("a\n\"b\"\"\r\n")).write(to: URL(fileURLWithPath: path))
            let reader = try CSVReader(path: path, chunkSize: chunk)
            #expect(try reader.next()?.fields == ["a"])
            #expect(throws: CSVError.unterminatedQuotedField(path: path, line: 2)) { try reader.next() }
        }
    }
}

// MARK: - Writer

@Suite("CSV writer")
struct CSVWriterTests {
    @Test func escapeRules() {
        #expect(CSVWriter.escape("plain") == "plain")
        #expect(CSVWriter.escape("") == "")
        #expect(CSVWriter.escape("张伟") == "张伟")
        #expect(CSVWriter.escape("in side") == "in side")
        #expect(CSVWriter.escape("a,b") == "\"a,b\"")
        #expect(CSVWriter.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.escape("\"") == "\"\"\"\"")
        #expect(CSVWriter.escape("l1\nl2") == "\"l1\nl2\"")
        #expect(CSVWriter.escape("l1\r\nl2") == "\"l1\r\nl2\"")
        #expect(CSVWriter.escape("a\rb") == "\"a\rb\"")
        #expect(CSVWriter.escape(" lead") == "\" lead\"")
        #expect(CSVWriter.escape("trail ") == "\"trail \"")
        #expect(CSVWriter.escape("\ttab") == "\"\ttab\"")
        #expect(CSVWriter.escape("\u{FEFF}bom") == "\"\u{FEFF}bom\"")
    }

    @Test func rowsInMemory() throws {
        let w = CSVWriter()
        try w.write(["a", "b,c", ""])
        try w.write([""])
        try w.write(["Олена", "x\"y"])
        try w.close()
        #expect(w.bytes == csvBytes("a,\"b,c\",\n\"\"\nОлена,\"x\"\"y\"\n"))
        #expect(throws: CSVError.writeFailed(path: "<memory>", reason: "writer is closed")) {
            try w.write(["late"])
        }
    }

    @Test func fileWriterModeTruncationAndClose() throws {
        let path = csvTempPath("out.csv")
        defer { csvRemoveTemp(path) }
        try Data(repeating: 0x41, count: 500_000).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)

        let w = try CSVWriter(path: path)
        var rows: [[String]] = []
        for i in 0..<20_000 {   // several buffer flushes
            rows.append([String(i), "n\(i), \"q\"", "张伟\n\(i)"])
            try w.write(rows[i])
        }
        try w.close()
        try w.close()   // idempotent

        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let reader = try CSVReader(path: path, chunkSize: 1000)
        var got: [[String]] = []
        while let r = try reader.next() {
            #expect(r.problem == nil)
            got.append(r.fields)
        }
        #expect(got == rows)
        #expect(reader.bytesRead == reader.fileSize)
    }

    @Test func newFileGetsMode0600AndDeinitFlushes() throws {
        let path = csvTempPath("new.csv")
        defer { csvRemoveTemp(path) }
        do {
            let w = try CSVWriter(path: path)
            try w.write(["only", "row"])
        }   // no close(): deinit flushes
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(csvBytes("only,row\n")))
    }

    @Test func cannotCreateInMissingDirectory() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/out.csv"
        #expect(throws: CSVError.self) { _ = try CSVWriter(path: path) }
    }

    @Test func randomRowsRoundTrip() throws {
        var rng = DemoDataGenerator.RNG(seed: 0xC0FFEE, stream: 0)
        let atoms = ["a", "Z", "0", " ", "\t", ",", "\"", "\r", "\n", "\r\n", "é", "e\u{301}",
                     "张", "伟", "Оле", "👩‍👩‍👧‍👦", "\u{FEFF}", "''", "x y", "=1+2"]
        var rows: [[String]] = []
        for _ in 0..<3000 {
            let n = Int.random(in: 1...12, using: &rng)
            rows.append((0..<n).map { _ in
                let len = Int.random(in: 0...6, using: &rng)
                return (0..<len).map { _ in atoms.randomElement(using: &rng)! }.joined()
            })
        }
        let w = CSVWriter()
        for row in rows { try w.write(row) }
        try w.close()

        // Expected start line of each row: 1 + LFs written before it.
        var expectedLines: [Int] = []
        var line = 1
        for row in rows {
            expectedLines.append(line)
            let out = CSVWriter()
            try out.write(row)
            line += out.bytes.filter { $0 == 0x0A }.count
        }

        for recs in [try csvParse(w.bytes), try csvParseFile(w.bytes, chunkSize: 5)] {
            #expect(recs.count == rows.count)
            #expect(recs.map { csvUTF8($0.fields) } == rows.map { csvUTF8($0) })
            #expect(recs.map(\.line) == expectedLines)
            #expect(recs.allSatisfy { $0.problem == nil })
        }
    }
}
