import Coffer
import Foundation

/// Standard output, standard error and the progress bar.
enum Terminal {
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("coffer: error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// A progress bar on stderr when it is a terminal; silent in pipes, files and CI.
    static var showsProgress: Bool {
        isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
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
