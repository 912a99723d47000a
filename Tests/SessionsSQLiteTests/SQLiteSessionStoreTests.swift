import FoundationEssentials
import Logging
import NIOCore
import SQLiteNIO
import Sessions
import SessionsSQLite
import SessionsTesting
import Testing

@Suite struct SQLiteSessionStoreTests {
    /// Runs `body` on a fresh in-memory database and closes it afterwards, whatever happens.
    static func withConnection(_ body: (SQLiteConnection) async throws -> Void) async throws {
        let connection = try await SQLiteConnection.open(storage: .memory)
        do {
            try await body(connection)
        } catch {
            try await connection.close()
            throw error
        }
        try await connection.close()
    }

    static func withStore(clock: (any SessionClock)? = nil, _ body: (SQLiteSessionStore) async throws -> Void) async throws {
        try await withConnection { connection in
            try await body(try SQLiteSessionStore(connection: connection, configuration: .init(clock: clock)))
        }
    }

    /// Runs `body` with the path of a database file that does not exist yet, and deletes the file and its WAL
    /// companions afterwards, whatever happens.
    static func withDatabaseFile(_ body: (String) async throws -> Void) async throws {
        let path = "/tmp/swift-sessions-\(UInt64.random(in: 0 ... .max)).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        }
        try await body(path)
    }

    static let capabilities: SessionStoreConformance.Capabilities = [
        .serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones, .reportsExpiry,
    ]

    @Test(arguments: SessionStoreConformance.checks(applicableTo: capabilities))
    func conformance(_ check: SessionStoreConformance.Check) async throws {
        try await Self.withConnection { connection in
            let clock = ManualSessionClock()
            let conformance = SessionStoreConformance(capabilities: Self.capabilities, time: .manual(clock)) { generateKey in
                try SQLiteSessionStore(connection: connection, configuration: .init(clock: clock), generateKey: generateKey)
            }
            let outcome = try await conformance.run(check)
            #expect(outcome == .passed)
        }
    }

    @Test func expiryFollowsTheDatabaseClockNotTheApps() async throws {
        try await Self.withConnection { connection in
            let skewed = ManualSessionClock(start: Date(timeIntervalSince1970: 0))
            let appClockStore = try SQLiteSessionStore(connection: connection, configuration: .init(clock: skewed))
            let databaseClockStore = try SQLiteSessionStore(connection: connection)
            let key = try await appClockStore.save(SessionState(["a": 1], createdAt: skewed.now), ttl: .seconds(3600))
            #expect(try await appClockStore.load(key) != nil, "alive by the skewed app clock")
            #expect(try await databaseClockStore.load(key) == nil, "expired by the database clock: it expired in 1970")
            let fresh = try await databaseClockStore.save(SessionState(["b": 2], createdAt: Date()), ttl: .seconds(3600))
            #expect(try await databaseClockStore.load(fresh)?["b"] == 2)
            #expect(try await databaseClockStore.updateTTL(key, ttl: .seconds(3600)) == .gone)
        }
    }

