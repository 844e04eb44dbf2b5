import CofferCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an operator's passphrase comes from, other than the environment: a file descriptor the
/// calling process inherited (a pipe from a secrets manager, systemd's credential, `3<file`).
public enum PassphraseSource {
    /// The longest passphrase read from a descriptor; anything longer is refused, not truncated.
    public static let maximumByteCount = 4096

    /// Reads the passphrase from `fd` to end of file into wiping memory, drops one trailing
    /// newline (`\n` or `\r\n`, as `echo` and editors leave), and closes `fd`, whatever happens.
    /// An empty passphrase is `passphraseMissing`; one that cannot be read names the descriptor
    /// only, never any of its bytes.
    public static func read(fd: Int32) throws(VaultError) -> SecureBytes {
        guard fd >= 0 else { throw .invalidInput("the passphrase file descriptor must be 0 or more") }
        defer { close(fd) }
        var length = 0
        var failure: VaultError?
        // One byte more than the maximum: a passphrase that fills it is too long.
        let buffer = SecureBytes(count: maximumByteCount + 1) { (raw: UnsafeMutableRawBufferPointer) -> Void in
            while length < raw.count {
                let n = Glibc.read(fd, raw.baseAddress!.advanced(by: length), raw.count - length)
                if n == 0 { return }
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .invalidInput("cannot read the passphrase from file descriptor \(fd): \(String(cString: strerror(errno)))")
                    return
                }
                length += n
            }
        }
        if let failure { throw failure }
        guard length <= maximumByteCount else {
            throw .invalidInput("the passphrase on file descriptor \(fd) is longer than \(maximumByteCount) bytes")
        }
        let passphrase = buffer.withUnsafeBytes { bytes in
            var end = length
            if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        }
        guard passphrase.count > 0 else { throw .passphraseMissing }
        return passphrase
    }
}
