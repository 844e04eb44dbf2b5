/// A readable line diff of two policy texts, in unified format (`-` removed, `+` added, two
/// lines of context, `@@` between hunks). Policies are small; the longest common subsequence
/// is computed exactly up to `maximumCells` line pairs, beyond which the whole text is shown
/// as replaced.
enum PolicyDiff {
    static let maximumCells = 4_000_000
    static let context = 2

    /// Empty when the texts have the same lines.
    static func unified(old: String, new: String, oldLabel: String, newLabel: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let operations = diff(a, b)
        guard operations.contains(where: { $0.kind != " " }) else { return "" }
        var out = ["--- \(oldLabel)", "+++ \(newLabel)"]
        // Keep changed lines and `context` lines around them; mark skipped stretches.
        var keep = [Bool](repeating: false, count: operations.count)
        for (i, op) in operations.enumerated() where op.kind != " " {
            for j in max(0, i - context)...min(operations.count - 1, i + context) { keep[j] = true }
        }
        var skipped = false
        for (i, op) in operations.enumerated() {
            if keep[i] {
                if skipped { out.append("@@") }
                skipped = false
                out.append("\(op.kind)\(op.line)")
            } else {
                skipped = true
            }
        }
        return out.joined(separator: "\n")
    }

    struct Operation: Equatable {
        /// " " same, "-" only in the old text, "+" only in the new one.
        var kind: Character
        var line: String
    }

    static func diff(_ a: [String], _ b: [String]) -> [Operation] {
        // Common head and tail first: most policy edits touch a few lines.
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)]), y = Array(b[head..<(b.count - tail)])
        var middle: [Operation] = []
        if x.count * y.count > maximumCells {
            middle = x.map { Operation(kind: "-", line: $0) } + y.map { Operation(kind: "+", line: $0) }
        } else {
            // lcs[i][j]: length of the LCS of x[i...] and y[j...].
            let width = y.count + 1
            var lcs = [Int32](repeating: 0, count: (x.count + 1) * width)
            for i in stride(from: x.count - 1, through: 0, by: -1) {
                for j in stride(from: y.count - 1, through: 0, by: -1) {
                    lcs[i * width + j] = x[i] == y[j] ? lcs[(i + 1) * width + j + 1] + 1 : max(lcs[(i + 1) * width + j], lcs[i * width + j + 1])
                }
            }
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if i < x.count, j < y.count, x[i] == y[j] {
                    middle.append(Operation(kind: " ", line: x[i]))
                    i += 1
                    j += 1
                } else if i < x.count, j == y.count || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                    middle.append(Operation(kind: "-", line: x[i]))
                    i += 1
                } else {
                    middle.append(Operation(kind: "+", line: y[j]))
                    j += 1
                }
            }
        }
        return a[..<head].map { Operation(kind: " ", line: $0) } + middle + a[(a.count - tail)...].map { Operation(kind: " ", line: $0) }
    }
}
