import Coffer
import CofferSupport

/// The three event files of a review package, rendered from verified audit records:
///
/// - `events.jsonl`: one JSON object per entry, every column (and the entry's chain MAC, so a
///   reviewer holding an earlier checkpoint can match it).
/// - `events.csv`: the same columns; any cell starting with `=`, `+`, `-`, `@`, tab or CR gets
///   a leading `'` so a spreadsheet shows it as text instead of running it as a formula.
/// - `events.ocsf.jsonl`: OCSF 1.3.0 events (see `OCSFMapping`).
///
/// Entries hold internal customer ids, never values; customers are written as id ranges
/// (`1-5,9`). The renderers work on the raw bytes of each record: ten million entries format
/// without a String per column.
struct EventFormatter {
    static let csvHeader = ["seq", "time", "actor", "role", "action", "purpose", "outcome", "fields", "customer_count", "customers", "detail"]

    /// Customers listed one by one in OCSF `resources` up to this many; above, one aggregate resource.
    static let ocsfResourceLimit = 20

    private var cachedDay = Int64.min
    private var cachedDate: [UInt8] = []
    private var cachedTime = Int64.min
    private let timeText = ByteBuffer(capacity: 32)
    private var scratch: [UInt8] = []
    private var quoted: [UInt8] = []
    private let ranges = ByteBuffer(capacity: 256)

    // MARK: JSON Lines

    mutating func appendJSONLine(_ r: AuditRecord, to out: ByteBuffer) {
        out.append("{\"seq\":")
        out.appendDecimal(r.seq)
        out.append(",\"time\":\"")
        appendTime(r.timeMilliseconds, to: out)
        out.append("\",\"actor\":")
        out.appendJSONString(r.actor)
        out.append(",\"role\":")
        out.appendJSONString(r.role)
        out.append(",\"action\":")
        out.appendJSONString(r.action)
        out.append(",\"purpose\":")
        out.appendJSONString(r.purpose)
        out.append(",\"outcome\":")
        out.appendJSONString(r.outcome)
        out.append(",\"fields\":[")
        var first = true
        var start = 0
        for i in 0...r.fields.count where i == r.fields.count || r.fields[i] == UInt8(ascii: ",") {
            if i > start {
                if !first { out.append(UInt8(ascii: ",")) }
                out.appendJSONString(UnsafeRawBufferPointer(rebasing: r.fields[start..<i]))
                first = false
            }
            start = i + 1
        }
        out.append("],\"customer_count\":")
        out.appendDecimal(r.customerCount)
        out.append(",\"customers\":\"")
        Self.appendRanges(r.customers, to: out)
        out.append("\",\"detail\":")
        out.appendJSONString(r.detail)
        out.append(",\"mac\":\"")
        out.appendHex(r.mac)
        out.append("\"}\n")
    }

    // MARK: CSV

    mutating func appendCSVRow(_ r: AuditRecord, to out: ByteBuffer) {
        out.appendDecimal(r.seq)
        out.append(UInt8(ascii: ","))
        appendTime(r.timeMilliseconds, to: out)
        // Column by column (an array literal here would allocate per entry).
        appendCSVColumn(r.actor, to: out)
        appendCSVColumn(r.role, to: out)
        appendCSVColumn(r.action, to: out)
        appendCSVColumn(r.purpose, to: out)
        appendCSVColumn(r.outcome, to: out)
        appendCSVColumn(r.fields, to: out)
        out.append(UInt8(ascii: ","))
        out.appendDecimal(r.customerCount)
        ranges.removeAll()
        Self.appendRanges(r.customers, to: ranges)
        appendCSVColumn(ranges.bytes, to: out)
        appendCSVColumn(r.detail, to: out)
        out.append(UInt8(ascii: "\n"))
    }

    /// A comma, then the cell.
    private mutating func appendCSVColumn(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer) {
        out.append(UInt8(ascii: ","))
        appendCSVCell(bytes, to: out)
    }

