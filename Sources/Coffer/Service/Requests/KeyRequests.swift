import Foundation

/// Every key-encryption key version: state, age, uses and customers covered (requires `manage_keys`).
public struct KeyStatus: RemoteRequest {
    public static let route = "keys/status"

    public init() {}

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> [KeyVersionStatus] {
        try vault.keyStatus(session: caller.session)
    }
}

/// Creates a new active KEK version; the previous one becomes decrypt-only.
public struct RotateKEK: RemoteRequest {
    public static let route = "keys/rotate"

    public init() {}

    /// The version now active.
    public struct Response: Sendable, Equatable, Codable {
        public var active: UInt32
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        Response(active: try vault.rotateKEK(session: caller.session))
    }
}

/// Re-wraps data keys under the active KEK, in batches of one transaction each; resumable
/// (a later request carries on). Progress is in customers.
public struct RewrapDataKeys: VaultRequest {
    public var batchSize: Int
    /// Stop after this many batches; nil: until every data key is on the active version.
    public var maximumBatches: Int?

    public init(batchSize: Int = 1_000, maximumBatches: Int? = nil) {
        self.batchSize = batchSize
        self.maximumBatches = maximumBatches
    }

    /// How many data keys were re-wrapped.
    public struct Response: Sendable, Equatable, Codable {
        public var rewrapped: Int
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        guard batchSize > 0 else { throw .invalidInput("the batch size must be positive") }
        return Response(rewrapped: try vault.rewrapDataKeys(batchSize: batchSize, maximumBatches: maximumBatches,
                                                            session: caller.session, progress: progress))
    }
}

/// Destroys a KEK version that no customer depends on any more.
public struct RetireKEK: RemoteRequest {
    public static let route = "keys/retire"
    public static let fields: Set<String> = ["version"]

    public var version: UInt32

    public init(version: UInt32) { self.version = version }

    /// The version retired, and its state now.
    public struct Response: Sendable, Equatable, Codable {
        public var version: UInt32
        public var state: KeyState
    }

    public func respond(in vault: Vault, as caller: Caller, progress: @escaping @Sendable (WorkProgress) -> Void) throws(VaultError) -> Response {
        try vault.retireKEK(version: version, session: caller.session)
        return Response(version: version, state: .retired)
    }
}
