import CofferSupport
import Foundation

/// One customer by its `customer_ref`, as the caller's role sees it (audited read).
public struct GetCustomer: RemoteRequest {
    public static let route = "customers/get"
    public static let fields: Set<String> = ["reference"]

    public var reference: String

    public init(reference: String) { self.reference = reference }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> CustomerView {
        try vault.customer(reference: reference, session: caller.session, purpose: caller.purpose)
    }
}

/// Customers whose indexed field (email, phone, …) equals a value after normalization, as the
/// caller's role sees them. No match is `VaultError.noMatch`, naming the normalized form looked
/// for (a phone number in E.164).
public struct FindCustomers: VaultRequest {
    public var lookup: Vault.Lookup
    /// The region (ISO 3166-1 alpha-2) a phone number written nationally is read in; nil for
    /// the schema's (`region`, `phone_region`).
    public var region: String?

    public init(_ lookup: Vault.Lookup, region: String? = nil) {
        self.lookup = lookup
        self.region = region
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [CustomerView] {
        try vault.find(lookup, region: region, session: caller.session, purpose: caller.purpose)
    }
}

/// Creates or updates one customer: fields named are set (nil clears one), others are kept.
public struct PutCustomer: RemoteRequest, Codable {
    public static let route = "customers/put"
    public static let fields: Set<String> = ["values"]

    public var values: [String: String?]

    public init(values: [String: String?]) { self.values = values }

    /// The fields of a flat JSON object (`{"customer_ref": "CUS-1", "email": "…", "age": 41}`):
    /// strings, numbers and booleans become text, null clears the field. Anything else (an
    /// array, a nested object, not JSON at all) is refused, naming what to send instead.
    public init(json: Data) throws(VaultError) {
        guard let object = try? JSONDecoder().decode([String: JSONFieldValue].self, from: json) else {
            throw .invalidInput("the input is not a flat JSON object; send {\"customer_ref\": \"...\", \"field\": \"value\", ...}")
        }
        values = object.mapValues(\.text)
    }

    private enum CodingKeys: String, CodingKey { case values }

    /// `{"values": {"customer_ref": "CUS-1", "age": 41, "email": null}}`: the flat object `init(json:)`
    /// takes, under `values` (field names are kept as they are: they are schema names).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        values = try c.decode([String: JSONFieldValue].self, forKey: .values).mapValues(\.text)
    }

    /// The values as text, a cleared field as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(values, forKey: .values)
    }

    /// What was written: the customer's internal id and whether it is new.
    public struct Response: Sendable, Equatable, Codable {
        public var id: Int64
        public var created: Bool
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        let (id, created) = try vault.put(values, session: caller.session)
        return Response(id: id, created: created)
    }
}

/// A JSON value accepted for one field: string, number, boolean or null, as text.
private struct JSONFieldValue: Decodable {
    var text: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { text = nil; return }
        if let value = try? container.decode(Bool.self) { text = value ? "true" : "false"; return }
        if let value = try? container.decode(Int64.self) { text = String(value); return }
        if let value = try? container.decode(Double.self) { text = String(value); return }
        text = try container.decode(String.self)
    }
}

/// Erases a customer for good (crypto-shredding: its data key is destroyed). The caller must
/// state a purpose; an erasure record (no PII) keeps when, by whom and why.
public struct EraseCustomer: RemoteRequest, Codable {
    public static let route = "customers/erase"
    public static let fields: Set<String> = ["reference"]

    public var reference: String

    public init(reference: String) { self.reference = reference }

    /// The internal id of the customer erased, and the record kept of it.
    public struct Response: Sendable, Equatable, Codable {
        public var erased: Int64
        public var erasure: ErasureRecord
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        let record = try vault.erase(reference: reference, session: caller.session, purpose: caller.purpose)
        return Response(erased: record.customerID, erasure: record)
    }
}

/// Recomputes the blind index of phone fields over E.164 (and rewrites stored phone numbers to
/// E.164) for a vault created before phone numbers were normalized (requires `manage_keys`;
/// audited; one transaction, so it either completes or changes nothing, and may be run again).
public struct ReindexPhones: RemoteRequest, Codable {
    public static let route = "customers/reindex-phones"
    public static let fields: Set<String> = ["region"]

    /// The region national numbers are read in where neither the row (`region_from`) nor the
    /// schema (`region`, `phone_region`) gives one.
    public var region: String?

    public init(region: String? = nil) { self.region = region }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> ReindexReport {
        try vault.reindexPhones(session: caller.session, region: region, progress: progress)
    }
}

/// Imports customers, orders or outcomes from a CSV file (streamed, batch by batch; invalid
/// rows are skipped and reported by line). Progress is in bytes of the file.
public struct ImportFile: VaultRequest {
    public var kind: ImportKind
    public var path: String
    /// The file's dialect, a mapping of its columns, a rejects file, a dry run.
    public var options: ImportOptions

    public init(_ kind: ImportKind, path: String, options: ImportOptions = ImportOptions()) {
        self.kind = kind
        self.path = path
        self.options = options
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> ImportReport {
        try vault.importCSV(kind, path: path, session: caller.session, options: options, progress: progress)
    }
}

/// Imports customers, orders or outcomes from bytes streamed to the vault (an upload to the
/// server): read as they arrive, never written to disk. A rejects file is not written (the
/// uploader holds the rows; the report lists the rejected lines). Progress is in bytes.
public struct ImportStream: VaultRequest {
    public var kind: ImportKind
    public var input: ImportInput
    public var options: ImportOptions

    /// `name`: the uploader's file name, for messages and the report; `size`: the total when known.
    public init(_ kind: ImportKind, from source: any CSVByteSource, name: String, size: Int? = nil, options: ImportOptions = ImportOptions()) {
        self.kind = kind
        input = .stream(source, name: name, size: size)
        self.options = options
        self.options.rejectsPath = nil
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> ImportReport {
        try vault.importCSV(kind, from: input, session: caller.session, options: options, progress: progress)
    }
}

extension FindCustomers: RemoteRequest {
    public static let route = "customers/find"
    public static let fields: Set<String> = ["email", "phone", "region"]

    private enum CodingKeys: String, CodingKey { case email, phone, region }

    /// `{"email": …}` or `{"phone": …, "region": …}`: exactly one of email and phone.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let email = try c.decodeIfPresent(String.self, forKey: .email)
        let phone = try c.decodeIfPresent(String.self, forKey: .phone)
        let region = try c.decodeIfPresent(String.self, forKey: .region)
        switch (email, phone) {
        case let (email?, nil): self.init(.email(email), region: region)
        case let (nil, phone?): self.init(.phone(phone), region: region)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "give exactly one of email and phone"))
        }
    }

    /// The same keys: `{"email": …}` or `{"phone": …, "region": …}`. A lookup by another
    /// field has no body form and is refused.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch lookup {
        case let .email(email): try c.encode(email, forKey: .email)
        case let .phone(phone): try c.encode(phone, forKey: .phone)
        case .field:
            throw EncodingError.invalidValue(lookup, .init(codingPath: [], debugDescription: "only email and phone lookups travel to a server"))
        }
        try c.encodeIfPresent(region, forKey: .region)
    }
}
