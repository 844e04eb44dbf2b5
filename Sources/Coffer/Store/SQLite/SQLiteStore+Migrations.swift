import GRDB

extension SQLiteStore {
    /// The schema, one migration per version; a vault opened by a newer build is migrated
    /// in place, and opening an up-to-date vault writes nothing.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: vault") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;

                -- Key material sealed under the root key; kind is kek, blind_index, pseudonym or audit.
                CREATE TABLE keyring (
                    kind TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('active', 'decrypt_only', 'retired')),
                    created_at INTEGER NOT NULL,
                    retired_at INTEGER,
                    uses INTEGER NOT NULL DEFAULT 0,
                    sealed_key BLOB,
                    PRIMARY KEY (kind, version)
                ) WITHOUT ROWID;

                -- One row per customer: its DEK wrapped by a KEK version, and its sealed fields.
                CREATE TABLE customers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ref_index BLOB NOT NULL UNIQUE,
                    kek_version INTEGER NOT NULL,
                    wrapped_dek BLOB NOT NULL,
                    fields BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX customers_kek_version ON customers(kek_version);

                -- Exact-match lookups: keyed hashes of normalized values, per field (schema position).
                CREATE TABLE blind_index (
                    field INTEGER NOT NULL,
                    digest BLOB NOT NULL,
                    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                    PRIMARY KEY (field, digest, customer_id)
                ) WITHOUT ROWID;
                CREATE INDEX blind_index_customer ON blind_index(customer_id);

                -- Purchase history sealed with the customer's DEK. dedup_key makes re-imports converge.
                CREATE TABLE orders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                    dedup_key BLOB NOT NULL UNIQUE,
                    sealed BLOB NOT NULL
                );
                CREATE INDEX orders_customer ON orders(customer_id);

                -- The latest won/lost outcome per customer, sealed with its DEK.
                CREATE TABLE outcomes (
                    customer_id INTEGER PRIMARY KEY NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                    sealed BLOB NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: users and audit log") { db in
            try db.execute(sql: """
                -- Staff accounts. Only a SHA-256 of each token is stored; tokens are shown once.
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    token_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    -- HMAC of the row under a keyring key: a role edited by SQL is refused.
                    mac BLOB NOT NULL DEFAULT x''
                );

                -- Append-only, hash-chained audit log: mac = HMAC(audit key, previous mac | entry).
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    time_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT NOT NULL,
                    action TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    fields TEXT NOT NULL,
                    customer_count INTEGER NOT NULL,
                    customers BLOB NOT NULL,
                    detail TEXT NOT NULL,
                    mac BLOB NOT NULL
                );

                """)
        }
        migrator.registerMigration("v3: policy history") { db in
            try db.execute(sql: """
                -- Every policy text ever put in force, so a review can show what a change changed.
                -- Append-only; each row carries a MAC under a keyring key (like the policy in force),
                -- and its digest is the one the audit log recorded for the change.
                CREATE TABLE policy_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    -- Milliseconds since 1970 UTC; 0 for a policy in force before the history was kept.
                    applied_at_ms INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    yaml BLOB NOT NULL,
                    mac BLOB NOT NULL
                );
                CREATE TRIGGER policy_history_no_update BEFORE UPDATE ON policy_history
                    BEGIN SELECT RAISE(ABORT, 'policy_history is append-only'); END;
                CREATE TRIGGER policy_history_no_delete BEFORE DELETE ON policy_history
                    BEGIN SELECT RAISE(ABORT, 'policy_history is append-only'); END;
                """)
        }
        migrator.registerMigration("v4: erasure records") { db in
            try db.execute(sql: """
                -- One row per erased customer: a keyed digest of its reference (never the
                -- reference), its internal id (what audit entries name) and who erased it, when
                -- and why, with the audit entry that records the erasure. No PII.
                CREATE TABLE erasures (
                    ref_digest BLOB NOT NULL,
                    customer_id INTEGER NOT NULL,
                    erased_at_ms INTEGER NOT NULL,
                    audit_seq INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    -- A reference imported again after an erasure, and erased again, has two rows.
                    PRIMARY KEY (ref_digest, customer_id)
                ) WITHOUT ROWID;
                CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
                    BEGIN SELECT RAISE(ABORT, 'erasures is append-only'); END;
                """)
        }
        migrator.registerMigration("v5: user expiry") { db in
            // Seconds since 1970 UTC after which the user's tokens are refused; NULL: no expiry.
            // Covered by the row's MAC.
            try db.execute(sql: "ALTER TABLE users ADD COLUMN expires_at INTEGER")
        }
        return migrator
    }

}
