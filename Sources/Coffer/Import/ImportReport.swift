import CofferSupport

/// What an import did, row by row in aggregate. Rejections name the line and the reason,
/// never the rejected value.
public struct ImportReport: Sendable, Equatable, Codable {
    /// A row skipped: its line in the file and why (never its value).
    public struct Rejection: Sendable, Equatable, Codable {
        public var line: Int
        /// Every invalid field's reason, joined by `; ` (one cell in text and rejects files).
        public var reason: String

        /// The reasons one by one.
        public var reasons: [String] { reason.components(separatedBy: "; ") }

        private enum JSONKeys: String, CodingKey { case line, reasons }

        /// In JSON (the output contract): `{"line": 12, "reasons": ["…", "…"]}`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: JSONKeys.self)
            try c.encode(line, forKey: .line)
            try c.encode(reasons, forKey: .reasons)
        }
    }

    public var file: String
    public var kind: String
    /// Data rows read (header and blank lines excluded).
    public var rows = 0
    public var inserted = 0
    public var updated = 0
    /// Rows already present (re-imported orders), skipped so re-runs converge.
    public var unchanged = 0
    public var rejected = 0
    /// The first `maximumListedRejections` rejections, in file order.
    public var rejections: [Rejection] = []
    public static let maximumListedRejections = 1000
    /// Where the rejected rows were written (`--rejects`), when any was rejected.
    public var rejectsFile: String?
    /// How the file was read: its encoding and delimiter ("windows-1252, semicolon-separated").
    public var dialect = CSVDialect.standard.description
    /// Nothing was written: the counts are what the import would do (`--dry-run`).
    public var dryRun = false
    /// What the user should know about how the file was read: a detected dialect, mapping
    /// rules that found no column in this file.
    public var notes: [String] = []
    /// The last column of a rejects file: why the row was rejected. An import ignores it, so a
    /// fixed rejects file is imported as it is.
    public static let rejectReasonColumn = "coffer_reject_reason"

    /// How many rows were rejected for one reason.
    public struct ReasonCount: Sendable, Equatable, Codable {
        public var reason: String
        public var rows: Int
    }

    /// Every rejection counted by reason, most frequent first; a row with several invalid
    /// fields counts under each. At most `maximumDistinctReasons`, the rest as "other reasons".
    public var rejectionReasons: [ReasonCount] = []
    public static let maximumDistinctReasons = 100
    static let otherReasons = "other reasons"

    mutating func reject(line: Int, reason: String) {
        rejected += 1
        if rejections.count < Self.maximumListedRejections {
            rejections.append(Rejection(line: line, reason: reason))
        }
        // A row's reasons are its fields' rejections joined by "; " (see RowRejection).
        for part in reason.components(separatedBy: "; ") {
            var key = part
            if !rejectionReasons.contains(where: { $0.reason == key }) && rejectionReasons.count >= Self.maximumDistinctReasons {
                key = Self.otherReasons
            }
            if let k = rejectionReasons.firstIndex(where: { $0.reason == key }) {
                rejectionReasons[k].rows += 1
                // Keep the most frequent first: bubble up past smaller counts.
                var j = k
                while j > 0 && rejectionReasons[j - 1].rows < rejectionReasons[j].rows {
                    rejectionReasons.swapAt(j - 1, j)
                    j -= 1
                }
            } else {
                rejectionReasons.append(ReasonCount(reason: key, rows: 1))
            }
        }
    }

}

/// Progress of a long operation, for a progress bar.
public struct WorkProgress: Sendable, Equatable {
    /// Units done (bytes for imports, customers for rewraps).
    public var completed: Int
    /// Total units, when known.
    public var total: Int?
    public var unit: String

    package init(completed: Int, total: Int? = nil, unit: String) {
        self.completed = completed
        self.total = total
        self.unit = unit
    }
}

public enum ImportKind: String, Sendable, CaseIterable {
    case customers, orders, outcomes
}