    /// Bytes a spreadsheet would read as the start of a formula (or a hidden one after a tab/CR).
    static func isFormulaStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "@")
            || byte == 0x09 || byte == 0x0d
    }

    /// One cell, neutralized (a leading `'` before a formula start) and quoted as RFC 4180 needs.
    mutating func appendCSVCell(_ bytes: UnsafeRawBufferPointer, to out: ByteBuffer) {
        let typed = bytes.bindMemory(to: UInt8.self)
        if let first = bytes.first, Self.isFormulaStart(first) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(UInt8(ascii: "'"))
            scratch.append(contentsOf: typed)
            quoted.removeAll(keepingCapacity: true)
            scratch.withUnsafeBufferPointer { CSVWriter.appendField(utf8: $0, to: &quoted) }
            out.append(quoted)
        } else if CSVWriter.needsQuotes(utf8: typed) {
            quoted.removeAll(keepingCapacity: true)
            CSVWriter.appendField(utf8: typed, to: &quoted)
            out.append(quoted)
        } else {
            out.append(bytes)
        }
    }

    /// A String cell, as `appendCSVCell` writes it (for tests).
    static func csvCell(_ text: String) -> String {
        var formatter = EventFormatter()
        let out = ByteBuffer()
        Array(text.utf8).withUnsafeBytes { formatter.appendCSVCell($0, to: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    // MARK: OCSF

    mutating func appendOCSF(_ r: AuditRecord, mapping: OCSFMapping, to out: ByteBuffer) {
        let ok = r.outcome.equals("ok")
        let denied = r.outcome.equals("denied")
        // Classification (activity, category, class, type) is fixed per action: laid out once.
        out.append(mapping.dependsOnCreation && !r.detail.equals("created") ? mapping.updatePrefix : mapping.prefix)
        out.appendDecimal(r.timeMilliseconds)
        // Informational when allowed, Medium when denied, Low when it failed otherwise.
        let status: StaticString = ok ? ",\"severity_id\":1,\"status_id\":1" : denied
            ? ",\"severity_id\":3,\"status_id\":2" : ",\"severity_id\":2,\"status_id\":2"
        out.append(status)
        if !ok, r.detail.count > 0 {
            out.append(",\"status_detail\":")
            out.appendJSONString(r.detail)
        }
        out.append(",\"metadata\":{\"version\":\"1.3.0\",\"product\":{\"name\":\"Coffer\",\"vendor_name\":\"Coffer\"},\"uid\":\"")
        out.appendDecimal(r.seq)
        out.append("\"},\"actor\":{\"user\":")
        appendOCSFUser(r.actor, role: r.role, to: out)
        out.append(UInt8(ascii: "}"))
        switch mapping.eventClass {
        case .apiActivity:
            out.append(",\"api\":{\"operation\":")
            out.appendJSONString(r.action)
            out.append("},\"src_endpoint\":{\"svc_name\":\"coffer\"}")
            if r.customerCount > 0 {
                out.append(",\"resources\":[")
                if r.customerCount <= Self.ocsfResourceLimit {
                    var first = true
                    CustomerIDSet.forEachRun(ofEncoded: r.customers) { start, count in
                        for id in start..<(start + count) {
                            let open: StaticString = first ? "{\"type\":\"customer\",\"uid\":\"" : ",{\"type\":\"customer\",\"uid\":\""
                            out.append(open)
                            out.appendDecimal(id)
                            out.append("\"}")
                            first = false
                        }
                    }
                } else {
                    out.append("{\"type\":\"customer_set\",\"name\":\"")
                    out.appendDecimal(r.customerCount)
                    out.append(" customers\"}")
                }
                out.append(UInt8(ascii: "]"))
            }
        case .entityManagement:
            out.append(",\"entity\":")
            Self.appendEntity(action: mapping.action, detail: AuditRecord.string(r.detail), to: out)
            if r.detail.count > 0 {
                out.append(",\"comment\":")
                out.appendJSONString(r.detail)
            }
        case .authentication:
            out.append(",\"user\":")
            appendOCSFUser(r.actor, role: nil, to: out)
            out.append(",\"service\":{\"name\":\"coffer\"}")
        }
        // Coffer's own columns, leaving out what is empty or already said above.
        var opened = false
        if mapping.eventClass != .apiActivity {
            Self.key("\"coffer_action\":", opened: &opened, to: out)
            out.appendJSONString(r.action)
        }
        if r.purpose.count > 0 {
            Self.key("\"purpose\":", opened: &opened, to: out)
            out.appendJSONString(r.purpose)
        }
        if r.fields.count > 0 {
            Self.key("\"fields\":", opened: &opened, to: out)
            out.appendJSONString(r.fields)
        }
        if r.customerCount > Int64(Self.ocsfResourceLimit) || (r.customerCount > 0 && mapping.eventClass != .apiActivity) {
            Self.key("\"customers\":\"", opened: &opened, to: out)
            Self.appendRanges(r.customers, to: out)
            out.append(UInt8(ascii: "\""))
        }
        // The detail, unless already given as status_detail (refusals) or comment (entity changes).
        if r.detail.count > 0, ok, mapping.eventClass != .entityManagement {
            Self.key("\"detail\":", opened: &opened, to: out)
            out.appendJSONString(r.detail)
        }
        out.append(opened ? "}}\n" : "}\n")
    }

    /// Opens `unmapped` before its first key, then separates keys.
    private static func key(_ name: StaticString, opened: inout Bool, to out: ByteBuffer) {
        let lead: StaticString = opened ? "," : ",\"unmapped\":{"
        out.append(lead)
        opened = true
        out.append(name)
    }

    /// An OCSF user: `-` (no authenticated user) is "unknown" with type_id 0; staff carry their role as a group.
    private func appendOCSFUser(_ name: UnsafeRawBufferPointer, role: UnsafeRawBufferPointer?, to out: ByteBuffer) {
        if name.equals("-") {
            out.append("{\"name\":\"unknown\",\"type_id\":0}")
            return
        }
        out.append("{\"name\":")
        out.appendJSONString(name)
        if let role, role.count > 0, !role.equals("-") {
            out.append(",\"groups\":[{\"name\":")
            out.appendJSONString(role)
            out.append("}]")
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The managed entity of a user, policy, key or vault change, from the entry's action and detail.
    static func appendEntity(action: AuditAction, detail: String, to out: ByteBuffer) {
        func word(after marker: String) -> String? {
            guard let range = detail.range(of: marker) else { return nil }
            return detail[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        var entity: [(String, String)]
        switch action {
        case .userAdd, .userSetRole, .userRevoke, .userReinstate, .userResetToken:
            entity = [("type", "user"), ("name", word(after: "user ") ?? "user")]
        case .policyApply:
            entity = [("type", "role_policy"), ("name", "role policy")]
            if let digest = word(after: "-> ") { entity.append(("uid", digest)) }
        case .vaultCreate:
            entity = [("type", "vault"), ("name", "vault")]
        case .keyRewrap:
            entity = [("type", "data_keys"), ("name", "customer data keys")]
        default:
            entity = [("type", "key_encryption_key"), ("name", "KEK")]
            if let version = word(after: "version ") { entity.append(("version", version)) }
        }
        out.append(UInt8(ascii: "{"))
        for (i, (key, value)) in entity.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(key)
            out.append(UInt8(ascii: ":"))
            out.appendJSONString(value)
        }
        out.append(UInt8(ascii: "}"))
    }

    // MARK: Shared pieces

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). The last time formatted is kept: each entry's time
    /// goes into two files.
    mutating func appendTime(_ milliseconds: Int64, to out: ByteBuffer) {
        if milliseconds != cachedTime {
            cachedTime = milliseconds
            timeText.removeAll()
            let day = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
            if day != cachedDay {
                cachedDay = day
                cachedDate = Array(CivilDate(daysSinceEpoch: Int(day)).iso8601.utf8)
            }
            timeText.append(cachedDate)
            var rest = milliseconds - day * 86_400_000
            let hours = rest / 3_600_000
            rest -= hours * 3_600_000
            let minutes = rest / 60_000
            rest -= minutes * 60_000
            let seconds = rest / 1_000
            let millis = rest - seconds * 1_000
            timeText.append(UInt8(ascii: "T"))
            timeText.appendPadded(hours, width: 2)
            timeText.append(UInt8(ascii: ":"))
            timeText.appendPadded(minutes, width: 2)
            timeText.append(UInt8(ascii: ":"))
            timeText.appendPadded(seconds, width: 2)
            timeText.append(UInt8(ascii: "."))
            timeText.appendPadded(millis, width: 3)
            timeText.append(UInt8(ascii: "Z"))
        }
        out.append(timeText.bytes)
    }

    /// The ids of an encoded `CustomerIDSet` as ranges: `1-5,9,12-13`.
    static func appendRanges(_ encoded: UnsafeRawBufferPointer, to out: ByteBuffer) {
        var first = true
        CustomerIDSet.forEachRun(ofEncoded: encoded) { start, count in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.appendDecimal(start)
            if count > 1 {
                out.append(UInt8(ascii: "-"))
                out.appendDecimal(start + count - 1)
            }
        }
    }

    /// `appendRanges` for a `CustomerIDSet` (summaries and subject reports).
    static func ranges(_ set: CustomerIDSet) -> String {
        let out = ByteBuffer(capacity: 256)
        set.encoded().withUnsafeBytes { appendRanges($0, to: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }
}

/// Where an audit action lands in OCSF 1.3.0.
///
/// | Coffer action | OCSF class (class_uid, category_uid) | activity_id |
/// |---|---|---|
/// | read, find, export, reidentify, privacy_check, policy_explain, score..., audit_*, key_status, user_list, review_* and any other read | API Activity (6003, 6) | 2 Read |
/// | write | API Activity | 1 Create (detail "created") or 3 Update |
/// | import | API Activity | 1 Create |
/// | erase | API Activity | 4 Delete |
/// | vault_create, user_add, key_rotate | Entity Management (3004, 3) | 1 Create |
/// | user_set_role, user_revoke, policy_apply, key_rewrap | Entity Management | 3 Update |
/// | key_retire | Entity Management | 4 Delete |
/// | authenticate, authorize | Authentication (3002, 3) | 1 Logon (status Failure: only refusals are logged) |
struct OCSFMapping: Sendable {
    /// The action this mapping classifies.
    let action: AuditAction
    enum EventClass: Int, Sendable { case apiActivity = 6003, entityManagement = 3004, authentication = 3002 }
    enum Category: Int, Sendable { case identityAndAccess = 3, applicationActivity = 6 }

    let eventClass: EventClass
    let activityID: Int
    let activityName: String
    /// `write` is a Create only when its detail says the customer was created, else an Update.
    let dependsOnCreation: Bool
    /// `{"activity_id":…,"activity_name":…,"category_uid":…,"class_uid":…,"type_uid":…,"time":`
    let prefix: [UInt8]
    /// The same for an Update (writes to an existing customer).
    let updatePrefix: [UInt8]

    var category: Category { eventClass == .apiActivity ? .applicationActivity : .identityAndAccess }

    /// Where `action` lands (the table above).
    init(_ action: AuditAction) {
        self.action = action
        let (eventClass, activityID, activityName): (EventClass, Int, String)
        dependsOnCreation = action == .write
        switch action {
        case .write, .import: (eventClass, activityID, activityName) = (.apiActivity, 1, "Create")
        case .erase: (eventClass, activityID, activityName) = (.apiActivity, 4, "Delete")
        case .reindex: (eventClass, activityID, activityName) = (.apiActivity, 3, "Update")
        case .vaultCreate, .userAdd, .keyRotate: (eventClass, activityID, activityName) = (.entityManagement, 1, "Create")
        case .userSetRole, .userRevoke, .userReinstate, .userResetToken, .policyApply, .keyRewrap:
            (eventClass, activityID, activityName) = (.entityManagement, 3, "Update")
        case .keyRetire: (eventClass, activityID, activityName) = (.entityManagement, 4, "Delete")
        case .authenticate, .authorize: (eventClass, activityID, activityName) = (.authentication, 1, "Logon")
        default: (eventClass, activityID, activityName) = (.apiActivity, 2, "Read")
        }
        self.eventClass = eventClass
        self.activityID = activityID
        self.activityName = activityName
        let category = eventClass == .apiActivity ? Category.applicationActivity : .identityAndAccess
        func classification(_ id: Int, _ name: String) -> [UInt8] {
            Array(#"{"activity_id":\#(id),"activity_name":"\#(name)","category_uid":\#(category.rawValue),"class_uid":\#(eventClass.rawValue),"type_uid":\#(eventClass.rawValue * 100 + id),"time":"#.utf8)
        }
        prefix = classification(activityID, activityName)
        updatePrefix = classification(3, "Update")
    }
}
