// Streaming RFC 4180 CSV reader and writer for customer imports and exports.
//
// Choices where RFC 4180 leaves room (documented here once):
// - Records end at LF or CRLF. A lone CR outside quotes is field data (so is a
//   CR inside quotes); a CR that is the very last byte of the input ends the
//   record like CRLF would. Line numbers count LF only.
// - Lines with no bytes at all (or only CR) are skipped. `""` alone on a line
//   is a record with one empty field.
// - A UTF-8 BOM is skipped only at the very start of the input.
// - Other dialects (`CSVDialect`): the delimiter may be `;` tab or `|` instead of the comma;
//   other encodings are converted to UTF-8 as the bytes are read (`UTF8Transcoder`), so the
//   state machine below only ever sees UTF-8, and bytes the encoding does not define reject
//   their row like invalid UTF-8 does.
// - Malformed records keep their line and a `problem`; `fields` are a best-effort
//   parse (a stray quote is kept as data, an invalid UTF-8 field becomes ""),
//   and are empty for an oversized record. Callers must not import them.
// - The writer ends rows with LF and never changes values (no spreadsheet
//   formula neutralising), so writer → reader round-trips exactly.

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One parsed CSV record.
public struct CSVRecord: Sendable, Equatable {
    /// 1-based physical line on which the record starts (the header is line 1).
    public var line: Int
    public var fields: [String]
    /// Why the record is malformed; never contains field values (they are PII).
    public var problem: String?

    public init(line: Int, fields: [String], problem: String? = nil) {
        self.line = line
        self.fields = fields
        self.problem = problem
    }
}

/// Fatal CSV I/O and syntax errors. Descriptions never include field values.
public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    /// End of input reached inside quotes; `line` is where the record started.
    case unterminatedQuotedField(path: String, line: Int)
    case writeFailed(path: String, reason: String)
    /// A streamed input (an upload) stopped before its end.
    case inputBrokeOff(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open file (\(reason)); check the path and its permissions"
        case let .readFailed(path, reason):
            return "\(path): read failed (\(reason)); check the file is readable and the disk is healthy, then retry"
        case let .unterminatedQuotedField(path, line):
            return "\(path):\(line): quoted field never closed (end of file inside quotes); add the missing closing quote in the record starting on this line"
        case let .writeFailed(path, reason):
            return "\(path): write failed (\(reason)); check free disk space and permissions, then retry"
        case let .inputBrokeOff(path, reason):
            return "\(path): the upload stopped before its end (\(reason)); send the whole file again (committed rows are not duplicated)"
        }
    }
}

// MARK: - Reader

/// Where a `CSVReader` gets its bytes when they do not come from a file: another thread hands
/// them over (an HTTP request body, see `ByteChannel`). `read` blocks until bytes are there.
public protocol CSVByteSource: AnyObject, Sendable {
    /// Up to `count` bytes into `buffer`; 0 only at the end of the input. Throws when the
    /// input broke off before its end.
    func read(into buffer: UnsafeMutablePointer<UInt8>, max count: Int) throws(CSVError) -> Int
}

/// Streaming CSV reader: reads fixed-size chunks, so memory stays flat
/// (one chunk plus at most `maxRecordBytes` of the current record).
public final class CSVReader {
    private var scanner: CSVScanner
    /// The dialect the file is read in, and which parts of it were detected.
    public let dialect: CSVDialectChoice

    /// Bytes read from the start of a file to detect its dialect.
    static let sampleSize = 1 << 16

