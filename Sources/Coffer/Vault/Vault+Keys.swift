import CofferCrypto
import Foundation

extension Vault {
    /// Every KEK version with its state, age, use count and how many customers it covers.
    package func keyStatus(session: Session) throws(VaultError) -> [KeyVersionStatus] {
        try authorize(session, .manageKeys, action: .keyStatus)
        return try store.read { tx in
            let coverage = try tx.customerCountsByKEK()
            return try tx.keyRecords().filter { $0.kind == .kek }.map { key in
                KeyVersionStatus(version: key.version, state: key.state, createdAt: Date(timeIntervalSince1970: TimeInterval(key.createdAt)),
                                 retiredAt: key.retiredAt.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                                 uses: key.uses, customers: coverage[key.version] ?? 0)
            }
        }
    }

    /// The keyring and the accounts as a review reports them: key records (no key material of
    /// retired keys; the sealed material of the others stays sealed), customers per KEK
    /// version, and the users (token hashes, never tokens), read in one snapshot.
    package func inventory() throws(VaultError) -> (keys: [KeyRecord], customersByKEK: [UInt32: Int], users: [UserRecord], lastAuditSeq: Int64) {
        try store.read { tx in (try tx.keyRecords(), try tx.customerCountsByKEK(), try tx.users(), try tx.lastAuditLink()?.seq ?? 0) }
    }

    /// Makes a new KEK version active; the previous one becomes decrypt-only.
    /// Returns the new version. Existing customers keep working; `rewrapDataKeys` moves them.
    @discardableResult
    package func rotateKEK(session: Session) throws(VaultError) -> UInt32 {
        try authorize(session, .manageKeys, action: .keyRotate)
        let root = rootKey
        let version = try store.write { tx in
            let version = try tx.highestKEKVersion() + 1
            let key = try SymmetricKey.random()
            let cipher = try AES256GCM(key: root.key)
            let sealed = try key.withUnsafeBytes { (raw) throws(CryptoError) in
                try SealedBox.seal(raw, keyVersion: 0, context: KeyRing.sealContext(vaultID: keyRing.vaultID, kind: .kek, version: version),
                                   cipher: cipher, nonces: NonceSource(batch: 1))
            }
            try tx.demoteActiveKEK()
            try tx.insertKey(KeyRecord(kind: .kek, version: version, state: .active, createdAt: Int64(Date().timeIntervalSince1970),
                                       retiredAt: nil, uses: 0, sealedKey: sealed))
            try self.audit(.user(session), .keyRotate, detail: "KEK version \(version) active", in: tx)
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
    package func rewrapDataKeys(batchSize: Int = 1_000, maximumBatches: Int? = nil, session: Session,
                               progress: ((WorkProgress) -> Void)? = nil) throws(VaultError) -> Int {
        try authorize(session, .manageKeys, action: .keyRewrap)
        let active = keyRing.activeVersion
        let total = try store.read { tx in try tx.customerCount(notWrappedBy: active) }
        let workers = makeWorkers()
        var done = 0, batches = 0
        progress?(WorkProgress(completed: 0, total: total, unit: "customers"))
        while maximumBatches.map({ batches < $0 }) ?? true {
            batches += 1
            let moved = try store.write { tx -> Int in
                let rows = try tx.customerKeys(notWrappedBy: active, limit: batchSize)
                if rows.isEmpty { return 0 }
                try keyRing.assertStillActive(in: tx)
                let uses = try tx.kekUses(version: active)
                guard uses + Int64(rows.count) <= keyRing.maximumUses else {
                    throw VaultError.keyUsageExhausted(version: active, limit: keyRing.maximumUses)
                }
                let items: [(id: Int64, wrapped: [UInt8])] = rows.map { ($0.id, $0.wrappedDataKey) }
                let rewrapped = try ForkJoin.map(items.count, contexts: workers) { i, worker in
                    let key = try worker.unwrap(items[i].wrapped, customerID: items[i].id)
                    return try worker.wrap(dataKey: key, customerID: items[i].id, version: active)
                }
                for (i, item) in items.enumerated() {
                    try tx.updateCustomerDataKey(id: item.id, wrappedDataKey: rewrapped[i], kekVersion: active)
                }
                try tx.addKEKUses(Int64(items.count), version: active)
                try self.audit(.user(session), .keyRewrap, customers: CustomerIDSet(items.map(\.id)),
                               detail: "data keys re-wrapped under KEK version \(active)", in: tx)
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
    package func retireKEK(version: UInt32, session: Session) throws(VaultError) {
        try authorize(session, .manageKeys, action: .keyRetire)
        try store.write { tx in
            guard let state = try tx.kekState(version: version) else { throw VaultError.keyVersionUnknown(version) }
            switch state {
            case .active: throw VaultError.keyVersionActive(version)
            case .retired: throw VaultError.keyVersionRetired(version)
            default: break
            }
            let covered = try tx.customerCount(wrappedBy: version)
            guard covered == 0 else { throw VaultError.keyVersionInUse(version: version, customers: covered) }
            try tx.retireKEK(version: version, at: Int64(Date().timeIntervalSince1970))
            try self.audit(.user(session), .keyRetire, detail: "KEK version \(version) destroyed", in: tx)
        }
        try reloadKeyRing()
        try checkpoint()
        logger.notice("key-encryption key retired", metadata: ["version": "\(version)"])
    }
}

