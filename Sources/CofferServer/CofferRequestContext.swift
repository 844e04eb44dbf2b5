import Coffer
import Hummingbird
import NIOConcurrencyHelpers

/// Per-request state: who is calling (set by `TokenAuthentication`), shared with the request
/// log, which runs outside the authentication and still names the actor.
public struct CofferRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller; nil before `TokenAuthentication` (or on the health routes).
    public var caller: Caller? {
        get { callerSlot.withLockedValue { $0 } }
        nonmutating set { callerSlot.withLockedValue { $0 = newValue } }
    }
    /// A box, so the value set by an inner middleware is seen by the outer ones.
    private let callerSlot = NIOLockedValueBox<Caller?>(nil)

    /// JSON request bodies are small; imports stream and are limited on their own.
    public var maxUploadSize: Int { 1 << 20 }

    /// The peer's IP address (the unit throttling counts failures by); "unknown" without one.
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