    /// Opens `path` for streaming. `chunkSize` is the read(2) size. A nil `delimiter` or
    /// `encoding` is detected from the file's first bytes (see `CSVDialect.settle`);
    /// `utf16ByteOrderFromFile` lets a BOM settle the byte order of a given UTF-16.
    public init(path: String, delimiter: CSVDelimiter? = .comma, encoding: TextEncoding? = .utf8,
                utf16ByteOrderFromFile: Bool = false,
                chunkSize: Int = 1 << 16, maxRecordBytes: Int = 1 << 20) throws(CSVError) {
        let fd = path.withCString { csvOpen($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 {
            throw .cannotOpen(path: path, reason: csvErrno())
        }
        var st = stat()
        var size: Int?
        if fstat(fd, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR {
                _ = csvClose(fd)
                throw .cannotOpen(path: path, reason: "is a directory")
            }
            if kind == S_IFREG { size = Int(st.st_size) }
        }
        // The first bytes, read once: they settle the dialect, then the scanner reads them first.
        var sample = [UInt8](repeating: 0, count: Self.sampleSize)
        var sampled = 0
        var complete = false
        while sampled < sample.count {
            let r = sample.withUnsafeMutableBufferPointer { csvRead(fd, $0.baseAddress! + sampled, $0.count - sampled) }
            if r < 0 {
                if errno == EINTR { continue }
                let reason = csvErrno()
                _ = csvClose(fd)
                throw .readFailed(path: path, reason: reason)
            }
            if r == 0 { complete = true; break }
            sampled += r
        }
        sample.removeSubrange(sampled...)
        dialect = CSVDialect.settle(delimiter: delimiter, encoding: encoding, utf16ByteOrderFromFile: utf16ByteOrderFromFile,
                                    sample: sample, complete: complete)
        scanner = CSVScanner(fd: fd, path: path, fileSize: size, prefix: sample, dialect: dialect.dialect,
                             chunkSize: max(1, chunkSize), maxRecordBytes: max(1, maxRecordBytes))
    }

    /// Streams from `source` (bytes another thread hands over, such as an HTTP request body),
    /// named `name` in messages; `size` is the total when known (for progress). The dialect is
    /// settled from the first bytes as for a file. Nothing is written anywhere on the way.
    public init(source: any CSVByteSource, name: String, size: Int? = nil, delimiter: CSVDelimiter? = .comma,
                encoding: TextEncoding? = .utf8, utf16ByteOrderFromFile: Bool = false,
                chunkSize: Int = 1 << 16, maxRecordBytes: Int = 1 << 20) throws(CSVError) {
        var sample = [UInt8](repeating: 0, count: Self.sampleSize)
        var sampled = 0
        var complete = false
        while sampled < sample.count {
            let r = try sample.withUnsafeMutableBufferPointer { buffer throws(CSVError) in
                try source.read(into: buffer.baseAddress! + sampled, max: buffer.count - sampled)
            }
            if r == 0 { complete = true; break }
            sampled += r
        }
        sample.removeSubrange(sampled...)
        dialect = CSVDialect.settle(delimiter: delimiter, encoding: encoding, utf16ByteOrderFromFile: utf16ByteOrderFromFile,
                                    sample: sample, complete: complete)
        scanner = CSVScanner(fd: -1, path: name, fileSize: size, prefix: sample, dialect: dialect.dialect,
                             chunkSize: max(1, chunkSize), maxRecordBytes: max(1, maxRecordBytes), source: source)
    }

    /// Parses an in-memory buffer (tests, small inputs); `path` is "<memory>".
    public init(data: [UInt8], dialect: CSVDialect = .standard, maxRecordBytes: Int = 1 << 20) {
        self.dialect = CSVDialectChoice(dialect: dialect, detectedDelimiter: false, detectedEncoding: false)
        var utf8 = data
        if dialect.encoding != .utf8 && !data.isEmpty {
            var transcoder = UTF8Transcoder(encoding: dialect.encoding)
            utf8 = [UInt8](repeating: 0, count: data.count * 2 + 8)
            let produced = data.withUnsafeBufferPointer { src in
                utf8.withUnsafeMutableBufferPointer { dst in
                    transcoder.decode(src.baseAddress!, count: src.count,
                                      into: dst.baseAddress!, capacity: dst.count, final: true).produced
                }
            }
            utf8.removeSubrange(produced...)
        }
        scanner = CSVScanner(data: utf8, dialect: dialect, maxRecordBytes: max(1, maxRecordBytes))
    }

    /// The next record, or nil at end of input. Throws only fatal errors.
    public func next() throws(CSVError) -> CSVRecord? {
        try scanner.next()
    }

    public var path: String { scanner.path }
    /// Input bytes consumed by the parser so far (for progress reporting); bytes of the file,
    /// not of its UTF-8 conversion.
    public var bytesRead: Int { scanner.transcoder == nil ? scanner.base + scanner.pos : scanner.rawRead }
    /// Total input size when known (regular files and in-memory data).
    public var fileSize: Int? { scanner.fileSize }

    /// Record buffer and field index capacities; let tests check memory stays bounded.
    var recordBufferCapacity: Int { scanner.recCap }
    var fieldIndexCapacity: Int { scanner.ends.capacity }
}

private let csvLF: UInt8 = 0x0A
private let csvCR: UInt8 = 0x0D
private let csvQuote: UInt8 = 0x22
package let csvComma: UInt8 = 0x2C
private let csvOnes: UInt64 = 0x0101_0101_0101_0101

/// Byte-level RFC 4180 state machine over a reusable chunk buffer.
/// Field bytes of the current record are unescaped into `rec`; `ends` holds
/// the end offset of each field in `rec`.
private struct CSVScanner: ~Copyable {
    enum State: UInt8 {
        case recordStart    // between records
        case crAtStart      // CR seen where a record would start
        case fieldStart     // after a comma, or first byte of a record
        case unquoted       // inside an unquoted field
        case quoted         // inside quotes
        case quoteInQuoted  // saw `"` inside quotes: closing or first of `""`
        case pendingCR      // CR outside quotes: CRLF terminator or data
        case done
    }

    let fd: Int32                 // -1 for in-memory input (and for a `source`)
    /// Where the bytes come from when not from `fd`.
    var source: (any CSVByteSource)?
    let path: String
    let fileSize: Int?
    let chunkSize: Int
    let maxRecordBytes: Int
    /// The field separator, and it in every byte of a word (for `csvSkipPlain`).
    let delimiter: UInt8
    let delimiterWord: UInt64
    /// What a field of undecodable bytes is reported as.
    let invalidBytesProblem: String

    // File input: `prefix` (the bytes read to detect the dialect) first, then read(2).
    var prefix: [UInt8] = []
    var prefixPos = 0
    /// Raw file bytes read so far (progress of a transcoded file).
    var rawRead = 0
    // Transcoded input: raw file bytes wait in `raw[0..<rawLen]` to be converted into `buf`.
    var transcoder: UTF8Transcoder?
    var raw: UnsafeMutablePointer<UInt8>?
    var rawLen = 0
    var rawAtEOF = false

    // Input window: buf[pos..<end] is unparsed; `base` is buf[0]'s input offset.
    let buf: UnsafeMutablePointer<UInt8>
    let bufCap: Int
    var pos = 0
    var end = 0
    var base = 0
    var bomChecked = false

    // Current record.
    var rec: UnsafeMutablePointer<UInt8>
    var recCap: Int
    var recLen = 0
    var ends: [Int] = []
    var state = State.recordStart
    var line = 1
    var recLine = 0
    var recStart = 0          // input offset of the record's first byte
    var fieldCount = 0        // completed fields, including in overflow mode
    var overflow = false
    var strayField = 0        // 1-based field of the first stray quote, 0 = none
    var crAfterQuote = false

    init(fd: Int32, path: String, fileSize: Int?, prefix: [UInt8], dialect: CSVDialect, chunkSize: Int, maxRecordBytes: Int,
         source: (any CSVByteSource)? = nil) {
        self.fd = fd
        self.source = source
        self.path = path
        self.fileSize = fileSize
        self.prefix = prefix
        self.chunkSize = chunkSize
        self.maxRecordBytes = maxRecordBytes
        delimiter = dialect.delimiter.rawValue
        delimiterWord = csvOnes &* UInt64(dialect.delimiter.rawValue)
        invalidBytesProblem = dialect.encoding.invalidBytesProblem
        // Room to sniff a BOM even with tiny chunks, and for one decoded character.
        bufCap = max(chunkSize, 4)
        buf = .allocate(capacity: bufCap)
        recCap = min(maxRecordBytes, 4096)
        rec = .allocate(capacity: recCap)
        if dialect.encoding != .utf8 {
            transcoder = UTF8Transcoder(encoding: dialect.encoding)
            raw = .allocate(capacity: bufCap)
            bomChecked = true   // the transcoder drops a byte-order mark itself
        }
    }

    init(data: [UInt8], dialect: CSVDialect, maxRecordBytes: Int) {
        fd = -1
        path = "<memory>"
        fileSize = data.count
        chunkSize = max(data.count, 1)
        self.maxRecordBytes = maxRecordBytes
        delimiter = dialect.delimiter.rawValue
        delimiterWord = csvOnes &* UInt64(dialect.delimiter.rawValue)
        invalidBytesProblem = dialect.encoding.invalidBytesProblem
        bufCap = max(data.count, 1)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: bufCap)
        data.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { storage.update(from: s, count: src.count) }
        }
        buf = storage
        end = data.count
        recCap = min(maxRecordBytes, 4096)
        rec = .allocate(capacity: recCap)
    }

