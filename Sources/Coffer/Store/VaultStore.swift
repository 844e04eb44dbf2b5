import Foundation

/// Where a vault keeps its bytes, and the only code that knows how they are laid out.
///
/// Everything a store holds is already protected: customer fields, orders and outcomes are
/// AES-256-GCM ciphertexts, data keys are wrapped, lookups are keyed hashes, users carry only
/// token hashes, keys are sealed under the root key, and audit entries are MAC-chained. The
/// vault does every cryptographic step before a value reaches the store and after it leaves;
/// a store never sees plaintext, a key or a token.
///
/// Work happens in transactions: `read` sees one consistent snapshot, `write` is atomic and
/// durable when it returns (rolled back whole if its body throws). Bodies are synchronous and
/// run on a thread the store chooses, so a store built on an asynchronous driver can serve
/// them without blocking an event loop. SQLite (`SQLiteStore`) is the embedded default.
package protocol VaultStore: Sendable {
    /// Where the store lives, for messages and backups (a file path, or a database name).
    var location: String { get }

    /// Runs `body` on a consistent snapshot.
    func read<T>(_ body: (any StoreReading) throws -> T) throws(VaultError) -> T

    /// Runs `body` in one atomic, durable transaction; nothing of it stays if it throws.
    func write<T>(_ body: (any StoreWriting) throws -> T) throws(VaultError) -> T

    /// Fails if the store could not take more rows now: a write transaction that allocates a
    /// few pages, always rolled back (nothing is written, nothing is synced). A full disk or a
    /// page limit makes it fail; a store that can allocate but not commit is not caught here.
    func checkWritable() throws(VaultError)

    /// Makes sure no superseded copy of erased rows or destroyed keys survives in the store's
    /// own logs (a checkpoint of SQLite's write-ahead log). Waits up to `patience` for readers
    /// in other processes; fails with `checkpointBlocked` if they never let go.
    func purgeSupersededPages(patience: TimeInterval) throws(VaultError)
}

/// What a read transaction can ask. Every method is one parameterized query.
package protocol StoreReading {
    // MARK: Vault settings
    /// Every setting row (`Vault.MetaKey` raw values to bytes).
    func settings() throws -> [String: [UInt8]]
    func setting(_ key: String) throws -> [UInt8]?

    // MARK: Keyring
    func keyRecords() throws -> [KeyRecord]
    /// The version of the active KEK, if one is active.
    func activeKEKVersion() throws -> UInt32?
    func highestKEKVersion() throws -> UInt32
    func kekUses(version: UInt32) throws -> Int64
    func kekState(version: UInt32) throws -> KeyState?

    // MARK: Customers
    func customer(referenceIndex: [UInt8]) throws -> CustomerRecord?
    func customerID(referenceIndex: [UInt8]) throws -> Int64?
    /// The customers whose reference index is one of `referenceIndexes` (any order).
    func customers(referenceIndexes: [[UInt8]]) throws -> [CustomerRecord]
    /// Customers with `digest` in the blind index of the field at schema position `field`, by id.
    func customers(indexedField field: Int, digest: [UInt8]) throws -> [CustomerRecord]
    /// Up to `limit` customers with `after < id <= upTo`, by id.
    func customers(after: Int64, upTo: Int64, limit: Int) throws -> [CustomerRecord]
    /// The data keys of the customers whose reference index is one of `referenceIndexes` (any order).
    func customerKeys(referenceIndexes: [[UInt8]]) throws -> [CustomerKey]
    /// Up to `limit` customers' data keys wrapped by another KEK than `version`, by id.
    func customerKeys(notWrappedBy version: UInt32, limit: Int) throws -> [CustomerKey]
    func customerIDs() throws -> CustomerIDSet
    func customerCount() throws -> Int
    /// Customers per KEK version.
    func customerCountsByKEK() throws -> [UInt32: Int]
    func customerCount(wrappedBy version: UInt32) throws -> Int
    func customerCount(notWrappedBy version: UInt32) throws -> Int
    /// The highest customer id ever assigned (ids are never reused, even after an erasure).
    func highestCustomerID() throws -> Int64

    /// The latest erasure recorded under the keyed digest of a reference, if one was erased.
    func erasure(referenceDigest: [UInt8]) throws -> ErasureRow?

    // MARK: Orders and outcomes
    /// A customer's sealed orders, in the order they were imported.
    func orders(customerID: Int64) throws -> [SealedOrder]
    /// The sealed orders of every customer with an id in `ids` (any order).
    func orders(customerIDs ids: ClosedRange<Int64>) throws -> [SealedOrder]
    func outcome(customerID: Int64) throws -> [UInt8]?
    func outcomes(customerIDs ids: ClosedRange<Int64>) throws -> [(customerID: Int64, sealed: [UInt8])]

    // MARK: Users
    func user(id: Int64) throws -> UserRecord?
    func user(tokenHash: [UInt8]) throws -> UserRecord?
    func user(name: String) throws -> UserRecord?
    /// Every user, by name.
    func users() throws -> [UserRecord]

    // MARK: Policy history
    /// Every recorded policy version, oldest first.
    func policyVersions() throws -> [PolicyVersionRecord]
    func policyVersionCount() throws -> Int
    func highestPolicyVersionID() throws -> Int64

    // MARK: Audit log
    /// The last entry's sequence number and MAC, nil for an empty log.
    func lastAuditLink() throws -> (seq: Int64, mac: [UInt8])?
    func auditMAC(seq: Int64) throws -> [UInt8]?
    func auditEntryCount() throws -> Int64
    /// Entries matching `actor`, `action` and the time window, in sequence order; `body`
    /// returns false to stop early.
    func auditEntries(actor: String?, action: AuditAction?, outcome: AuditEntry.Outcome?, sinceMilliseconds: Int64?,
                      untilMilliseconds: Int64?, newestFirst: Bool, _ body: (AuditEntry) throws -> Bool) throws
    /// Every entry in sequence order, whatever its seq (a tampered log may hold seqs outside
    /// 1...n, and the verifier must see them), each handed to `body` as borrowed columns, read
    /// without copies (the verifier streams millions of entries); `body` returns false to stop.
    func scanAuditEntries(_ body: (AuditEntryColumns) throws -> Bool) throws
}

