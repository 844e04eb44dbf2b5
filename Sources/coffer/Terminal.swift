import Coffer
import Foundation

/// Standard output, standard error and the progress bar.
enum Terminal {
    /// Makes a stored value safe to print on a terminal: control characters (C0 other than
    /// newline and tab, DEL, C1) and bidirectional overrides are shown as `\u{…}` escapes, so a
    /// value cannot move the cursor, rewrite earlier lines or reorder what is displayed.
    static func printable(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            let v = scalar.value
            let unsafe = (v < 0x20 && v != 0x0a && v != 0x09) || (0x7f...0x9f).contains(v)
                || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200e || v == 0x200f
            if unsafe { out += "\\u{\(String(v, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func out(_ line: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((line + terminator).utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("coffer: error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Prints rows as aligned columns (widths in characters), a header row first.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = [], indent: String = "") {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return rightAligned.contains(i) ? padding + cell : cell + padding
            }
            out(indent + cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }

    /// A progress bar on stderr when it is a terminal; silent in pipes, files and CI.
    static var showsProgress: Bool {
        isatty(STDERR_FILENO) == 1 && environment("CI") == nil
    }
}

/// Draws `label [#####.....] 52% 10.4 MB/20.0 MB` on stderr, at most ten times a second.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDraw = 0.0
    private let start = Date()

    init(_ label: String) {
        self.label = label
        enabled = Terminal.showsProgress
    }

    func update(_ progress: WorkProgress) {
        guard enabled else { return }
        let now = Date().timeIntervalSince(start)
        let finished = progress.total.map { progress.completed >= $0 } ?? false
        guard now - lastDraw >= 0.1 || finished else { return }
        lastDraw = now
        var line = "\r\(label) "
        if let total = progress.total, total > 0 {
            let fraction = min(1, Double(progress.completed) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(Int(fraction * 100))% " + format(progress.completed, progress.unit) + "/" + format(total, progress.unit)
        } else {
            line += format(progress.completed, progress.unit)
        }
        line += String(format: " %.1fs", now)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    private func format(_ value: Int, _ unit: String) -> String {
        guard unit == "bytes" else { return "\(value)" }
        return String(format: "%.1f MB", Double(value) / 1_000_000)
    }
}
