/// Errors from the cryptographic layer. None of them carries key material or plaintext.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key of the wrong size was supplied (AES-256 needs exactly 32 bytes).
    case invalidKeyLength(expected: Int, actual: Int)
    /// A nonce other than 96 bits; rejected before OpenSSL sees it.
    case invalidNonceLength(actual: Int)
    /// A tag other than 128 bits; rejected before OpenSSL sees it.
    case invalidTagLength(actual: Int)
    /// The tag did not verify: wrong key, wrong associated data, or tampered data.
    case authenticationFailed
    /// A requested output size outside what the primitive allows.
    case invalidOutputLength(Int)
    /// Parameters outside what the primitive allows (e.g. scrypt N not a power of two).
    case invalidParameters(String)
    /// The secure random generator failed; nothing random was produced.
    case randomFailure
    /// OpenSSL reported an internal failure in the named operation.
    case openSSLFailure(String)

    public var description: String {
        switch self {
        case let .invalidKeyLength(expected, actual):
            "invalid key length: expected \(expected) bytes, got \(actual)"
        case let .invalidNonceLength(actual):
            "invalid nonce length: the vault uses 12-byte nonces, got \(actual)"
        case let .invalidTagLength(actual):
            "invalid tag length: the vault uses 16-byte tags, got \(actual)"
        case .authenticationFailed:
            "authentication failed: wrong key or tampered data"
        case let .invalidOutputLength(n):
            "invalid output length \(n)"
        case let .invalidParameters(what):
            "invalid parameters: \(what)"
        case .randomFailure:
            "the system random generator failed"
        case let .openSSLFailure(operation):
            "OpenSSL failure in \(operation)"
        }
    }
}