/// What a write transaction can change, besides everything it can read.
package protocol StoreWriting: StoreReading {
    func insertSetting(_ key: String, value: [UInt8]) throws
    func replaceSetting(_ key: String, value: [UInt8]) throws

    func insertKey(_ record: KeyRecord) throws
    /// The active KEK becomes decrypt-only (a new one is about to become active).
    func demoteActiveKEK() throws
    func retireKEK(version: UInt32, at seconds: Int64) throws
    func addKEKUses(_ count: Int64, version: UInt32) throws

    /// Inserts a customer whose id the caller chose (above `highestCustomerID`, since the id
    /// is bound into its ciphertexts) and records that id as used.
    func insertCustomer(_ record: CustomerRecord) throws
    func updateCustomerFields(id: Int64, fields: [UInt8], updatedAt seconds: Int64) throws
    func updateCustomerDataKey(id: Int64, wrappedDataKey: [UInt8], kekVersion: UInt32) throws
    /// Deletes a customer with its index entries, orders and outcome.
    func deleteCustomer(id: Int64) throws
    /// Records an erasure (after `deleteCustomer`, in the same transaction).
    func insertErasure(_ row: ErasureRow) throws
    func addIndexEntry(field: Int, digest: [UInt8], customerID: Int64) throws
    func removeIndexEntries(field: Int, customerID: Int64) throws

    /// Inserts an order unless one with the same dedup key exists; true if it was inserted.
    func insertOrder(_ order: SealedOrder) throws -> Bool
    /// Counts occurrences of an identical order within one import run: 0 the first time
    /// `key` is seen since `resetOrderOccurrences`, then 1, 2 ...
    func nextOrderOccurrence(_ key: [UInt8]) throws -> Int
    func resetOrderOccurrences() throws
    /// Sets a customer's outcome; true if it replaced one.
    func replaceOutcome(customerID: Int64, sealed: [UInt8]) throws -> Bool

    /// Inserts a user and returns its id.
    func insertUser(name: String, role: String, tokenHash: [UInt8], createdAt seconds: Int64, expiresAt: Int64?) throws -> Int64
    /// Changes a user's role; false if there is no such user.
    func setUserRole(name: String, role: String) throws -> Bool
    /// Revokes an active user; false if there is no active user of that name.
    func revokeUser(name: String, at seconds: Int64) throws -> Bool
    /// Gives the user `name` a new token hash and makes it active; false if there is no such user.
    func replaceUserToken(name: String, tokenHash: [UInt8]) throws -> Bool
    func setUserMAC(id: Int64, mac: [UInt8]) throws

    func insertPolicyVersion(_ record: PolicyVersionRecord) throws

    /// Appends an entry whose seq and MAC are set.
    func insertAuditEntry(_ entry: AuditEntry) throws
}