    deinit {
        buf.deallocate()
        rec.deallocate()
        raw?.deallocate()
        if fd >= 0 { _ = csvClose(fd) }
    }

    mutating func next() throws(CSVError) -> CSVRecord? {
        if !bomChecked { try skipBOM() }
        while state != .done {
            if pos == end {
                if try !refill() { return try finishAtEOF() }
            }
            if scan() { return makeRecord() }
        }
        return nil
    }

    // MARK: Input

    /// Reads the next chunk after the current one is fully consumed.
    mutating func refill() throws(CSVError) -> Bool {
        if fd < 0 && source == nil { return false }
        base += end
        pos = 0
        end = 0
        let n = try readSome(into: buf, max: transcoder == nil ? chunkSize : bufCap)
        end = n
        return n > 0
    }

    /// Up to `count` bytes of UTF-8 input; 0 only at end of input.
    mutating func readSome(into dst: UnsafeMutablePointer<UInt8>, max count: Int) throws(CSVError) -> Int {
        guard transcoder != nil, let raw else { return try readRaw(into: dst, max: count) }
        while true {
            if !rawAtEOF && rawLen < bufCap {
                let n = try readRaw(into: raw + rawLen, max: bufCap - rawLen)
                if n == 0 { rawAtEOF = true }
                rawLen += n
            }
            let (consumed, produced) = transcoder!.decode(raw, count: rawLen, into: dst, capacity: count, final: rawAtEOF)
            if consumed > 0 {
                (raw).update(from: raw + consumed, count: rawLen - consumed)
                rawLen -= consumed
            }
            if produced > 0 || (rawAtEOF && consumed == 0) { return produced }
        }
    }

