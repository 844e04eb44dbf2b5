import Coffer

/// `summary.json` of a review package: what happened in the period, what state the vault is
/// in, and what looks wrong. Encoded with snake_case keys. `report.html` renders the same data.
///
/// Everything here is counts, internal ids, staff names, role and field names, digests and
/// dates: never a customer value, key or token.
public struct ReviewSummary: Sendable, Equatable, Codable {
    public var format = "coffer-review-summary-v1"
    public var vaultID: String
    public var generatedAt: String
    /// Who exported the package (the export is itself an audit entry: `auditChain.head`).
    public var generatedBy: String
    public var period: Period
    public var settings: ReviewSettings
    public var totals: Totals
    public var byActor: [ActorActivity]
    public var byRole: [Count]
    public var byAction: [Count]
    public var byPurpose: [Count]
    public var days: [DayActivity]
    public var denials: EventList
    public var reidentifications: EventList
    public var handoffs: EventList
    public var exports: EventList
    public var erasures: EventList
    public var bulkReads: BulkReads
    public var keys: KeyInventory
    public var users: UserReview
    public var policy: PolicyReview
    public var auditChain: ChainReview
    public var anomalies: AnomalyReport

    public struct Period: Sendable, Equatable, Codable {
        public var from: String
        /// Inclusive.
        public var to: String
        public var startMs: Int64
        /// Exclusive: the first millisecond after `to`.
        public var endMs: Int64
        public var days: Int
        public var timezone = "UTC"
    }

    public struct Totals: Sendable, Equatable, Codable {
        public var entries = 0
        public var ok = 0
        public var denied = 0
        public var failed = 0
        /// Customers named by read entries (a bulk read of 1,000 counts 1,000).
        public var customersRead: Int64 = 0
        public var actors = 0
    }

    public struct ActorActivity: Sendable, Equatable, Codable {
        public var actor: String
        /// The role of the actor's latest entry in the period.
        public var role: String
        public var entries = 0
        public var denied = 0
        public var failed = 0
        public var readEntries = 0
        public var customersRead: Int64 = 0
        public var offHoursReads = 0
    }

    /// Entries, denials and customers read for one role, action or purpose.
    public struct Count: Sendable, Equatable, Codable {
        public var name: String
        public var entries = 0
        public var denied = 0
        public var customersRead: Int64 = 0
    }

    public struct DayActivity: Sendable, Equatable, Codable {
        public var day: String
        public var entries = 0
        public var denied = 0
        /// Customers read that day, by role.
        public var customersReadByRole: [String: Int64] = [:]
    }

    /// A kind of entry: how many, how many customers, and the first ones in log order.
    public struct EventList: Sendable, Equatable, Codable {
        public var count = 0
        public var customers: Int64 = 0
        public var listed: [ReviewEvent] = []
        /// True when `count` exceeds what is listed (`events.jsonl` has them all).
        public var truncated = false
    }

    public struct SizeBin: Sendable, Equatable, Codable {
        public var label: String
        public var lower: Int64
        public var upper: Int64?
        public var entries: Int
    }

    public struct BulkReads: Sendable, Equatable, Codable {
        public var minimumCustomers: Int
        public var count = 0
        public var customers: Int64 = 0
        /// The largest, biggest first.
        public var largest: [ReviewEvent] = []
        /// Every read entry by the number of customers it named.
        public var sizeHistogram: [SizeBin] = []
    }

    public struct KeyVersion: Sendable, Equatable, Codable {
        public var kind: String
        public var version: Int64
        public var state: String
        public var createdAt: String
        public var retiredAt: String?
        public var ageDays: Int
        /// Data keys wrapped so far (KEKs).
        public var uses: Int64?
        /// Customers whose data key this KEK version wraps now.
        public var customers: Int?
        /// Active KEK older than the rotation period, or a decrypt-only version still covering customers.
        public var overdue: Bool
        public var note: String
    }

    public struct KeyInventory: Sendable, Equatable, Codable {
        public var rotationPeriodDays: Int
        public var customers: Int
        public var keys: [KeyVersion]
        public var overdue: [String]
        /// Rotations, re-wraps and retirements in the period.
        public var events: EventList
    }

    public struct UserRow: Sendable, Equatable, Codable {
        public var name: String
        public var role: String
        public var createdAt: String
        public var revoked: Bool
        public var privileged: Bool
        /// Last audit entry by this user in the scanned window (the period and the baseline and
        /// inactivity windows before it); nil if none.
        public var lastSeen: String?
        public var inactive: Bool
        /// False if the row fails its MAC (edited outside coffer).
        public var intact: Bool
    }

    public struct UserReview: Sendable, Equatable, Codable {
        public var inactiveDays: Int
        /// Actions that make a role privileged.
        public var privilegedActions: [String]
        public var users: [UserRow]
        public var privileged: [String]
        public var inactive: [String]
        /// Users added, given another role or revoked in the period.
        public var roleChanges: EventList
    }

    public struct PolicyChange: Sendable, Equatable, Codable {
        public var seq: Int64
        public var time: String
        public var actor: String
        public var oldDigest: String
        public var newDigest: String
        /// Unified diff of the policy texts (from the MAC-covered history); empty when unavailable.
        public var diff: String
        public var note: String
    }

    public struct PolicyReview: Sendable, Equatable, Codable {
        public var inForceDigest: String
        public var changes: [PolicyChange]
        /// History rows that fail their MAC or digest (edited outside coffer).
        public var alteredHistoryRows: [Int64]
    }

    public struct ChainReview: Sendable, Equatable, Codable {
        public var intact: Bool
        public var entriesChecked: Int64
        public var lastSeq: Int64
        public var firstInPeriod: EntrySample?
        public var lastInPeriod: EntrySample?
        /// The entry recording this export; the package covers entries up to it.
        public var head: EntrySample
        /// Ed25519-signed statement of the head (check it with the public key; keep it to
        /// detect a later truncation or rewrite with `coffer audit verify --checkpoint`).
        public var checkpoint: AuditCheckpoint
    }

    public struct AnomalyRule: Sendable, Equatable, Codable {
        public var id: String
        public var description: String
    }

    public struct AnomalyFinding: Sendable, Equatable, Codable {
        public var rule: String
        public var actor: String
        public var role: String
        /// The day (volume rule) or the first entry's time (denials), when it applies.
        public var when: String
        public var value: Double
        public var threshold: Double
        public var explanation: String
        public var samples: [EntrySample]
    }

    public struct AnomalyReport: Sendable, Equatable, Codable {
        public var rules: [AnomalyRule]
        public var findings: [AnomalyFinding]
        public var truncated = false
        /// Actors the read-volume rule could not compare (no earlier active day of their own,
        /// no role peers), with their largest day in the period: not findings, but worth a look.
        public var unbaselined: [Unbaselined] = []
    }

    /// An actor the read-volume rule had nothing to compare with.
    public struct Unbaselined: Sendable, Equatable, Codable {
        public var actor: String
        public var role: String
        /// Its day with the most distinct customers read (UTC).
        public var day: String
        public var customers: Int64
    }
}
