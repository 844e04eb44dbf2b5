import CofferCrypto
import Foundation
import GRDB

extension Vault {
    /// Every KEK version with its state, age, use count and how many customers it covers.
    public func keyStatus(session: Session) throws(VaultError) -> [KeyVersionStatus] {
        try authorize(session, .manageKeys, action: "key_status")
        return try database.read { db in
            let coverage = try Self.kekCoverage(db)
            return try Row.fetchAll(db, sql: "SELECT version, state, created_at, retired_at, uses FROM keyring WHERE kind = 'kek' ORDER BY version").map { row in
                let version: Int64 = row["version"]
                return KeyVersionStatus(
                    version: UInt32(version), state: KeyState(rawValue: row["state"]) ?? .retired,
                    createdAt: Date(timeIntervalSince1970: TimeInterval(row["created_at"] as Int64)),
                    retiredAt: (row["retired_at"] as Int64?).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    uses: row["uses"], customers: coverage[version] ?? 0)
            }
        }
    }

    /// Customers per KEK version (the data keys each version wraps now).
    static func kekCoverage(_ db: Database) throws -> [Int64: Int] {
        var coverage: [Int64: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT kek_version, count(*) AS n FROM customers GROUP BY kek_version") {
            coverage[row["kek_version"]] = row["n"]
        }
        return coverage
    }

    /// Makes a new KEK version active; the previous one becomes decrypt-only.
    /// Returns the new version. Existing customers keep working; `rewrapDataKeys` moves them.
    @discardableResult
    public func rotateKEK(session: Session) throws(VaultError) -> UInt32 {
        try authorize(session, .manageKeys, action: "key_rotate")
        let root = rootKey
        let version = try database.write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT max(version) FROM keyring WHERE kind = 'kek'") ?? 0
            let version = UInt32(current + 1)
            let key = try SymmetricKey.random()
            let cipher = try AES256GCM(key: root.key)
            let sealed = try key.withUnsafeBytes { (raw) throws(CryptoError) in
                try SealedBox.seal(raw, keyVersion: 0, context: KeyRing.sealContext(vaultID: keyRing.vaultID, kind: .kek, version: version),
                                   cipher: cipher, nonces: NonceSource(batch: 1))
            }
            try db.execute(sql: "UPDATE keyring SET state = 'decrypt_only' WHERE kind = 'kek' AND state = 'active'")
            try db.execute(sql: "INSERT INTO keyring (kind, version, state, created_at, uses, sealed_key) VALUES ('kek', ?, 'active', ?, 0, ?)",
                           arguments: [Int64(version), Int64(Date().timeIntervalSince1970), Data(sealed)])
            try self.appendAudit(self.draft(session, action: "key_rotate", detail: "KEK version \(version) active"), db: db)
            return version
        }
        try reloadKeyRing()
        logger.notice("key-encryption key rotated", metadata: ["active": "\(version)"])
        return version
    }

    /// Re-wraps every data key not under the active KEK, in batches of `batchSize`.
    ///
    /// Each batch commits on its own, and only customers not yet on the active version are
    /// selected, so a run killed at any point can simply be started again (idempotent).
    /// The DEKs themselves do not change, so sealed fields are untouched.
    /// `maximumBatches` stops early (a maintenance window); the next run carries on.
    /// Returns how many customers were re-wrapped by this run.
    @discardableResult
    public func rewrapDataKeys(batchSize: Int = 1_000, maximumBatches: Int? = nil, session: Session,
                               progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> Int {
        try authorize(session, .manageKeys, action: "key_rewrap")
        let active = keyRing.activeVersion
        let total = try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM customers WHERE kek_version != ?", arguments: [Int64(active)]) ?? 0
        }
        let workers = makeWorkers()
        var done = 0, batches = 0
        progress?(WorkProgress(completed: 0, total: total, unit: "customers"))
        while maximumBatches.map({ batches < $0 }) ?? true {
            batches += 1
            let moved = try database.write { db -> Int in
                let rows = try Row.fetchAll(db, sql: "SELECT id, wrapped_dek FROM customers WHERE kek_version != ? ORDER BY id LIMIT ?",
                                            arguments: [Int64(active), batchSize])
                if rows.isEmpty { return 0 }
                try keyRing.assertStillActive(in: db)
                let uses = try Int64.fetchOne(db, sql: "SELECT uses FROM keyring WHERE kind = 'kek' AND version = ?", arguments: [Int64(active)]) ?? 0
                guard uses + Int64(rows.count) <= keyRing.maximumUses else {
                    throw VaultError.keyUsageExhausted(version: active, limit: keyRing.maximumUses)
                }
                let items: [(id: Int64, wrapped: [UInt8])] = rows.map { ($0["id"], [UInt8]($0["wrapped_dek"] as Data)) }
                let rewrapped = try ForkJoin.map(items.count, contexts: workers) { i, worker in
                    let key = try worker.unwrap(items[i].wrapped, customerID: items[i].id)
                    return try worker.wrap(dataKey: key, customerID: items[i].id, version: active)
                }
                let update = try db.cachedStatement(sql: "UPDATE customers SET wrapped_dek = ?, kek_version = ? WHERE id = ?")
                for (i, item) in items.enumerated() {
                    try update.execute(arguments: [Data(rewrapped[i]), Int64(active), item.id])
                }
                try db.execute(sql: "UPDATE keyring SET uses = uses + ? WHERE kind = 'kek' AND version = ?", arguments: [items.count, Int64(active)])
                try self.appendAudit(self.draft(session, action: "key_rewrap", customers: CustomerIDSet(items.map(\.id)),
                                                detail: "data keys re-wrapped under KEK version \(active)"), db: db)
                return items.count
            }
            if moved == 0 { break }
            done += moved
            progress?(WorkProgress(completed: done, total: total, unit: "customers"))
        }
        try checkpoint()
        logger.info("data keys re-wrapped", metadata: ["count": "\(done)", "active": "\(active)"])
        return done
    }

    /// Destroys a decrypt-only KEK version that no customer depends on any more.
    public func retireKEK(version: UInt32, session: Session) throws(VaultError) {
        try authorize(session, .manageKeys, action: "key_retire")
        try database.write { db in
            guard let state = try String.fetchOne(db, sql: "SELECT state FROM keyring WHERE kind = 'kek' AND version = ?", arguments: [Int64(version)]) else {
                throw VaultError.keyVersionUnknown(version)
            }
            switch KeyState(rawValue: state) {
            case .active: throw VaultError.keyVersionActive(version)
            case .retired: throw VaultError.keyVersionRetired(version)
            default: break
            }
            let covered = try Int.fetchOne(db, sql: "SELECT count(*) FROM customers WHERE kek_version = ?", arguments: [Int64(version)]) ?? 0
            guard covered == 0 else { throw VaultError.keyVersionInUse(version: version, customers: covered) }
            try db.execute(sql: "UPDATE keyring SET state = 'retired', sealed_key = NULL, retired_at = ? WHERE kind = 'kek' AND version = ?",
                           arguments: [Int64(Date().timeIntervalSince1970), Int64(version)])
            try self.appendAudit(self.draft(session, action: "key_retire", detail: "KEK version \(version) destroyed"), db: db)
        }
        try reloadKeyRing()
        try checkpoint()
        logger.notice("key-encryption key retired", metadata: ["version": "\(version)"])
    }
}

