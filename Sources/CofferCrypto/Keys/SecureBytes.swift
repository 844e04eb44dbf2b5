import COpenSSL

/// Secret bytes in a class-owned buffer that is wiped with `OPENSSL_cleanse` when released.
///
/// Keys live here, never in `String`, `Data` or long-lived `[UInt8]`. The contents never print:
/// `description` says only how many bytes are held.
// @unchecked: the bytes are written only during init and wiped only in deinit; in between they are only read.
public final class SecureBytes: @unchecked Sendable, ContiguousBytes, CustomStringConvertible, CustomDebugStringConvertible {
    // Immutable after init (only deinit writes, when no other reference exists): safe to share.
    private let storage: UnsafeMutableRawBufferPointer
    /// Number of secret bytes held.
    public let count: Int

    /// Fresh random bytes from the OpenSSL CSPRNG.
    public init(randomCount count: Int) throws(CryptoError) {
        self.count = count
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        // Every stored property is set, so if this throws, deinit runs and wipes and frees storage.
        try SecureRandom.fill(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Copies `bytes`; the caller remains responsible for wiping its own copy.
    public init<B: ContiguousBytes>(copying bytes: B) {
        let count = bytes.withUnsafeBytes { $0.count }
        self.count = count
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        bytes.withUnsafeBytes { source in
            if count > 0 { storage.copyMemory(from: source) }
        }
    }

    /// Fills a new buffer of `count` bytes with `initializer`, which must write every byte.
    public init<E: Error>(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        self.count = count
        storage = .allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        // Every stored property is set, so if this throws, deinit runs and wipes and frees storage.
        try initializer(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    deinit {
        secureWipe(storage)
        storage.deallocate()
    }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}

extension SecureBytes: Equatable {
    /// Constant-time equality of contents.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        constantTimeEquals(lhs, rhs)
    }
}
