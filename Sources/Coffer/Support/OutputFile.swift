import Foundation

extension Vault {
    /// Refuses, before anything is read or written, an output file that is a directory, lies in
    /// the vault's own directory or is its root key file (writing a CSV over the database, its
    /// write-ahead log or the key would destroy the vault), or is `input`, the file being read
    /// (it would be truncated before it is read). Symbolic links and `..` are resolved first.
    package func checkOutputFile(_ path: String, input: String? = nil) throws(VaultError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .outputIsDirectory(path: path)
        }
        let output = Self.resolved(path)
        let home = Self.resolved(directory)
        if output == home || output.hasPrefix(home + "/") { throw .outputOverwrites(path: path, what: "the vault's own files") }
        if let keyFilePath, output == Self.resolved(keyFilePath) || Self.sameFile(path, keyFilePath) {
            throw .outputOverwrites(path: path, what: "the vault's root key file")
        }
        if let input, output == Self.resolved(input) || Self.sameFile(path, input) {
            throw .outputOverwrites(path: path, what: "the file being read")
        }
    }

    /// `path` absolute, with `..` and every symbolic link resolved (the file itself need not exist).
    private static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().path }
        return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
    }

    /// Whether two existing paths are one file (hard links included).
    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }
}