// MARK: - Records

/// One customer as stored: its wrapped data key and its sealed field container.
package struct CustomerRecord: Sendable {
    package var id: Int64
    /// Keyed hash of the normalized `customer_ref` (the unique lookup key).
    package var referenceIndex: [UInt8]
    package var kekVersion: UInt32
    package var wrappedDataKey: [UInt8]
    /// `FieldContainer` bytes: one sealed value (or nothing) per schema field.
    package var fields: [UInt8]
    package var createdAt: Int64
    package var updatedAt: Int64
}

/// A customer's wrapped data key without its fields: what key work (re-wrapping, sealing
/// orders and outcomes) reads.
package struct CustomerKey: Sendable {
    package var id: Int64
    package var referenceIndex: [UInt8]
    package var kekVersion: UInt32
    package var wrappedDataKey: [UInt8]
}

/// One erased customer as stored: no PII, the reference only as a keyed digest.
package struct ErasureRow: Sendable, Equatable {
    package var referenceDigest: [UInt8]
    package var customerID: Int64
    package var erasedAtMilliseconds: Int64
    package var auditSeq: Int64
    package var actor: String
    package var role: String
    /// A policy purpose name (or `<other>`), as the audit entry records it.
    package var purpose: String
}

/// One order as stored, sealed under its customer's data key.
package struct SealedOrder: Sendable {
    package var customerID: Int64
    /// Keyed digest that makes re-imports of the same order converge.
    package var dedupKey: [UInt8]
    package var sealed: [UInt8]
}

/// One key of the keyring as stored: sealed under the root key, or destroyed (retired).
package struct KeyRecord: Sendable {
    package var kind: KeyRing.Kind
    package var version: UInt32
    package var state: KeyState
    package var createdAt: Int64
    package var retiredAt: Int64?
    package var uses: Int64
    /// Nil once retired: the key material is gone.
    package var sealedKey: [UInt8]?
}

/// One staff account as stored: a token hash, never the token; a MAC over the row.
package struct UserRecord: Sendable {
    package var id: Int64
    package var name: String
    package var role: String
    package var tokenHash: [UInt8]
    package var createdAt: Int64
    package var revokedAt: Int64?
    package var mac: [UInt8]
    /// Seconds since 1970 UTC after which the user's tokens are refused; nil: never.
    package var expiresAt: Int64? = nil
}

/// One policy text that was put in force, with the MAC that makes it trustworthy.
package struct PolicyVersionRecord: Sendable {
    package var id: Int64
    package var appliedAtMilliseconds: Int64
    package var digest: String
    package var yaml: [UInt8]
    package var mac: [UInt8]
    /// Seconds since 1970 UTC after which the user's tokens are refused; nil: never.
    package var expiresAt: Int64? = nil
}

/// One audit entry as stored, its columns borrowed from the store without copies: every buffer
/// is valid only during the `scanAuditEntries` body call that receives it (copy what must
/// outlive it). Nothing here is verified yet; the verifier checks these bytes against the chain.
package struct AuditEntryColumns {
    package var seq: Int64
    package var timeMilliseconds: Int64
    /// UTF-8 text columns.
    package var actor: UnsafeRawBufferPointer
    package var role: UnsafeRawBufferPointer
    package var action: UnsafeRawBufferPointer
    package var purpose: UnsafeRawBufferPointer
    package var outcome: UnsafeRawBufferPointer
    /// Field names joined by ",".
    package var fields: UnsafeRawBufferPointer
    package var customerCount: Int64
    /// `CustomerIDSet.encoded()` bytes.
    package var customers: UnsafeRawBufferPointer
    package var detail: UnsafeRawBufferPointer
    /// The entry's chain MAC.
    package var mac: UnsafeRawBufferPointer
}