    /// Without an app clock the database's clock decides, and that is seen without waiting: the expiry a
    /// save writes is the database's now plus the TTL, and moving it into the database's past expires the row.
    @Test func withoutAnAppClockExpiryIsTheDatabases() async throws {
        try await Self.withStore { store in
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(600))
            let digest = SQLiteData.blob(ByteBuffer(bytes: key.storageDigest))
            let now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
            let rows = try await store.connection.query("SELECT expires_at - \(now) AS remaining FROM sessions WHERE key_hash = ?1", [digest])
            let remaining = try #require(rows.first?.column("remaining")?.integer)
            #expect((540_000...600_000).contains(remaining), "600 s from the database's now (a minute of margin for a busy machine): \(remaining) ms")
            #expect(try await store.load(key) != nil)
            _ = try await store.connection.query("UPDATE sessions SET expires_at = \(now) - 1 WHERE key_hash = ?1", [digest])
            #expect(try await store.load(key) == nil, "past the database's now, the row is expired")
            #expect(try await store.updateTTL(key, ttl: .seconds(600)) == .gone)
        }
    }

    @Test func keysAreStoredHashedNeverRaw() async throws {
        try await Self.withStore { store in
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            let rows = try await store.connection.query("SELECT key_hash FROM sessions")
            let stored = try #require(rows.first?.column("key_hash")?.blob)
            #expect(Array(stored.readableBytesView) == key.storageDigest)
            let dump = try await store.connection.query("SELECT * FROM sessions").description
            #expect(!dump.contains(key.rawValue))
        }
    }

    @Test func corruptStateIsADeserializationError() async throws {
        try await Self.withStore { store in
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            _ = try await store.connection.query("UPDATE sessions SET state = 'not json'")
            do {
                _ = try await store.load(key)
                Issue.record("a corrupt row must not load")
            } catch let error as LoadError {
                #expect(error.kind == .deserialization)
            }
        }
    }

    @Test func theSweeperDeletesExpiredRowsInBatches() async throws {
        let clock = ManualSessionClock()
        try await Self.withStore(clock: clock) { store in
            for index in 0..<5 {
                _ = try await store.save(SessionState(["n": .integer(Int64(index))], createdAt: clock.now), ttl: .seconds(10))
            }
            let kept = try await store.save(SessionState(["kept": true], createdAt: clock.now), ttl: .seconds(100))
            clock.advance(by: .seconds(11))
            let sweeper = SessionExpirySweeper(store: store, configuration: .init(batchSize: 2))
            #expect(try await sweeper.sweep() == 5)
            let remaining = try await store.connection.query("SELECT count(*) AS n FROM sessions")
            #expect(remaining.first?.column("n")?.integer == 1)
            #expect(try await store.load(kept)?["kept"] == true)
            #expect(try await sweeper.sweep() == 0)
        }
    }

    @Test func theSweeperServiceSweepsUntilCancelledThenStops() async throws {
        let clock = ManualSessionClock()
        try await Self.withStore(clock: clock) { store in
            let sweeper = SessionExpirySweeper(store: store, configuration: .init(interval: .milliseconds(5)))
            _ = try await store.save(SessionState(["a": 1], createdAt: clock.now), ttl: .seconds(1))
            clock.advance(by: .seconds(2))
            let running = Task { try await sweeper.run() }
            // It sweeps while it runs: the expired row goes without anyone calling sweep().
            let deadline = ContinuousClock.now + .seconds(60)
            while try await store.connection.query("SELECT count(*) AS n FROM sessions").first?.column("n")?.integer != 0 {
                guard ContinuousClock.now < deadline else {
                    Issue.record("the running sweeper never swept the expired row")
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            running.cancel()
            // And it returns once cancelled, rather than sleeping on: bounded, so a sweeper that ignored
            // cancellation fails here instead of hanging the suite.
            let stopped = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await running.value
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(30))
                    return false
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            #expect(stopped, "the sweeper stopped when cancelled")
        }
    }

    @Test func tableNamesMustBePlainIdentifiers() async throws {
        try await Self.withConnection { connection in
            for bad in ["", "1sessions", "sessions; DROP TABLE x", "sess-ions", "\"quoted\""] {
                #expect(throws: SessionConfigurationError.self) {
                    try SQLiteSessionStore(connection: connection, configuration: .init(tableName: bad))
                }
            }
            let custom = try SQLiteSessionStore(connection: connection, configuration: .init(tableName: "web_sessions_2"))
            let key = try await custom.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            #expect(try await custom.load(key)?["a"] == 1)
        }
    }

    @Test func aNewerSchemaVersionIsRefused() async throws {
        try await Self.withStore { store in
            try await store.migrate()
            _ = try await store.connection.query("UPDATE swift_sessions_schema SET version = 4")
            let again = try SQLiteSessionStore(connection: store.connection)
            let error = await #expect(throws: SessionStoreMessage.self) { try await again.migrate() }
            #expect(error?.description.contains("schema version 4") == true)
        }
    }

    /// A file written by the previous release (schema 1: no tombstones) is upgraded in place, sessions kept.
    @Test func aVersionOneSchemaIsUpgradedAndKeepsItsSessions() async throws {
        try await Self.withConnection { connection in
            for statement in [
                "CREATE TABLE swift_sessions_schema (table_name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
                "CREATE TABLE \"sessions\" (key_hash BLOB PRIMARY KEY, state TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID",
                "INSERT INTO swift_sessions_schema VALUES ('sessions', 1)",
            ] {
                _ = try await connection.query(statement)
            }
            let key = SessionKey.generate()
            _ = try await connection.query(
                "INSERT INTO \"sessions\" VALUES (?1, '{\"user_id\":\"ada\"}', 0, 99999999999999)",
                [.blob(ByteBuffer(bytes: key.storageDigest))]
            )
            let store = try SQLiteSessionStore(connection: connection)
            #expect(try await store.load(key)?["user_id"] == "ada")
            let version = try await connection.query("SELECT version FROM swift_sessions_schema WHERE table_name = 'sessions'")
            #expect(version.first?.column("version")?.integer == 3)
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.hasTombstone(key))
            #expect(try await store.load(key) == nil, "the upgrade added the tombstones' trigger that ends the session")
        }
    }

    /// A file of schema 2 (a renew in two statements) gains the renew's column and trigger, sessions kept, and
    /// a migration cut after its column was added runs again without failing.
    @Test func aVersionTwoSchemaIsUpgradedAndRenewsInOneStatement() async throws {
        try await Self.withConnection { connection in
            // Schema 2 as the previous release wrote it.
            for statement in [
                "CREATE TABLE swift_sessions_schema (table_name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
                "CREATE TABLE \"sessions\" (key_hash BLOB PRIMARY KEY, state TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID",
                "CREATE TABLE \"sessions_tombstones\" (key_hash BLOB PRIMARY KEY, ended_until INTEGER NOT NULL, successor BLOB) WITHOUT ROWID",
                """
                CREATE TRIGGER "sessions_tombstones_ends_session_on_insert" AFTER INSERT ON "sessions_tombstones"
                WHEN NEW.successor IS NULL BEGIN DELETE FROM "sessions" WHERE key_hash = NEW.key_hash; END
                """,
                """
                CREATE TRIGGER "sessions_tombstones_ends_session_on_update" AFTER UPDATE ON "sessions_tombstones"
                WHEN NEW.successor IS NULL BEGIN DELETE FROM "sessions" WHERE key_hash = NEW.key_hash; END
                """,
                "INSERT INTO swift_sessions_schema VALUES ('sessions', 2)",
            ] {
                _ = try await connection.query(statement)
            }
            let key = SessionKey.generate()
            _ = try await connection.query(
                "INSERT INTO \"sessions\" VALUES (?1, '{\"user_id\":\"ada\"}', 0, 99999999999999)",
                [.blob(ByteBuffer(bytes: key.storageDigest))]
            )
            // Cut short once: the column is there, the version still says 2.
            _ = try await connection.query("ALTER TABLE \"sessions\" ADD COLUMN renew_tombstone_until INTEGER")
            let store = try SQLiteSessionStore(connection: connection)
            let state = try #require(try await store.load(key))
            guard
                case .updated(let moved) = try await store.renew(
                    key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
            else {
                Issue.record("the renew moved the session")
                return
            }
            #expect(try await store.hasTombstone(key), "the trigger wrote the old key's tombstone")
            let column = try await connection.query(
                "SELECT renew_tombstone_until FROM sessions WHERE key_hash = ?1", [.blob(ByteBuffer(bytes: moved.storageDigest))])
            #expect(column.first?.column("renew_tombstone_until")?.integer == nil, "and cleared the column: no later move can reuse it")
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.load(moved) == nil, "a purge of the old key follows it")
            let version = try await connection.query("SELECT version FROM swift_sessions_schema WHERE table_name = 'sessions'")
            #expect(version.first?.column("version")?.integer == 3)
        }
    }

    /// A renew is one statement: when it fails nothing of it stays, so no live session sits behind a live
    /// tombstone that would answer every later login of that browser with no cookie. The test's triggers
    /// refuse the move, and (for a renew in several statements) the taking back of a tombstone.
    @Test("a renew that fails leaves no tombstone, and the next one moves the session")
    func aFailedRenewLeavesNoTombstone() async throws {
        try await Self.withStore { store in
            let state = SessionState(["user_id": "ada"], createdAt: Date())
            let key = try await store.save(state, ttl: .seconds(60))
            _ = try await store.connection.query(
                "CREATE TEMP TRIGGER refuse_move BEFORE UPDATE OF key_hash ON main.sessions BEGIN SELECT RAISE(ABORT, 'refused'); END")
            _ = try await store.connection.query(
                "CREATE TEMP TRIGGER refuse_take_back BEFORE DELETE ON main.sessions_tombstones BEGIN SELECT RAISE(ABORT, 'refused'); END")
            await #expect(throws: UpdateError.self) {
                try await store.renew(key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
            }
            _ = try await store.connection.query("DROP TRIGGER temp.refuse_move")
            _ = try await store.connection.query("DROP TRIGGER temp.refuse_take_back")
            #expect(try await !store.hasTombstone(key), "nothing of the failed renew stayed")
            guard
                case .updated = try await store.renew(
                    key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
            else {
                Issue.record("the next login renews the live session")
                return
            }
        }
    }

    /// An up-to-date schema needs no DDL: a store on a read-only connection still loads (no CREATE tried).
    @Test func aCurrentSchemaIsOnlyRead() async throws {
        try await Self.withDatabaseFile { path in
            let writer = try await SQLiteSessionStore.open(path: path)
            let key = try await writer.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            try await writer.close()
            let readOnly = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await readOnly.query("PRAGMA query_only = ON")
            do {
                let store = try SQLiteSessionStore(connection: readOnly)
                #expect(try await store.load(key)?["a"] == 1)
            } catch {
                try await readOnly.close()
                throw error
            }
            try await readOnly.close()
        }
    }

    /// A process of schema 2 that died between a renew's two statements left the renew's tombstone on a key
    /// that still holds its session; opening the file clears it.
    @Test func openingClearsTheTombstoneOfARenewCutShortByACrash() async throws {
        try await Self.withDatabaseFile { path in
            let first = try await SQLiteSessionStore.open(path: path)
            let key = try await first.save(SessionState(["user_id": "ada"], createdAt: Date()), ttl: .seconds(60))
            let bystander = try await first.save(SessionState(["user_id": "grace"], createdAt: Date()), ttl: .seconds(60))
            let moved = try await first.renew(
                bystander, as: SessionKey.generate(), to: SessionState(["user_id": "grace"], createdAt: Date()), changes: .init(), ttl: .seconds(60),
                tombstoneTTL: .seconds(60))
            let now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
            // The renew's first statement, as the crashed process ran it; its move never came.
            _ = try await first.connection.query(
                "INSERT INTO sessions_tombstones (key_hash, ended_until, successor) VALUES (?1, \(now) + 60000, ?2)",
                [SQLiteData.blob(ByteBuffer(bytes: key.storageDigest)), SQLiteData.blob(ByteBuffer(bytes: SessionKey.generate().storageDigest))]
            )
            let state = try #require(try await first.load(key))
            #expect(try await first.hasTombstone(key))
            try await first.close()

            let second = try await SQLiteSessionStore.open(path: path)
            #expect(try await !second.hasTombstone(key), "opening cleared the leftover")
            guard
                case .updated = try await second.renew(
                    key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
            else {
                Issue.record("after reopening, the live session renews")
                return
            }
            guard case .updated(let movedKey) = moved else {
                Issue.record("the bystander's renew moved it")
                return
            }
            #expect(try await second.hasTombstone(bystander), "a finished renew's tombstone stays")
            #expect(try await second.load(movedKey)?["user_id"] == "grace")
            try await second.close()
        }
    }

    /// A request carrying a purged or renewed key must find the session or its tombstone, never neither (such a
    /// request starts a new session whose cookie replaces the logout's removal): a purge that deleted first and
    /// tombstoned in a second statement left that gap. Triggers record, at the moment a row goes or moves,
    /// whether its key's tombstone is already there.
    @Test func aKeyHasItsTombstoneBeforeItsSessionGoesOrMoves() async throws {
        try await Self.withStore { store in
            let now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
            let tombstoned = "EXISTS (SELECT 1 FROM sessions_tombstones WHERE key_hash = old.key_hash AND ended_until > \(now))"
            _ = try await store.save(SessionState(["user_id": "warm-up"], createdAt: Date()), ttl: .seconds(60))
            _ = try await store.connection.query("CREATE TABLE observed (event TEXT, tombstoned INTEGER)")
            _ = try await store.connection.query(
                "CREATE TRIGGER observe_delete AFTER DELETE ON sessions BEGIN INSERT INTO observed VALUES ('delete', \(tombstoned)); END")

            let state = SessionState(["user_id": "ada"], createdAt: Date())
            let key = try await store.save(state, ttl: .seconds(60))
            guard
                case .updated(let renewed) = try await store.renew(
                    key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
            else {
                Issue.record("the renew moved the session")
                return
            }
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.load(renewed) == nil, "the purge followed the renew")

            let observed = try await store.connection.query("SELECT event, tombstoned FROM observed ORDER BY rowid").map {
                "\($0.column("event")?.string ?? "?") \($0.column("tombstoned")?.integer == 1 ? "after" : "before") the tombstone"
            }
            // A renew's move and its tombstone are one statement (the trigger writes it), which no request sees halfway.
            #expect(observed == ["delete after the tombstone"])
        }
    }

    @Test func sessionsSurviveReopeningTheFileInWALMode() async throws {
        try await Self.withDatabaseFile { path in
            let first = try await SQLiteSessionStore.open(path: path)
            let key = try await first.save(SessionState(["user_id": "ada"], createdAt: Date()), ttl: .seconds(60))
            let mode = try await first.connection.query("PRAGMA journal_mode")
            #expect(mode.first?.column("journal_mode")?.string == "wal")
            try await first.close()
            let second = try await SQLiteSessionStore.open(path: path)
            #expect(try await second.load(key)?["user_id"] == "ada")
            try await second.close()
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
