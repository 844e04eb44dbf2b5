/// A 256-bit secret key. Wipes itself when released and never prints.
///
/// Class-owned (through `SecureBytes`) so that copies share one buffer instead of spreading
/// key bytes across memory.
public struct SymmetricKey: Sendable, ContiguousBytes, CustomStringConvertible, CustomDebugStringConvertible {
    /// Size of every key in the vault, in bytes.
    public static let byteCount = 32

    let bytes: SecureBytes

    /// A fresh random key from the OpenSSL CSPRNG.
    public static func random() throws(CryptoError) -> SymmetricKey {
        SymmetricKey(validated: try SecureBytes(randomCount: byteCount))
    }

    /// Wraps existing secret bytes, which must be exactly 32 bytes long.
    public init(_ bytes: SecureBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    /// Copies `raw`, which must be exactly 32 bytes long. Wipe your own copy afterwards.
    public init<B: ContiguousBytes>(copying raw: B) throws(CryptoError) {
        try self.init(SecureBytes(copying: raw))
    }

    private init(validated bytes: SecureBytes) { self.bytes = bytes }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBytes(body)
    }

    public var description: String { "SymmetricKey(redacted)" }
    public var debugDescription: String { description }
}
