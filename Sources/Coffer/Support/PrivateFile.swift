import Foundation

/// Output files that may hold pseudonyms or customer data (QCLs, reports, hand-offs).
public enum PrivateFile {
    /// Creates or replaces `path` with `data`, readable by its owner only (mode 0600, also when
    /// the file existed before).
    public static func write(_ data: Data, to path: String) throws(VaultError) {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]),
              (try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)) != nil else {
            throw .cannotWrite(path: path)
        }
    }
}
