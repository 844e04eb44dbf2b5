import CofferCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The secret everything else is wrapped under. Never stored in the database.
///
/// Either 32 random bytes in a key file (mode 0600, created by `coffer init`) or derived from
/// a passphrase with scrypt and a per-vault salt.
public struct RootKey: Sendable {
    let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// Bytes in a key file: a magic line then 32 raw key bytes.
    static let fileMagic: [UInt8] = Array("coffer-root-key-v1\n".utf8)

    /// Creates a new random root key file, refusing to overwrite an existing one.
    public static func createKeyFile(at path: String) throws(VaultError) -> RootKey {
        let key: SymmetricKey
        do { key = try .random() } catch { throw .crypto(error) }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw .keyFileExists(path: path) }
            throw .storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var ok = writeAll(fd, fileMagic)
        ok = ok && key.withUnsafeBytes { writeAll(fd, $0) }
        ok = ok && fsync(fd) == 0
        guard ok else {
            unlink(path)
            throw .storage("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return RootKey(key: key)
    }

    /// Loads a key file, refusing one that anybody but its owner can read or write.
    public static func loadKeyFile(at path: String) throws(VaultError) -> RootKey {
        // Open first, then check the opened file (no swap between check and use; no symlinks).
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { throw .keyFileMissing(path: path) }
            if errno == ELOOP { throw .keyFileInvalid(path: path, reason: "is a symbolic link") }
            throw .keyFileInvalid(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .keyFileInvalid(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .keyFileInvalid(path: path, reason: "not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw .keyFileTooOpen(path: path, mode: String(mode, radix: 8)) }
        let expected = fileMagic.count + SymmetricKey.byteCount
        guard Int(info.st_size) == expected else { throw .keyFileInvalid(path: path, reason: "wrong size") }
        let raw = try SecureBytes(count: expected) { (buffer) throws(VaultError) in
            var offset = 0
            while offset < expected {
                let n = read(fd, buffer.baseAddress!.advanced(by: offset), expected - offset)
                guard n > 0 else { throw .keyFileInvalid(path: path, reason: "short read") }
                offset += n
            }
        }
        return try raw.withUnsafeBytes { (bytes) throws(VaultError) in
            guard constantTimeEquals(UnsafeRawBufferPointer(rebasing: bytes[0..<fileMagic.count]), fileMagic) else {
                throw .keyFileInvalid(path: path, reason: "missing header")
            }
            do throws(CryptoError) {
                return RootKey(key: try SymmetricKey(copying: UnsafeRawBufferPointer(rebasing: bytes[fileMagic.count...])))
            } catch {
                throw .crypto(error)
            }
        }
    }

    /// Derives the root key from a passphrase with scrypt.
    public static func derive(passphrase: SecureBytes, salt: [UInt8], parameters: Scrypt.Parameters) throws(VaultError) -> RootKey {
        do {
            let bytes = try Scrypt.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters, outputByteCount: SymmetricKey.byteCount)
            return RootKey(key: try SymmetricKey(bytes))
        } catch {
            throw .crypto(error)
        }
    }
}

private func writeAll<B: ContiguousBytes>(_ fd: Int32, _ bytes: B) -> Bool {
    bytes.withUnsafeBytes { b in
        var offset = 0
        while offset < b.count {
            let n = write(fd, b.baseAddress!.advanced(by: offset), b.count - offset)
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