    /// Up to `count` bytes of the file: the sampled prefix first, then read(2).
    mutating func readRaw(into dst: UnsafeMutablePointer<UInt8>, max count: Int) throws(CSVError) -> Int {
        if prefixPos < prefix.count {
            let n = min(count, prefix.count - prefixPos)
            prefix.withUnsafeBufferPointer { dst.update(from: $0.baseAddress! + prefixPos, count: n) }
            prefixPos += n
            if prefixPos == prefix.count { prefix = []; prefixPos = 0 }
            rawRead += n
            return n
        }
        if let source {
            let r = try source.read(into: dst, max: count)
            rawRead += r
            return r
        }
        while true {
            let r = csvRead(fd, dst, count)
            if r >= 0 { rawRead += r; return r }
            if errno == EINTR { continue }
            throw .readFailed(path: path, reason: csvErrno())
        }
    }

    /// Ensures the first 3 bytes are buffered (or EOF), then skips a UTF-8 BOM.
    mutating func skipBOM() throws(CSVError) {
        bomChecked = true
        if fd >= 0 || source != nil {
            while end < 3 {
                let n = try readSome(into: buf + end, max: min(chunkSize, bufCap - end))
                if n == 0 { break }
                end += n
            }
        }
        if end >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }
    }

    // MARK: Record buffer

    mutating func beginRecord(at offset: Int) {
        recLine = line
        recStart = offset
        recLen = 0
        ends.removeAll(keepingCapacity: true)
        fieldCount = 0
        overflow = false
        strayField = 0
        crAfterQuote = false
    }

    /// Drops the record's buffered bytes; the rest of it is scanned, not stored.
    mutating func enterOverflow() {
        overflow = true
        recLen = 0
        ends.removeAll(keepingCapacity: true)
    }

    /// Appends unescaped field bytes; `rawEnd` is the input offset just past them.
    @inline(__always)
    mutating func append(_ src: UnsafePointer<UInt8>, _ count: Int, rawEnd: Int) {
        if overflow { return }
        if rawEnd - recStart > maxRecordBytes { enterOverflow(); return }
        if recLen + count > recCap { grow(to: recLen + count) }
        (rec + recLen).update(from: src, count: count)
        recLen += count
    }

    @inline(__always)
    mutating func appendByte(_ byte: UInt8, rawEnd: Int) {
        if overflow { return }
        if rawEnd - recStart > maxRecordBytes { enterOverflow(); return }
        if recLen == recCap { grow(to: recLen + 1) }
        rec[recLen] = byte
        recLen += 1
    }

    mutating func grow(to needed: Int) {
        var cap = recCap
        while cap < needed { cap *= 2 }
        cap = min(cap, maxRecordBytes)   // needed <= maxRecordBytes always holds
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
        new.update(from: rec, count: recLen)
        rec.deallocate()
        rec = new
        recCap = cap
    }

    /// Ends a field at the separator found at input offset `sep`.
    @inline(__always)
    mutating func endField(sep: Int) {
        fieldCount += 1
        if overflow { return }
        if sep - recStart > maxRecordBytes { enterOverflow(); return }
        ends.append(recLen)
    }

    @inline(__always)
    mutating func markStray() {
        if strayField == 0 { strayField = fieldCount + 1 }
    }

    // MARK: Scanning

    /// Consumes buf[pos..<end]. Returns true when a record was completed.
    mutating func scan() -> Bool {
        let b = buf
        let n = end
        let delimiter = delimiter
        var i = pos
        loop: while i < n {
            switch state {
            case .recordStart:
                let c = b[i]
                if c == csvLF { line += 1; i += 1; continue loop }
                if c == csvCR { state = .crAtStart; i += 1; continue loop }
                beginRecord(at: base + i)
                state = .fieldStart

            case .crAtStart:
                if b[i] == csvLF { line += 1; i += 1; state = .recordStart; continue loop }
                beginRecord(at: base + i - 1)
                appendByte(csvCR, rawEnd: base + i)
                state = .unquoted

            case .fieldStart:
                let c = b[i]
                if c == csvQuote {
                    state = .quoted; i += 1
                } else if c == delimiter {
                    endField(sep: base + i); i += 1
                } else if c == csvLF {
                    endField(sep: base + i); endRecord(terminator: base + i)
                    pos = i + 1; return true
                } else if c == csvCR {
                    crAfterQuote = false; state = .pendingCR; i += 1
                } else {
                    state = .unquoted
                }

            case .unquoted:
                // Stays here across consecutive unquoted fields (the common
                // case) instead of going back through the state switch.
                while true {
                    let start = i
                    i = csvSkipPlain(b, i, n, delimiterWord: delimiterWord)
                    while i < n {
                        let c = b[i]
                        if c <= csvQuote || c == delimiter {
                            if c == delimiter || c == csvQuote || c == csvLF || c == csvCR { break }
                        }
                        i += 1
                    }
                    if i > start { append(b + start, i - start, rawEnd: base + i) }
                    if i == n { break loop }
                    let c = b[i]
                    if c == delimiter {
                        endField(sep: base + i); i += 1
                        // An empty or unquoted next field is handled right here.
                        if i < n && b[i] != csvQuote { continue }
                        state = .fieldStart
                        continue loop
                    } else if c == csvLF {
                        endField(sep: base + i); endRecord(terminator: base + i)
                        pos = i + 1; return true
                    } else if c == csvCR {
                        crAfterQuote = false; state = .pendingCR; i += 1
                        continue loop
                    } else {   // quote inside an unquoted field: keep it as data
                        markStray(); appendByte(csvQuote, rawEnd: base + i + 1); i += 1
                    }
                }

            case .quoted:
                let start = i
                var lines = 0
                while i < n {
                    let c = b[i]
                    if c == csvQuote { break }
                    if c == csvLF { lines += 1 }
                    i += 1
                }
                line += lines
                if i > start { append(b + start, i - start, rawEnd: base + i) }
                if i == n { break loop }
                state = .quoteInQuoted; i += 1

            case .quoteInQuoted:
                let c = b[i]
                if c == csvQuote {
                    appendByte(csvQuote, rawEnd: base + i + 1); state = .quoted; i += 1
                } else if c == delimiter {
                    endField(sep: base + i); state = .fieldStart; i += 1
                } else if c == csvLF {
                    endField(sep: base + i); endRecord(terminator: base + i)
                    pos = i + 1; return true
                } else if c == csvCR {
                    crAfterQuote = true; state = .pendingCR; i += 1
                } else {   // data after the closing quote: keep it, flag it
                    markStray(); state = .unquoted
                }

            case .pendingCR:
                if b[i] == csvLF {
                    endField(sep: base + i - 1); endRecord(terminator: base + i - 1)
                    pos = i + 1; return true
                }
                if crAfterQuote { markStray() }
                appendByte(csvCR, rawEnd: base + i)
                state = .unquoted

            case .done:
                break loop
            }
        }
        pos = i
        return false
    }

    /// Finishes the record whose terminator (LF, CR of CRLF, or EOF) is at `terminator`.
    mutating func endRecord(terminator: Int) {
        if !overflow && terminator - recStart > maxRecordBytes { enterOverflow() }
        line += 1
        state = .recordStart
    }

    mutating func finishAtEOF() throws(CSVError) -> CSVRecord? {
        let eofOffset = base + end
        switch state {
        case .recordStart, .crAtStart, .done:
            state = .done
            return nil
        case .quoted:
            state = .done
            throw .unterminatedQuotedField(path: path, line: recLine)
        case .pendingCR:   // trailing CR at EOF ends the record
            endField(sep: eofOffset - 1)
            endRecord(terminator: eofOffset - 1)
        case .fieldStart, .unquoted, .quoteInQuoted:
            endField(sep: eofOffset)
            endRecord(terminator: eofOffset)
        }
        state = .done
        return makeRecord()
    }

    // MARK: Decoding

    func makeRecord() -> CSVRecord {
        if overflow {
            return CSVRecord(line: recLine, fields: [],
                             problem: "record exceeds \(maxRecordBytes) bytes")
        }
        var fields: [String] = []
        fields.reserveCapacity(ends.count)
        let ascii = csvIsASCII(rec, recLen)
        var badField = 0
        var start = 0
        for (k, e) in ends.enumerated() {
            let bytes = UnsafeBufferPointer(start: rec + start, count: e - start)
            if ascii || csvIsValidUTF8(bytes) {
                fields.append(String(decoding: bytes, as: UTF8.self))
            } else {
                if badField == 0 { badField = k + 1 }
                fields.append("")
            }
            start = e
        }
        var problem: String?
        if strayField > 0 {
            problem = "stray quote in field \(strayField)"
        } else if badField > 0 {
            problem = "\(invalidBytesProblem) in field \(badField)"
        }
        return CSVRecord(line: recLine, fields: fields, problem: problem)
    }
}

