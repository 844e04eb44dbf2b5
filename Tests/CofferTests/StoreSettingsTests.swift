import CofferTestSupport
import GRDB
import Testing
@testable import Coffer

/// How the store opens its database: what a committed transaction can rely on.
@Suite struct StoreSettingsTests {
    @Test func commitsAreDurableAndDeletionsOverwritten() throws {
        let fixture = try TestVault()
        for vault in [fixture.vault, try fixture.reopen()] {
            let settings = try vault.database.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                 try Int.fetchOne(db, sql: "PRAGMA secure_delete"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
            }
            // WAL, synchronous FULL (2; GRDB's WAL set-up would leave NORMAL, 1), secure_delete and foreign keys on.
            #expect(settings.0 == "wal" && settings.1 == 2 && settings.2 == 1 && settings.3 == 1)
        }
    }
}
