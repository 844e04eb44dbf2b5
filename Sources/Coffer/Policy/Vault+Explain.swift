import CofferSupport
import CofferCrypto
import Foundation

/// A role's view of the schema, field by field, optionally with one customer's values.
public struct PolicyExplanation: Sendable, Equatable, Codable {
    /// One schema field: how the role sees it (`plain`, `masked`, `pseudonym:DOMAIN`, …) and,
    /// when a customer was named, its value through that view.
    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var view: String
        public var value: String?
        /// What `value` is (a number or boolean only where the role sees it as stored); it
        /// types the value in JSON.
        public var kind: FieldValue.Kind = .text

        enum CodingKeys: String, CodingKey { case name, view, value }

        public init(name: String, view: String, value: String?, kind: FieldValue.Kind = .text) {
            self.name = name
            self.view = view
            self.value = value
            self.kind = kind
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let (value, kind) = try FieldValue.decodeContractValue(c, forKey: .value) ?? (nil, .text)
            self.init(name: try c.decode(String.self, forKey: .name), view: try c.decode(String.self, forKey: .view), value: value, kind: kind)
        }

        /// In JSON (the output contract) a plain number or boolean is a JSON number or boolean.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(view, forKey: .view)
            guard let value else { return }
            switch kind {
            case .number:
                if let number = OutputContract.number(value) { try c.encode(number, forKey: .value) } else { try c.encode(value, forKey: .value) }
            case .boolean where value == "true" || value == "false":
                try c.encode(value == "true", forKey: .value)
            default:
                try c.encode(value, forKey: .value)
            }
        }
    }
    /// What the role gets of a customer's history (orders, outcome) and of the values the vault
    /// derives from it. The policy has no entries for them yet: these follow from the role's
    /// view of `customer_ref` and its `score` action, and say so.
    public struct History: Sendable, Equatable, Codable {
        public var name: String
        public var access: String
    }
    public var role: String
    public var actions: [String]
    public var purposes: [String]?
    public var fields: [Field]
    public var history: [History]

    /// `role` over `schema`, with the values of a customer rendered through it (by field name).
    init(_ role: RolePolicy, schema: Schema, values: [String: String] = [:]) {
        self.role = role.name
        actions = role.actions.map(\.rawValue).sorted()
        purposes = role.purposes
        fields = schema.fields.map {
            .init(name: $0.name, view: role.view(of: $0.name).description, value: values[$0.name], kind: Vault.kind(of: $0, seenBy: role))
        }
        let identified = role.view(of: Schema.referenceField) == .plain
        let scores = role.actions.contains(.score)
        let clear = "plain, with each customer read (customer_ref is plain for this role)"
        history = [
            History(name: "orders", access: identified ? clear
                    : scores ? "inside scoring only: summarized into the derived values, never listed" : "not shown"),
            History(name: "outcome", access: identified ? clear
                    : scores ? "in aggregate only: conversion by tier in calibrate" : "not shown"),
            History(name: "derived values", access: scores
                    ? "as scoring-rule inputs (RFM, orders, historic and predicted CLV, P(alive)); not shown in outputs"
                    : "not available"),
        ]
    }
}

/// Who the caller is and what its role lets it do and see: one's own access, which needs no
/// permission to read.
public struct Identity: Sendable, Equatable, Codable {
    public var user: String
    public var access: PolicyExplanation
}

extension Vault {
    /// What `role` sees, field by field; with `customer`, that customer's values rendered
    /// through the role's views (an audited admin read). `candidate` simulates a policy file
    /// before it is applied.
    package func explain(role name: String, customer: String?, candidate: (yaml: String, file: String)?,
                        by session: Session, purpose: String? = nil) throws(VaultError) -> PolicyExplanation {
        let own = try authorize(session, .manageUsers, action: .policyExplain)
        // Showing a customer's values is a read: it needs read, a purpose, and never shows more
        // than the caller's own views would.
        if customer != nil { try authorize(session, .read, action: .policyExplain, purpose: purpose) }
        let source: Policy
        if let candidate {
            do { source = try Policy.load(yaml: candidate.yaml, file: candidate.file, schema: schema) } catch { throw .schema(error) }
        } else {
            source = policy
        }
        guard let role = source[name] else { throw .unknownRole(name, known: source.roleNames) }
        var values: [String: String] = [:]
        if let customer {
            let worker = CryptoWorker(keyRing: keyRing)
            let view = try store.read { tx -> CustomerView? in
                guard let opened = try self.openCustomer(reference: customer, worker: worker, in: tx) else { return nil }
                return try self.view(of: opened, role: role, worker: worker, in: tx)
            }
            guard let view else { throw .customerNotFound }
            let shown = view.fields.filter { own.view(of: $0.name) != .redacted }
            try audit(.user(session), .policyExplain, purpose: purpose,
                      fields: shown.map(\.name), customers: CustomerIDSet([view.internalID]),
                      detail: "simulated role \(name) of policy \(source.digest)")
            for field in shown { values[field.name] = field.value }
        }
        return PolicyExplanation(role, schema: schema, values: values)
    }

    /// The caller's own user, role, actions, purposes and field views, from the policy in force
    /// and the user's current row (a revoked user is refused like any request).
    package func identity(of session: Session) throws(VaultError) -> Identity {
        Identity(user: session.name, access: PolicyExplanation(try rolePolicy(session), schema: schema))
    }
}