/// Skips 8-byte words containing none of the delimiter, `"`, CR, LF; returns the index
/// of the first word that may contain one (the byte loop finishes from there).
@inline(__always)
private func csvSkipPlain(_ p: UnsafePointer<UInt8>, _ from: Int, _ n: Int, delimiterWord: UInt64) -> Int {
    #if _endian(little)
    let raw = UnsafeRawPointer(p)
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    var i = from
    while i + 8 <= n {
        let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let a = x ^ delimiterWord
        let q = x ^ (ones &* UInt64(csvQuote))
        let r = x ^ (ones &* UInt64(csvCR))
        let l = x ^ (ones &* UInt64(csvLF))
        let hit = ((a &- ones) & ~a) | ((q &- ones) & ~q) | ((r &- ones) & ~r) | ((l &- ones) & ~l)
        if hit & highs != 0 { return i }
        i += 8
    }
    return i
    #else
    return from
    #endif
}

/// True when all `count` bytes are ASCII; checks 8 bytes at a time.
@inline(__always)
private func csvIsASCII(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    var acc: UInt64 = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= count {
        acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        i += 8
    }
    while i < count {
        acc |= UInt64(p[i])
        i += 1
    }
    return acc & 0x8080_8080_8080_8080 == 0
}

/// Strict UTF-8 validation: rejects overlongs, surrogates, > U+10FFFF and truncation.
func csvIsValidUTF8(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let p = s.baseAddress else { return true }
    let n = s.count
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i < n {
        if i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            continue
        }
        let c = p[i]
        if c < 0x80 { i += 1; continue }
        @inline(__always) func cont(_ j: Int) -> Bool { j < n && p[j] & 0xC0 == 0x80 }
        if c >= 0xC2 && c <= 0xDF {
            guard cont(i + 1) else { return false }
            i += 2
        } else if c >= 0xE0 && c <= 0xEF {
            guard i + 1 < n else { return false }
            let c1 = p[i + 1]
            let lo: UInt8 = c == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = c == 0xED ? 0x9F : 0xBF
            guard c1 >= lo && c1 <= hi && cont(i + 2) else { return false }
            i += 3
        } else if c >= 0xF0 && c <= 0xF4 {
            guard i + 1 < n else { return false }
            let c1 = p[i + 1]
            let lo: UInt8 = c == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = c == 0xF4 ? 0x8F : 0xBF
            guard c1 >= lo && c1 <= hi && cont(i + 2) && cont(i + 3) else { return false }
            i += 4
        } else {
            return false
        }
    }
    return true
}

