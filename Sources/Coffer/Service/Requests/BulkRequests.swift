import CofferSupport
import Foundation

/// Exactly what a role sees of every customer, written to a CSV file (mode 0600). Requires
/// `export`; another role's view requires `manage_users`. Progress is in customers.
public struct ExportView: VaultRequest {
    /// The role whose view to write; nil: the caller's own.
    public var role: String?
    public var path: String
    /// Set by `init(role:streamingTo:)`: the CSV goes there instead of `path`.
    public var sink: (any ByteSink)?

    public init(role: String? = nil, to path: String) {
        self.role = role
        self.path = path
    }

    /// The same export, streamed to `sink` (an HTTP response) rather than written to a file.
    public init(role: String? = nil, streamingTo sink: any ByteSink) {
        self.role = role
        path = "view.csv"
        self.sink = sink
    }

    /// What was written.
    public struct Response: Sendable, Equatable, Codable {
        public var customers: Int
        public var role: String
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        let destination: ExportDestination = sink.map { .sink($0, name: path) } ?? .file(path)
        let count = try vault.exportView(role: role, to: destination, session: caller.session, purpose: caller.purpose, progress: progress)
        return Response(customers: count, role: role ?? caller.session.role)
    }
}

/// Maps `customer_ref` pseudonyms of a domain back to customer references (requires
/// `reidentify`; audited). Unknown pseudonyms map to nothing.
public struct Reidentify: VaultRequest {
    public var pseudonyms: [String]
    public var domain: String

    public init(pseudonyms: [String], domain: String) {
        self.pseudonyms = pseudonyms
        self.domain = domain
    }

    /// The pseudonyms in a text file: one per line, or the first column of a CSV (a QCL). Lines
    /// whose first value is not a pseudonym (`ps_…`), such as a header, are skipped.
    public static func pseudonyms(inFile path: String) throws(VaultError) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .file(.cannotOpen(path: path, reason: "cannot read the file of pseudonyms"))
        }
        let tokens = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let first = line.split(separator: ",", maxSplits: 1).first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
            return first.flatMap { $0.hasPrefix("ps_") ? $0 : nil }
        }
        guard !tokens.isEmpty else { throw .invalidInput("\(path): no pseudonyms (ps_...) found; give one per line or a QCL") }
        return tokens
    }

    /// Pseudonym → customer reference, for the pseudonyms that match a customer.
    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [String: String] {
        try vault.reidentify(pseudonyms, domain: domain, session: caller.session, purpose: caller.purpose)
    }
}

/// k-anonymity of a role's view over its quasi-identifiers (requires `export`; another role's
/// view requires `manage_users`).
public struct CheckPrivacy: RemoteRequest, Codable {
    public static let route = "privacy/check"
    public static let fields: Set<String> = ["role", "k"]

    /// The role whose view to check; nil: the caller's own.
    public var role: String?
    public var k: Int

    public init(role: String? = nil, k: Int) {
        self.role = role
        self.k = k
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> PrivacyReport {
        try vault.privacyCheck(role: role, k: k, session: caller.session, purpose: caller.purpose)
    }
}
