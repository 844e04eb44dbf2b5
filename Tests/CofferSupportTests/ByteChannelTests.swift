@testable import CofferSupport
import Foundation
import Testing

/// The bounded pipe between an upload and the importer's reader thread.
@Suite struct ByteChannelTests {
    @Test func aFullPipeHoldsTheSenderUntilTheReaderTakesBytes() async throws {
        let channel = ByteChannel(name: "up.csv", capacity: 8)
        try await channel.send(Array(repeating: 1, count: 8))
        let sent = Task { try await channel.send(Array(repeating: 2, count: 8)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(channel.bufferedBytes == 8, "the second chunk waits while the pipe is full")
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBufferPointer { try channel.read(into: $0.baseAddress!, max: 16) }
        #expect(n == 8 && buffer[0] == 1)
        try await sent.value
        #expect(channel.bufferedBytes == 8)
        channel.fail(reason: "cut")
        let rest = try buffer.withUnsafeMutableBufferPointer { try channel.read(into: $0.baseAddress!, max: 16) }
        #expect(rest == 8 && buffer[0] == 2, "bytes before the break are read")
        #expect(throws: CSVError.inputBrokeOff(path: "up.csv", reason: "cut")) {
            try buffer.withUnsafeMutableBufferPointer { try channel.read(into: $0.baseAddress!, max: 16) }
        }
    }

    @Test func aClosedReaderReleasesTheSender() async throws {
        let channel = ByteChannel(name: "up.csv", capacity: 4)
        try await channel.send([1, 2, 3, 4])
        let sent = Task { try await channel.send([5]) }
        try await Task.sleep(for: .milliseconds(50))
        channel.closeReading()
        await #expect(throws: ByteChannel.Closed.self) { try await sent.value }
    }

    @Test func aReaderReadsACSVFromThePipe() async throws {
        let channel = ByteChannel(name: "up.csv", capacity: 16)
        let reader = Task.detached { () throws -> [[String]] in
            let csv = try CSVReader(source: channel, name: "up.csv", delimiter: nil, encoding: nil)
            var rows: [[String]] = []
            while let record = try csv.next() { rows.append(record.fields) }
            return rows
        }
        for line in ["a;b\n", "1;2\n", "3;4\n"] { try await channel.send(Array(line.utf8)) }
        channel.finish()
        #expect(try await reader.value == [["a", "b"], ["1", "2"], ["3", "4"]])
    }
}
