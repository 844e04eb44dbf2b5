import CofferCrypto
import Foundation
import GRDB

/// The embedded default store: one SQLite file, `vault.sqlite` in the vault directory, through GRDB.
///
/// WAL journal, `synchronous=FULL` (a committed transaction survives power loss), foreign keys
/// on, `secure_delete` on (erased rows are zeroed, not left in free pages). Every statement is
/// parameterized, and this folder holds every statement the vault runs.
package final class SQLiteStore: VaultStore {
    static let fileName = "vault.sqlite"

    /// The connection (one writer; GRDB serializes access). Tests reach it to tamper with rows.
    package let queue: DatabaseQueue
    let path: String
    package var location: String { path }

    /// Opens (and migrates) the database at `directory/vault.sqlite`.
    init(directory: String, create: Bool) throws(VaultError) {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        let exists = FileManager.default.fileExists(atPath: path)
        if !create, !exists { throw .vaultNotFound(path: directory) }
        if create, exists { throw .vaultAlreadyExists(path: directory) }
        var config = Configuration()
        config.journalMode = .wal
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.label = "coffer"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // 64 MiB of page cache keeps the random-key index pages of a large import resident.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Checkpoint every 64 MiB of WAL rather than every 4 MiB: bulk imports write each page
            // to the WAL and then to the database; fewer, larger checkpoints mean fewer fsyncs.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        do {
            if create {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
            queue = try DatabaseQueue(path: path, configuration: config)
            // After GRDB's WAL set-up, which lowers it to NORMAL: a committed transaction (an audit
            // entry released before its read, an erasure) must survive a power loss, so every
            // commit syncs the WAL.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            // Opening an up-to-date vault writes nothing (not even before the key is checked).
            let migrator = Self.migrator
            if try create || !queue.read({ try migrator.hasCompletedMigrations($0) }) {
                try migrator.migrate(queue)
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw .storage(Self.describe(error))
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            chmod(file, 0o600)
        }
    }

    package func read<T>(_ body: (any StoreReading) throws -> T) throws(VaultError) -> T {
        do {
            return try queue.read { db in try body(SQLiteTransaction(db: db)) }
        } catch {
            throw Self.vaultError(error)
        }
    }

    package func write<T>(_ body: (any StoreWriting) throws -> T) throws(VaultError) -> T {
        do {
            return try queue.write { db in try body(SQLiteTransaction(db: db)) }
        } catch {
            throw Self.vaultError(error)
        }
    }

    package func checkWritable() throws(VaultError) {
        do {
            try queue.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // A table of its own and a value spanning overflow pages: new pages, whatever
                    // room the existing ones have left. Rolled back: the file never sees it.
                    try db.execute(sql: "CREATE TABLE coffer_write_probe (bytes BLOB)")
                    let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                    try db.execute(sql: "INSERT INTO coffer_write_probe (bytes) VALUES (zeroblob(?))", arguments: [2 * pageSize])
                    return .rollback
                }
            }
        } catch {
            throw .storage(Self.describe(error))
        }
    }

    package func purgeSupersededPages(patience: TimeInterval) throws(VaultError) {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            let complete: Bool
            do {
                complete = try queue.writeWithoutTransaction { db in
                    guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") else { return false }
                    let busy: Int = row[0], log: Int = row[1], done: Int = row[2]
                    return busy == 0 && log == done
                }
            } catch {
                throw .storage(Self.describe(error))
            }
            if complete { return }
            guard Date() < deadline else { throw .checkpointBlocked }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Maps anything thrown inside a transaction to the vault's error type; SQLite's own errors
    /// become `storage` with SQLite's message (which never contains bound values).
    static func vaultError(_ error: any Error) -> VaultError {
        if error is DatabaseError { return .storage(describe(error)) }
        return VaultError(wrapping: error)
    }

    /// SQLite error text (never contains bound values).
    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError {
            return "\(db.resultCode): \(db.message ?? "unknown")"
        }
        return String(describing: type(of: error))
    }
}
