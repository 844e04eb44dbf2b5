import Foundation

/// A compact, sorted set of customer ids, as recorded in an audit entry.
///
/// Encoded as LEB128 varints of (gap from the previous run's end, run length) pairs, so a bulk
/// read of a million consecutive customers costs a few bytes, and a scattered set about two
/// bytes per id — never a row per customer.
public struct CustomerIDSet: Sendable, Equatable, Codable {
    /// Runs of consecutive ids: (first, count).
    public private(set) var runs: [(first: Int64, count: Int64)] = []

    public init() {}

    public init<S: Sequence>(_ ids: S) where S.Element == Int64 {
        for id in Set(ids).sorted() { appendAscending(id) }
    }

    /// Adds an id greater than every id already present (the order ids are read in).
    public mutating func appendAscending(_ id: Int64) {
        if let last = runs.last, id == last.first + last.count {
            runs[runs.count - 1].count += 1
        } else {
            precondition(runs.last.map { id >= $0.first + $0.count } ?? true, "ids must be appended in ascending order")
            runs.append((id, 1))
        }
    }

    public var count: Int64 { runs.reduce(0) { $0 + $1.count } }

    /// The largest id, if any.
    public var last: Int64? { runs.last.map { $0.first + $0.count - 1 } }

    public func contains(_ id: Int64) -> Bool {
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runs[mid].first + runs[mid].count <= id { lo = mid + 1 } else { hi = mid }
        }
        return lo < runs.count && runs[lo].first <= id
    }

    public var ids: [Int64] { runs.flatMap { $0.first..<($0.first + $0.count) } }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        var previousEnd: Int64 = 0
        for run in runs {
            appendVarint(UInt64(run.first - previousEnd), to: &out)
            appendVarint(UInt64(run.count), to: &out)
            previousEnd = run.first + run.count
        }
        return out
    }

    public init?(encoded bytes: [UInt8]) {
        var i = 0
        var previousEnd: Int64 = 0
        while i < bytes.count {
            guard let gap = readVarint(bytes, &i), let count = readVarint(bytes, &i), count > 0,
                  gap < UInt64(Int64.max / 2), count < UInt64(Int64.max / 2) else { return nil }
            let first = previousEnd + Int64(gap)
            runs.append((first, Int64(count)))
            previousEnd = first + Int64(count)
        }
    }

    /// The number of ids an encoding holds, or nil if it is malformed; allocates nothing.
    static func count(ofEncoded raw: UnsafeRawBufferPointer) -> Int64? {
        var total: Int64 = 0
        guard forEachRun(ofEncoded: raw, { total += $1 }) else { return nil }
        return total
    }

    /// Calls `body(first, count)` for each run of an encoding, in order, without allocating.
    /// Returns false (having stopped) at the first malformed varint or an empty run.
    @discardableResult
    package static func forEachRun(ofEncoded raw: UnsafeRawBufferPointer, _ body: (Int64, Int64) -> Void) -> Bool {
        var i = 0, previousEnd: Int64 = 0
        func varint() -> Int64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < raw.count, shift < 64 {
                let byte = raw[i]
                i += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value < UInt64(Int64.max / 2) ? Int64(value) : nil }
                shift += 7
            }
            return nil
        }
        while i < raw.count {
            guard let gap = varint(), let count = varint(), count > 0 else { return false }
            let first = previousEnd + gap
            body(first, count)
            previousEnd = first + count
        }
        return true
    }

    public static func == (a: CustomerIDSet, b: CustomerIDSet) -> Bool {
        a.runs.count == b.runs.count && zip(a.runs, b.runs).allSatisfy { $0.first == $1.first && $0.count == $1.count }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([Int64].self))
    }
}

func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var n = value
    repeat {
        let low = UInt8(n & 0x7f)
        n >>= 7
        out.append(n > 0 ? low | 0x80 : low)
    } while n > 0
}

func readVarint(_ bytes: [UInt8], _ i: inout Int) -> UInt64? {
    var value: UInt64 = 0, shift: UInt64 = 0
    while i < bytes.count, shift < 64 {
        let byte = bytes[i]
        i += 1
        value |= UInt64(byte & 0x7f) << shift
        if byte & 0x80 == 0 { return value }
        shift += 7
    }
    return nil
}