// MARK: - Writer

/// Where a `CSVWriter` puts its bytes when not in a file: another thread takes them (an HTTP
/// response, see `ByteChannel`). `write` may block until there is room.
public protocol ByteSink: AnyObject, Sendable {
    func write(_ bytes: [UInt8]) throws(CSVError)
    /// The output is complete.
    func finish() throws(CSVError)
}

/// Buffered CSV writer. Rows end with LF; fields are quoted only when needed.
public final class CSVWriter {
    /// Output of an in-memory writer (`init()`); empty for file writers.
    public private(set) var bytes: [UInt8] = []
    public let path: String
    private let fd: Int32            // -1 for in-memory (and for a sink)
    /// Where the bytes go when not to `fd` (an HTTP response, see `ByteSink`).
    private var sink: (any ByteSink)?
    private var buffer: [UInt8] = []
    private var closed = false
    private static let flushThreshold = 1 << 16
    /// The field separator and the file's encoding (rows are built in UTF-8, converted on flush).
    private let delimiter: UInt8
    private let encoding: TextEncoding

    /// Creates or truncates `path` with mode 0600, written in `dialect` (a UTF-16 file starts
    /// with its byte-order mark, as spreadsheets expect).
    public init(path: String, dialect: CSVDialect = .standard) throws(CSVError) {
        let fd = path.withCString {
            csvOpen($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        if fd < 0 { throw .cannotOpen(path: path, reason: csvErrno()) }
        // O_CREAT keeps the mode of an existing file; force 0600 anyway.
        if fchmod(fd, 0o600) != 0 {
            let reason = csvErrno()
            _ = csvClose(fd)
            throw .cannotOpen(path: path, reason: reason)
        }
        self.fd = fd
        self.path = path
        delimiter = dialect.delimiter.rawValue
        encoding = dialect.encoding
        buffer.reserveCapacity(Self.flushThreshold + 4096)
        if encoding == .utf16LittleEndian || encoding == .utf16BigEndian {
            rawOutput = encoding.byteOrderMark
        }
    }

    /// Writes UTF-8 rows with commas to `sink` (named `name` in messages), in blocks.
    public init(sink: any ByteSink, name: String) {
        fd = -1
        path = name
        self.sink = sink
        delimiter = csvComma
        encoding = .utf8
        buffer.reserveCapacity(Self.flushThreshold + 4096)
    }

    /// In-memory writer (UTF-8, commas); read the result from `bytes`.
    public init() {
        fd = -1
        path = "<memory>"
        delimiter = csvComma
        encoding = .utf8
    }

    /// Bytes to write before the next flushed rows (a byte-order mark).
    private var rawOutput: [UInt8] = []

    deinit {
        try? close()
    }

    /// Appends one row. A single empty field is written as `""` so the row is
    /// not an empty line (which readers skip). An empty array writes an empty line.
    public func write(_ fields: [String]) throws(CSVError) {
        if closed { throw .writeFailed(path: path, reason: "writer is closed") }
        if fd < 0 && sink == nil {
            Self.appendRow(fields, delimiter: delimiter, to: &bytes)
        } else {
            Self.appendRow(fields, delimiter: delimiter, to: &buffer)
            if buffer.count >= Self.flushThreshold { try flush() }
        }
    }

    /// Appends rows already encoded by `encodeRow` (so encoding can run on other threads).
    public func write(encoded rows: [UInt8]) throws(CSVError) {
        if closed { throw .writeFailed(path: path, reason: "writer is closed") }
        if fd < 0 && sink == nil {
            bytes.append(contentsOf: rows)
        } else {
            buffer.append(contentsOf: rows)
            if buffer.count >= Self.flushThreshold { try flush() }
        }
    }

    /// One row as `write(_:)` would write it, appended to `out`.
    public static func encodeRow(_ fields: [String], to out: inout [UInt8]) {
        appendRow(fields, delimiter: csvComma, to: &out)
    }

    /// Flushes and closes the file. Safe to call more than once.
    public func close() throws(CSVError) {
        if closed { return }
        closed = true
        if let sink {
            try flush()
            try sink.finish()
            return
        }
        if fd < 0 { return }
        var failure: CSVError?
        do { try flush() } catch { failure = error }
        if csvClose(fd) != 0 && failure == nil {
            failure = .writeFailed(path: path, reason: csvErrno())
        }
        if let failure { throw failure }
    }

    /// The field as it would appear in a row (quoted and escaped if needed).
    public static func escape(_ field: String) -> String {
        var out: [UInt8] = []
        appendField(field, delimiter: csvComma, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func flush() throws(CSVError) {
        var failure: CSVError?
        if encoding != .utf8 {
            rawOutput += encoding.encode(utf8: buffer)
            swap(&rawOutput, &buffer)
            rawOutput.removeAll(keepingCapacity: true)
        } else if !rawOutput.isEmpty {
            buffer.insert(contentsOf: rawOutput, at: 0)
            rawOutput = []
        }
        if let sink {
            if !buffer.isEmpty { try sink.write(buffer) }
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let r = csvWrite(fd, p, left)
                if r < 0 {
                    if errno == EINTR { continue }
                    failure = .writeFailed(path: path, reason: csvErrno())
                    return
                }
                p += r
                left -= r
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if let failure { throw failure }
    }

    private static func appendRow(_ fields: [String], delimiter: UInt8, to out: inout [UInt8]) {
        if fields.count == 1 && fields[0].isEmpty {
            out.append(csvQuote); out.append(csvQuote)
        } else {
            for (k, field) in fields.enumerated() {
                if k > 0 { out.append(delimiter) }
                appendField(field, delimiter: delimiter, to: &out)
            }
        }
        out.append(csvLF)
    }

    /// Quotes iff the field has the delimiter, `"`, CR or LF, leading/trailing space or tab,
    /// or starts with a BOM (which a reader would strip at file start).
    private static func appendField(_ field: String, delimiter: UInt8, to out: inout [UInt8]) {
        var field = field
        field.withUTF8 { appendField(utf8: $0, delimiter: delimiter, to: &out) }
    }

    /// Whether a field must be quoted: it has the delimiter, `"`, CR or LF, a leading or
    /// trailing space or tab, or starts with a BOM.
    package static func needsQuotes(utf8 u: UnsafeBufferPointer<UInt8>, delimiter: UInt8 = csvComma) -> Bool {
        guard let p = u.baseAddress, u.count > 0 else { return false }
        let n = u.count
        if p[0] == 0x20 || p[0] == 0x09 || p[n - 1] == 0x20 || p[n - 1] == 0x09
            || (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) { return true }
        for i in 0..<n {
            let c = p[i]
            if c == csvQuote || c == delimiter || c == csvLF || c == csvCR { return true }
        }
        return false
    }

    /// One field's UTF-8 bytes as they appear in a row (quoted and escaped if needed).
    package static func appendField(utf8 u: UnsafeBufferPointer<UInt8>, delimiter: UInt8 = csvComma, to out: inout [UInt8]) {
        guard let p = u.baseAddress, u.count > 0 else { return }
        guard needsQuotes(utf8: u, delimiter: delimiter) else {
            out.append(contentsOf: u)
            return
        }
        // No reserveCapacity here: on a long buffer it would reallocate exactly, row after row.
        out.append(csvQuote)
        var start = 0
        for i in 0..<u.count where p[i] == csvQuote {
            out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i + 1 - start))
            out.append(csvQuote)
            start = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + start, count: u.count - start))
        out.append(csvQuote)
    }
}

// MARK: - libc shims (also used by the review package writer)

@inline(__always)
package func csvErrno() -> String { String(cString: strerror(errno)) }

@inline(__always)
package func csvOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
    open(path, flags, mode)
}

@inline(__always)
package func csvClose(_ fd: Int32) -> Int32 {
    #if canImport(Darwin)
    Darwin.close(fd)
    #elseif canImport(Glibc)
    Glibc.close(fd)
    #else
    Musl.close(fd)
    #endif
}

@inline(__always)
package func csvRead(_ fd: Int32, _ dst: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.read(fd, dst, count)
    #elseif canImport(Glibc)
    Glibc.read(fd, dst, count)
    #else
    Musl.read(fd, dst, count)
    #endif
}

@inline(__always)
package func csvWrite(_ fd: Int32, _ src: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.write(fd, src, count)
    #elseif canImport(Glibc)
    Glibc.write(fd, src, count)
    #else
    Musl.write(fd, src, count)
    #endif
}
