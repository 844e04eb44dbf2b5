import Coffer
import CofferCrypto
import CofferSupport
import Foundation

/// A review package: a directory of event files, a summary and a report, and a manifest
/// signed with the vault's Ed25519 key. `verify` checks one offline, with the public key only.
public enum ReviewPackage {
    public static let eventsJSONL = "events.jsonl"
    public static let eventsCSV = "events.csv"
    public static let eventsOCSF = "events.ocsf.jsonl"
    public static let summary = "summary.json"
    public static let report = "report.html"
    public static let manifest = "MANIFEST.json"
    /// Every file the manifest lists, in the order they are written.
    public static let contentFiles = [eventsJSONL, eventsCSV, eventsOCSF, summary, report]

    /// Checks a package against `publicKeyPEM` (the PEM `coffer audit public-key` prints) without
    /// a vault or any other key: the manifest's signature, the checkpoint it carries, and that the
    /// directory holds exactly the files it lists with their sizes and SHA-256 digests. Every
    /// problem found is reported, each naming the file.
    public static func verify(directory: String, publicKeyPEM: String) -> ReviewPackageVerification {
        var result = ReviewPackageVerification()
        let key: Ed25519.PublicKey
        do {
            key = try Ed25519.PublicKey(pemRepresentation: publicKeyPEM)
        } catch {
            result.problems.append("the public key is not an Ed25519 public key PEM (use the output of `coffer audit public-key`)")
            return result
        }
        guard isDirectory(directory) else {
            result.problems.append("\(directory) is not a directory")
            return result
        }
        let manifestPath = (directory as NSString).appendingPathComponent(manifest)
        guard isRegularFile(manifestPath), let data = FileManager.default.contents(atPath: manifestPath), data.count <= 1 << 20 else {
            result.problems.append("\(manifest) is missing (or not a regular file): this is not a complete review package")
            return result
        }
        guard let signed = try? JSONDecoder().decode(ReviewManifest.self, from: data), signed.isWellFormed else {
            result.problems.append("\(manifest) is not a Coffer review manifest (it was changed or truncated)")
            return result
        }
        result.manifest = signed
        if signed.publicKey != key.rawRepresentation.hexString {
            result.problems.append("\(manifest) was signed with another key than the one given (another vault, or a replaced manifest)")
        } else if !signed.isSigned(by: key) {
            result.problems.append("\(manifest): the signature does not verify (the manifest was changed after signing)")
        }
        if !signed.checkpoint.isSigned(by: key) {
            result.problems.append("\(manifest): the audit checkpoint's signature does not verify")
        } else if signed.checkpoint.seq != signed.head.seq || signed.checkpoint.mac != signed.head.mac || signed.checkpoint.vaultID != signed.vaultID {
            result.problems.append("\(manifest): the audit checkpoint does not name the package's chain head")
        }
        // Exactly the listed files: none missing, none changed, none added.
        let listed = Set(signed.files.map(\.name))
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in present.sorted() where name != manifest && !listed.contains(name) {
            result.problems.append("\(name) is not in the manifest (added after the package was signed)")
        }
        for file in signed.files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            guard isRegularFile(path) else {
                result.problems.append(present.contains(file.name) ? "\(file.name) is not a regular file" : "\(file.name) is missing")
                continue
            }
            guard let digest = sha256(ofFileAt: path) else {
                result.problems.append("\(file.name) cannot be read")
                continue
            }
            if digest.bytes != file.bytes || !constantTimeEquals(Array(digest.sha256.utf8), Array(file.sha256.utf8)) {
                result.problems.append("\(file.name) was changed (its SHA-256 differs from the manifest's)")
            }
        }
        result.isValid = result.problems.isEmpty
        return result
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// SHA-256 (hex) and size of a file, read in 1 MiB blocks.
    static func sha256(ofFileAt path: String) -> (sha256: String, bytes: Int64)? {
        let fd = path.withCString { csvOpen($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else { return nil }
        defer { _ = csvClose(fd) }
        guard let hasher = try? SHA256.Hasher() else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { csvRead(fd, $0.baseAddress!, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            guard (try? hasher.update(buffer[..<n])) != nil else { return nil }
            total += Int64(n)
        }
        guard let digest = try? hasher.finalize() else { return nil }
        return (digest.hexString, total)
    }
}

/// The outcome of `ReviewPackage.verify`.
public struct ReviewPackageVerification: Sendable, Equatable, Codable {
    public var isValid = false
    /// What is wrong, one line each, naming the file.
    public var problems: [String] = []
    /// The manifest as read (trust it only when `isValid`).
    public var manifest: ReviewManifest?
}

/// `MANIFEST.json`: what the package covers and the digest of every file, signed.
public struct ReviewManifest: Sendable, Equatable, Codable {
    public struct File: Sendable, Equatable, Codable {
        public var name: String
        public var bytes: Int64
        /// Hex SHA-256 of the file's bytes.
        public var sha256: String
    }

    /// The last audit entry the package covers (the entry recording the export).
    public struct Head: Sendable, Equatable, Codable {
        public var seq: Int64
        /// Hex chain MAC of the entry.
        public var mac: String
        public var timeMilliseconds: Int64
    }

    public var format = "coffer-review-package-v1"
    public var vaultID: String
    public var periodFrom: String
    public var periodTo: String
    public var generatedAtMilliseconds: Int64
    /// Audit entries in the period (lines of each event file).
    public var entries: Int
    public var head: Head
    /// Signed checkpoint of `head`, usable with `coffer audit verify --checkpoint`.
    public var checkpoint: AuditCheckpoint
    public var files: [File]
    /// Hex Ed25519 public key that signed the manifest.
    public var publicKey: String
    /// Hex Ed25519 signature over `signedBytes`.
    public var signature: String

    /// What the signature covers: every field, one per line, files sorted by name.
    public var signedBytes: [UInt8] {
        var lines = [format, "vault \(vaultID)", "period \(periodFrom) \(periodTo)", "generated \(generatedAtMilliseconds)",
                     "entries \(entries)", "head \(head.seq) \(head.mac) \(head.timeMilliseconds)",
                     "checkpoint \(checkpoint.seq) \(checkpoint.mac) \(checkpoint.timeMilliseconds) \(checkpoint.signature)",
                     "key \(publicKey)"]
        for file in files.sorted(by: { $0.name < $1.name }) { lines.append("file \(file.name) \(file.bytes) \(file.sha256)") }
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// No field can smuggle a separator into `signedBytes`, and file names are plain names.
    var isWellFormed: Bool {
        func token(_ text: String, _ allowed: (UInt8) -> Bool) -> Bool { !text.isEmpty && text.utf8.allSatisfy(allowed) }
        let hex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        let date: (UInt8) -> Bool = { (0x30...0x39).contains($0) || $0 == 0x2d }
        let name: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
        return format == "coffer-review-package-v1" && token(vaultID, hex) && token(periodFrom, date) && token(periodTo, date)
            && token(head.mac, hex) && token(checkpoint.mac, hex) && token(checkpoint.signature, hex) && token(publicKey, hex)
            && Set(files.map(\.name)).count == files.count
            && files.allSatisfy { token($0.name, name) && !$0.name.hasPrefix(".") && $0.name != ReviewPackage.manifest && token($0.sha256, hex) }
    }

    public func isSigned(by key: Ed25519.PublicKey) -> Bool {
        guard let signature = [UInt8](hexString: signature) else { return false }
        return key.rawRepresentation.hexString == publicKey && key.isValidSignature(signature, for: signedBytes)
    }
}

/// A package being written: a private temporary directory beside the target, renamed into
/// place only when everything is written. On failure it is removed, so the target never holds
/// a partial package.
final class PackageDirectory {
    let target: String
    let temporary: String
    private var committed = false

    /// Refuses a target that exists and is not an empty directory, or whose parent does not exist.
    init(target: String) throws(ReviewError) {
        var trimmed = target
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.target = trimmed
        var info = stat()
        if lstat(trimmed, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .packageTargetNotADirectory(path: target)
            }
            guard ((try? FileManager.default.contentsOfDirectory(atPath: trimmed)) ?? ["?"]).isEmpty else {
                throw .packageTargetNotEmpty(path: target)
            }
        }
        let parent = (trimmed as NSString).deletingLastPathComponent
        let parentPath = parent.isEmpty ? "." : parent
        guard ReviewPackage.isDirectory(parentPath) else {
            throw .packageParentMissing(parent: parentPath, target: target)
        }
        var template = Array((parentPath as NSString).appendingPathComponent(".\((trimmed as NSString).lastPathComponent).partial-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw .vault(.invalidInput("cannot create a directory in \(parentPath): \(csvErrno())"))
        }
        temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { if !committed { discard() } }

    func path(_ name: String) -> String { (temporary as NSString).appendingPathComponent(name) }

    /// Writes a whole small file and returns its manifest entry.
    func write(_ name: String, _ bytes: [UInt8]) throws(VaultError) -> ReviewManifest.File {
        let writer = try HashingFileWriter(path: path(name), name: name)
        try writer.write(bytes)
        return try writer.finish()
    }

    /// Moves the finished package into place.
    func commit() throws(ReviewError) {
        var info = stat()
        if lstat(target, &info) == 0, rmdir(target) != 0 {
            throw .packageTargetChanged(path: target, reason: csvErrno())
        }
        guard rename(temporary, target) == 0 else {
            throw .vault(.invalidInput("cannot move the package into \(target): \(csvErrno())"))
        }
        committed = true
    }

    func discard() {
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

/// Writes a new file (mode 0600, never over an existing one) and hashes what it writes.
///
/// Hashing and writing run on the writer's own serial queue, so the three event files of a
/// package are hashed and written in parallel with each other and with the reading of the log;
/// at most `maximumPending` buffers wait, so memory stays bounded. Bytes are staged in 4 MiB
/// aligned blocks and, on Linux, written with O_DIRECT: a multi-gigabyte package nobody reads
/// back would otherwise cost more kernel time in the page cache than its formatting costs.
/// Where direct I/O is refused (tmpfs, other systems), the same blocks go through the cache.
// @unchecked: staging state is used on `queue` only (and by `finish` after draining it); `failure` and `closed` are guarded by `lock`.
final class HashingFileWriter: @unchecked Sendable {
    let name: String
    private let fd: Int32
    private let hasher: SHA256.Hasher
    private let queue: DispatchQueue
    private let pending: DispatchSemaphore
    private static let maximumPending = 3
    private static let blockSize = 4 << 20
    private static let alignment = 4096
    // Used on `queue` only (and by `finish` after it has drained).
    private let stage: UnsafeMutableRawPointer
    private var staged = 0
    private var direct: Bool
    private var bytes: Int64 = 0
    private let lock = NSLock()
    private var failure: VaultError?
    private var closed = false

    /// O_DIRECT, which Glibc's Swift module does not export (it needs _GNU_SOURCE).
    private static var directFlag: Int32? {
        #if os(Linux) && arch(x86_64)
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }

    init(path: String, name: String) throws(VaultError) {
        self.name = name
        do { hasher = try SHA256.Hasher() } catch { throw .crypto(error) }
        queue = DispatchQueue(label: "coffer.review.\(name)")
        pending = DispatchSemaphore(value: Self.maximumPending)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW
        var opened: Int32 = -1
        direct = false
        if let directFlag = Self.directFlag {
            opened = path.withCString { csvOpen($0, flags | directFlag, 0o600) }
            direct = opened >= 0
        }
        if opened < 0 { opened = path.withCString { csvOpen($0, flags, 0o600) } }
        guard opened >= 0 else { throw .invalidInput("cannot create \(name) in the package: \(csvErrno())") }
        fd = opened
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, Self.alignment, Self.blockSize) == 0, let memory else {
            _ = csvClose(opened)
            throw .storage("out of memory for the package writer")
        }
        stage = memory
    }

    deinit {
        // No wait for the queue here: every queued write holds a strong reference, so the last
        // release happens either with nothing queued or inside the last queued write, on the
        // queue itself, where waiting for the queue would trap (a failed export dropped it).
        if !closed { _ = csvClose(fd) }
        free(stage)
    }

    private var firstFailure: VaultError? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func fail(_ error: VaultError) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    func write(_ data: [UInt8]) throws(VaultError) {
        let buffer = ByteBuffer(capacity: data.count)
        buffer.append(data)
        try write(buffer)
    }

    /// Queues `buffer` (no longer written to by the caller) to be hashed and appended, then
    /// hands it to `recycle`; throws the first failure of an earlier write.
    func write(_ buffer: ByteBuffer, recycle: ByteBufferPool? = nil) throws(VaultError) {
        if let failure = firstFailure { throw failure }
        guard buffer.count > 0 else {
            recycle?.give(buffer)
            return
        }
        pending.wait()
        queue.async {
            defer {
                recycle?.give(buffer)
                self.pending.signal()
            }
            guard self.firstFailure == nil else { return }
            let raw = buffer.bytes
            do throws(CryptoError) { try self.hasher.update(raw) } catch { return self.fail(.crypto(error)) }
            var offset = 0
            while offset < raw.count {
                let n = min(Self.blockSize - self.staged, raw.count - offset)
                (self.stage + self.staged).copyMemory(from: raw.baseAddress! + offset, byteCount: n)
                self.staged += n
                offset += n
                if self.staged == Self.blockSize, let problem = self.flushStage() {
                    return self.fail(.invalidInput("cannot write \(self.name) in the package: \(problem)"))
                }
            }
            self.bytes += Int64(raw.count)
        }
    }

    /// Writes the staged bytes; nil or why it failed. A full block goes out directly; a last,
    /// partial one through the page cache (direct I/O needs whole aligned blocks).
    private func flushStage() -> String? {
        if direct, staged % Self.alignment != 0 { leaveDirectIO() }
        var p = UnsafeRawPointer(stage), left = staged
        while left > 0 {
            let n = csvWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                // A file system that takes O_DIRECT at open but not these writes: carry on cached.
                if errno == EINVAL, direct, left == staged {
                    leaveDirectIO()
                    continue
                }
                return csvErrno()
            }
            p += n
            left -= n
            // A short direct write would leave the rest unaligned.
            if direct, left > 0 { leaveDirectIO() }
        }
        staged = 0
        return nil
    }

    private func leaveDirectIO() {
        guard let directFlag = Self.directFlag else { return }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~directFlag)
        direct = false
    }

    /// Waits for the queued writes, writes what is staged, closes the file and returns its
    /// size and digest.
    func finish() throws(VaultError) -> ReviewManifest.File {
        queue.sync {}
        closed = true
        if firstFailure == nil, staged > 0, let problem = flushStage() {
            fail(.invalidInput("cannot write \(name) in the package: \(problem)"))
        }
        if let failure = firstFailure {
            _ = csvClose(fd)
            throw failure
        }
        guard csvClose(fd) == 0 else { throw .invalidInput("cannot write \(name) in the package: \(csvErrno())") }
        do { return ReviewManifest.File(name: name, bytes: bytes, sha256: try hasher.finalize().hexString) } catch { throw .crypto(error) }
    }
}
