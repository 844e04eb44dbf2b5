/// Something a user may ask the vault to do. A role allows a set of them; everything else is denied.
public enum Action: String, CaseIterable, Sendable, Codable {
    case read, write, `import`, erase, score, reidentify, export
    case auditRead = "audit_read", manageKeys = "manage_keys", manageUsers = "manage_users"
}

/// What one role may do and see.
public struct RolePolicy: Sendable, Equatable {
    public let name: String
    public let actions: Set<Action>
    /// Purposes of which a request must name one; nil when the role requires none.
    public let purposes: [String]?
    /// The view of every schema field, in schema order, with default deny already applied.
    let fieldViews: [FieldView]
    let fieldNames: [String]
    private let viewsByName: [String: FieldView]

    init(name: String, actions: Set<Action>, purposes: [String]?, fieldNames: [String], fieldViews: [FieldView]) {
        self.name = name
        self.actions = actions
        self.purposes = purposes
        self.fieldNames = fieldNames
        self.fieldViews = fieldViews
        viewsByName = Dictionary(uniqueKeysWithValues: zip(fieldNames, fieldViews))
    }

    /// The view this role has of `field`; `.redacted` for anything the policy does not grant,
    /// including fields the policy's schema does not know.
    public func view(of field: String) -> FieldView {
        viewsByName[field] ?? .redacted
    }

    /// Fields this role sees in some form, in schema order.
    public var visibleFields: [String] {
        zip(fieldNames, fieldViews).compactMap { $1 == .redacted ? nil : $0 }
    }

    /// Whether the role's policy grants `action`.
    public func allows(_ action: Action) -> Bool {
        actions.contains(action)
    }

    /// Whether a request naming `purpose` (nil: none) satisfies the role's purpose requirement.
    public func accepts(purpose: String?) -> Bool {
        guard let purposes else { return true }
        guard let purpose else { return false }
        return purposes.contains(purpose)
    }
}
