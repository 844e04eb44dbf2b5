/// What an import did, row by row in aggregate. Rejections name the line and the reason,
/// never the rejected value.
public struct ImportReport: Sendable, Equatable, Codable {
    /// A row skipped: its line in the file and why (never its value).
    public struct Rejection: Sendable, Equatable, Codable {
        public var line: Int
        public var reason: String
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
    /// The last column of a rejects file: why the row was rejected. An import ignores it, so a
    /// fixed rejects file is imported as it is.
    public static let rejectReasonColumn = "coffer_reject_reason"

    mutating func reject(line: Int, reason: String) {
        rejected += 1
        if rejections.count < Self.maximumListedRejections {
            rejections.append(Rejection(line: line, reason: reason))
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
