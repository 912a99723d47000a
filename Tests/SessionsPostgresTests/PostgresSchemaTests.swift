import FoundationEssentials
import Logging
import PostgresNIO
import Sessions
import SessionsPostgres
import SessionsTesting
import Synchronization
import TestSupport
import Testing

/// The schema under real operating conditions: an older schema upgraded, an app role with data rights
/// only, and the sweeper beside an update that extends a row.
@Suite(.tags(.postgres)) struct PostgresSchemaTests {
    static func recordedVersions(_ client: PostgresClient, table: String) async throws -> [Int] {
        var versions: [Int] = []
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT version FROM swift_sessions_schema WHERE table_name = '\(table)'"))
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }

    /// Creates the tables as the previous release (schema 1, no tombstones) did, with one live session.
    static func createVersionOne(_ client: PostgresClient, table: String, holding key: SessionKey) async throws {
        // Under the migrations' advisory lock: on a fresh server other tests create the schema table at the
        // same moment, and concurrent CREATE TABLE IF NOT EXISTS of one table can fail in PostgreSQL's catalog.
        try await client.withTransaction(logger: Logger(label: "test")) { connection in
            for statement in [
                "SELECT pg_advisory_xact_lock(hashtext('swift_sessions_schema'))",
                "CREATE TABLE IF NOT EXISTS swift_sessions_schema (table_name text PRIMARY KEY, version integer NOT NULL)",
                "CREATE TABLE \(table) (key_hash bytea PRIMARY KEY, state jsonb NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL)",
                "INSERT INTO swift_sessions_schema VALUES ('\(table)', 1)",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "test"))
            }
        }
        var binds = PostgresBindings()
        binds.append(ByteBuffer(bytes: key.storageDigest))
        try await client.query(
            PostgresQuery(unsafeSQL: "INSERT INTO \(table) VALUES ($1, '{\"user_id\":\"ada\"}', now(), now() + interval '1 hour')", binds: binds)
        )
    }

    @Test func aVersionOneSchemaIsUpgradedAndKeepsItsSessions() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let key = SessionKey.generate()
            try await Self.createVersionOne(client, table: table, holding: key)
            let store = try PostgresSessionStoreTests.store(client, table: table)
            #expect(try await store.load(key)?["user_id"] == "ada")
            #expect(try await Self.recordedVersions(client, table: table) == [2])
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.hasTombstone(key))
        }
    }

    /// Production setups migrate with a deploy role and run the app with data rights only.
    @Test func aRoleWithDataRightsOnlyRunsTheStore() async throws {
        try await TestPostgres.withClient { owner in
            let table = TestPostgres.uniqueTable()
            let role = "app_" + table
            try await PostgresSessionStoreTests.store(owner, table: table).migrate()
            for statement in [
                "CREATE ROLE \(role) LOGIN",
                "GRANT SELECT ON swift_sessions_schema TO \(role)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON \(table), \(table)_tombstones TO \(role)",
            ] {
                try await owner.query(PostgresQuery(unsafeSQL: statement))
            }
            try await TestPostgres.withClient(user: role) { app in
                for migrate in [true, false] {
                    let store = try PostgresSessionStore(
                        client: app,
                        configuration: .init(tableName: table, queryTimeout: TestPostgres.patientTimeout, migrate: migrate)
                    )
                    let key = try await store.save(SessionState(["user_id": "ada"], createdAt: Date()), ttl: .seconds(60))
                    let state = try #require(try await store.load(key))
                    #expect(try await store.update(key, to: state, changes: .init(setKeys: ["user_id"]), ttl: .seconds(60)) == .updated(key))
                    guard
                        case .updated(let renewed) = try await store.renew(
                            key, as: SessionKey.generate(), to: state, changes: .init(), ttl: .seconds(60), tombstoneTTL: .seconds(60))
                    else {
                        Issue.record("renew under a data-only role")
                        return
                    }
                    try await store.purge(renewed, tombstoneTTL: .seconds(60))
                    #expect(try await store.hasTombstone(renewed))
                    #expect(try await store.deleteExpired(limit: 10) == 0)
                }
                // DDL stays the deploy role's: the app's own migrate() is refused by the database.
                let store = try PostgresSessionStore(
                    client: app, configuration: .init(tableName: table + "_new", queryTimeout: TestPostgres.patientTimeout))
                let error = await #expect(throws: PostgresStoreFailure.self) { try await store.migrate() }
                #expect(error?.description.contains("42501") == true, "permission denied: \(error.map { "\($0)" } ?? "")")
            }
        }
    }

    @Test func withoutMigrateAnOlderSchemaFailsNamingTheFix() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let key = SessionKey.generate()
            try await Self.createVersionOne(client, table: table, holding: key)
            let store = try PostgresSessionStore(
                client: client, configuration: .init(tableName: table, queryTimeout: TestPostgres.patientTimeout, migrate: false))
            let error = await #expect(throws: LoadError.self) { try await store.load(key) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("run PostgresSessionStore.migrate()"))
            #expect(try await Self.recordedVersions(client, table: table) == [1], "no DDL was run")
            try await store.migrate()
            #expect(try await store.load(key)?["user_id"] == "ada")
        }
    }

    /// The sweeper must not delete a row that a concurrent update extended: with the old statement it waited
    /// for the update's lock and then deleted the extended row (PostgreSQL re-checks only the outer
    /// condition on the new row version); now it skips a locked row, and the outer statement re-checks the
    /// expiry besides.
    @Test func theSweeperSparesARowAnOpenUpdateExtends() async throws {
        try await TestPostgres.withClient { client in
            let clock = ManualSessionClock()
            let table = TestPostgres.uniqueTable()
            let store = try PostgresSessionStoreTests.store(client, table: table, clock: clock)
            let key = try await store.save(SessionState(["user_id": "ada"], createdAt: clock.now), ttl: .seconds(10))
            clock.advance(by: .seconds(11))
            try await client.withConnection { connection in
                // The update's statement, held open: it extends the row and keeps its lock.
                try await connection.query("BEGIN", logger: Logger(label: "test"))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "UPDATE \(table) SET expires_at = expires_at + interval '1 hour'"),
                    logger: Logger(label: "test")
                )
                let finished = Flag()
                let sweep = Task {
                    defer { finished.set() }
                    return try await store.deleteExpired(limit: 10)
                }
                // The sweep either skips the locked row and returns, or waits on the lock: either way, go on
                // only once it has done one of the two.
                try await Self.waitUntil {
                    if finished.isSet { return true }
                    return try await Self.aQueryIsWaitingForALock(on: table, client: client)
                }
                try await connection.query("COMMIT", logger: Logger(label: "test"))
                #expect(try await sweep.value == 0, "the extended row was not swept")
            }
            #expect(try await store.load(key)?["user_id"] == "ada", "the update's extension stands")
        }
    }

    /// A purge that waits on the lock of a renew moving the row: when the renew commits, the purge's
    /// `DELETE` finds no row under the old key. The renew's tombstone, which the purge meets, names where it went.
    @Test func aPurgeWaitingOnARenewFollowsItToTheNewKey() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let store = try PostgresSessionStoreTests.store(client, table: table)
            let old = try await store.save(SessionState(["user_id": "ada"], createdAt: Date()), ttl: .seconds(600))
            let new = SessionKey.generate()
            try await client.withConnection { connection in
                // The renew's statement, held open: the row is moved and its tombstone written, uncommitted.
                var binds = PostgresBindings()
                binds.append(ByteBuffer(bytes: old.storageDigest))
                binds.append(ByteBuffer(bytes: new.storageDigest))
                try await connection.query("BEGIN", logger: Logger(label: "test"))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "UPDATE \(table) SET key_hash = $2 WHERE key_hash = $1", binds: binds), logger: Logger(label: "test"))
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO \(table)_tombstones VALUES ($1, now() + interval '1 minute', $2)", binds: binds),
                    logger: Logger(label: "test")
                )
                let purge = Task { try await store.purge(old, tombstoneTTL: .seconds(60)) }
                try await Self.waitUntil { try await Self.aQueryIsWaitingForALock(on: table, client: client) }
                try await connection.query("COMMIT", logger: Logger(label: "test"))
                try await purge.value
            }
            #expect(try await store.load(new) == nil, "the purge reached the key the session moved to while it waited")
        }
    }

    /// Whether a query touching `table` waits for a lock now.
    static func aQueryIsWaitingForALock(on table: String, client: PostgresClient) async throws -> Bool {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*)::int FROM pg_locks JOIN pg_stat_activity USING (pid)
                    WHERE NOT granted AND query LIKE '%\(table)%' AND pid <> pg_backend_pid()
                    """
            )
        )
        var waiting = 0
        for try await count in rows.decode(Int.self) { waiting = count }
        return waiting > 0
    }

    /// Polls `condition` until it holds; fails after `limit`.
    static func waitUntil(within limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(limit)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The store on databases configured otherwise than the defaults: another default isolation, and a
/// statement that waits on a lock past the store's deadline.
@Suite(.tags(.postgres)) struct PostgresServerSettingsTests {
    /// A database whose default isolation is repeatable read fails one of two concurrent updates of a row
    /// with a serialization failure; the store runs it again.
    @Test func concurrentUpdatesSucceedUnderRepeatableRead() async throws {
        try await TestPostgres.withClient { owner in
            let table = TestPostgres.uniqueTable()
            let role = "rr_" + table
            try await PostgresSessionStoreTests.store(owner, table: table).migrate()
            for statement in [
                "CREATE ROLE \(role) LOGIN",
                "ALTER ROLE \(role) SET default_transaction_isolation = 'repeatable read'",
                "GRANT SELECT ON swift_sessions_schema TO \(role)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON \(table), \(table)_tombstones TO \(role)",
            ] {
                try await owner.query(PostgresQuery(unsafeSQL: statement))
            }
            try await TestPostgres.withClient(user: role) { client in
                var isolation = ""
                for try await value in try await client.query("SHOW transaction_isolation").decode(String.self) { isolation = value }
                #expect(isolation == "repeatable read", "the role's default applies to the store's connections")
                let store = try PostgresSessionStoreTests.store(client, table: table)
                let key = try await store.save(SessionState(["base": true], createdAt: Date()), ttl: .seconds(600))
                let results = try await withThrowingTaskGroup(of: SessionUpdateResult.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            try await store.update(
                                key,
                                to: SessionState(["w\(index)": .integer(Int64(index))], createdAt: Date()),
                                changes: .init(setKeys: ["w\(index)"]),
                                ttl: .seconds(600)
                            )
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.allSatisfy { $0 == .updated(key) })
                #expect(try await store.load(key)?.entries.count == 9, "every concurrent update persisted")
            }
        }
    }

    /// With the client's settings the server gives up a statement the store abandoned at its deadline: it
    /// neither holds its connection nor commits later.
    @Test func aStatementAbandonedAtTheDeadlineNeverCommitsLater() async throws {
        var configuration = try PostgresClient.Configuration(url: try TestServices.environment("SESSIONS_TEST_POSTGRES_URL"))
        configuration.applySessionStoreSettings(queryTimeout: .seconds(1))
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let table = TestPostgres.uniqueTable()
            let store = try PostgresSessionStore(client: client, configuration: .init(tableName: table, queryTimeout: .seconds(1)))
            try await TestPostgres.withClient { blocker in
                // Set up on a patient client: on two busy cores a first migration can take more than a second.
                let setup = try PostgresSessionStoreTests.store(blocker, table: table)
                let key = try await setup.save(SessionState(["n": 1], createdAt: Date()), ttl: .seconds(600))
                try await blocker.withConnection { connection in
                    try await connection.query("BEGIN", logger: Logger(label: "test"))
                    try await connection.query(PostgresQuery(unsafeSQL: "SELECT * FROM \(table) FOR UPDATE"), logger: Logger(label: "test"))
                    await #expect(throws: UpdateError.self) {
                        try await store.update(key, to: SessionState(["n": 2], createdAt: Date()), changes: .init(setKeys: ["n"]), ttl: .seconds(600))
                    }
                    // The server cancels the waiting statement itself (lock_timeout): no query waits on the row.
                    try await PostgresSchemaTests.waitUntil(within: .seconds(20)) {
                        try await !PostgresSchemaTests.aQueryIsWaitingForALock(on: table, client: blocker)
                    }
                    try await connection.query("COMMIT", logger: Logger(label: "test"))
                }
                #expect(try await setup.load(key)?["n"] == 1, "the abandoned update did not commit once the lock was free")
            }
        }
    }
}
