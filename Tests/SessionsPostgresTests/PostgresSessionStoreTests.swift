import FoundationEssentials
import Logging
import PostgresNIO
import Sessions
import SessionsPostgres
import SessionsTesting
import TestSupport
import Testing

/// Against the real PostgreSQL servers that `scripts/test` starts.
@Suite(.tags(.postgres)) struct PostgresSessionStoreTests {
    static func store(_ client: PostgresClient, table: String, clock: (any SessionClock)? = nil) throws -> PostgresSessionStore {
        try PostgresSessionStore(client: client, configuration: .init(tableName: table, queryTimeout: TestPostgres.patientTimeout, clock: clock))
    }

    static let capabilities: SessionStoreConformance.Capabilities = [
        .serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones, .reportsExpiry,
    ]

    @Test(arguments: SessionStoreConformance.checks(applicableTo: capabilities))
    func conformance(_ check: SessionStoreConformance.Check) async throws {
        try await TestPostgres.withClient { client in
            let clock = ManualSessionClock()
            let table = TestPostgres.uniqueTable()
            let conformance = SessionStoreConformance(capabilities: Self.capabilities, time: .manual(clock)) { generateKey in
                try PostgresSessionStore(
                    client: client,
                    configuration: .init(tableName: table, queryTimeout: TestPostgres.patientTimeout, clock: clock),
                    generateKey: generateKey
                )
            }
            let outcome = try await conformance.run(check)
            #expect(outcome == .passed)
        }
    }

    @Test func theNULCharacterIsASerializationError() async throws {
        try await TestPostgres.withClient { client in
            let store = try Self.store(client, table: TestPostgres.uniqueTable())
            do {
                _ = try await store.save(SessionState(["a": "x\u{0}y"], createdAt: Date()), ttl: .seconds(60))
                Issue.record("jsonb cannot hold U+0000")
            } catch let error as SaveError {
                #expect(error.kind == .serialization)
            }
            let key = try await store.save(SessionState(["a": #"a literal \u0000 is fine"#], createdAt: Date()), ttl: .seconds(60))
            #expect(try await store.load(key)?["a"] == #"a literal \u0000 is fine"#)
        }
    }

    @Test func expiryFollowsTheDatabaseClockNotTheApps() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let skewed = ManualSessionClock(start: Date(timeIntervalSince1970: 0))
            let appClockStore = try Self.store(client, table: table, clock: skewed)
            let databaseClockStore = try Self.store(client, table: table)
            let key = try await appClockStore.save(SessionState(["a": 1], createdAt: skewed.now), ttl: .seconds(3600))
            #expect(try await appClockStore.load(key) != nil, "alive by the skewed app clock")
            #expect(try await databaseClockStore.load(key) == nil, "expired by the database clock: it expired in 1970")
            #expect(try await databaseClockStore.updateTTL(key, ttl: .seconds(3600)) == .gone)
            let fresh = try await databaseClockStore.save(SessionState(["b": 2], createdAt: Date()), ttl: .seconds(3600))
            #expect(try await databaseClockStore.load(fresh)?["b"] == 2)
        }
    }

    /// Without an app clock the database's clock decides, and that is seen without waiting: the expiry a
    /// save writes is the database's now plus the TTL, and moving it into the database's past expires the row.
    @Test func withoutAnAppClockExpiryIsTheDatabases() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let store = try Self.store(client, table: table)
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(600))
            var binds = PostgresBindings()
            binds.append(ByteBuffer(bytes: key.storageDigest))
            var remaining: Int64?
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT (extract(epoch FROM expires_at - now()) * 1000)::bigint FROM \(table) WHERE key_hash = $1", binds: binds)
            )
            for try await value in rows.decode(Int64.self) { remaining = value }
            let milliseconds = try #require(remaining)
            #expect((540_000...600_000).contains(milliseconds), "600 s from the database's now (a minute of margin): \(milliseconds) ms")
            #expect(try await store.load(key) != nil)
            try await client.query(
                PostgresQuery(unsafeSQL: "UPDATE \(table) SET expires_at = now() - interval '1 millisecond' WHERE key_hash = $1", binds: binds))
            #expect(try await store.load(key) == nil, "past the database's now, the row is expired")
            #expect(try await store.updateTTL(key, ttl: .seconds(600)) == .gone)
        }
    }

    @Test func keysAreStoredHashedNeverRaw() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let store = try Self.store(client, table: table)
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT encode(key_hash, 'hex'), state::text FROM \(table)"))
            var stored: [(String, String)] = []
            for try await row in rows.decode((String, String).self) { stored.append(row) }
            let expected = key.storageDigest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(stored.map(\.0) == [expected])
            #expect(!stored.contains { $0.0.contains(key.rawValue) || $0.1.contains(key.rawValue) })
        }
    }

    @Test func corruptStateIsADeserializationError() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            let store = try Self.store(client, table: table)
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            try await client.query(PostgresQuery(unsafeSQL: #"UPDATE \#(table) SET state = '["not", "an", "object"]'::jsonb"#))
            do {
                _ = try await store.load(key)
                Issue.record("a corrupt row must not load")
            } catch let error as LoadError {
                #expect(error.kind == .deserialization)
            }
        }
    }

    @Test func theSweeperDeletesExpiredRowsInBatches() async throws {
        try await TestPostgres.withClient { client in
            let clock = ManualSessionClock()
            let table = TestPostgres.uniqueTable()
            let store = try Self.store(client, table: table, clock: clock)
            for index in 0..<5 {
                _ = try await store.save(SessionState(["n": .integer(Int64(index))], createdAt: clock.now), ttl: .seconds(10))
            }
            let kept = try await store.save(SessionState(["kept": true], createdAt: clock.now), ttl: .seconds(100))
            clock.advance(by: .seconds(11))
            let sweeper = SessionExpirySweeper(store: store, configuration: .init(batchSize: 2))
            #expect(try await sweeper.sweep() == 5)
            #expect(try await store.load(kept)?["kept"] == true)
            #expect(try await sweeper.sweep() == 0)
        }
    }

    @Test func concurrentMigrationsFromSeveralServersAgree() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Self.store(client, table: table).migrate() }
                }
                try await group.waitForAll()
            }
            #expect(try await PostgresSchemaTests.recordedVersions(client, table: table) == [2], "one row, at the current version")
            let store = try Self.store(client, table: table)
            let key = try await store.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.hasTombstone(key), "every table of the schema exists")
        }
    }

    @Test func tableNamesMustBePlainIdentifiers() async throws {
        try await TestPostgres.withClient { client in
            for bad in ["", "1sessions", "sessions; DROP TABLE x", "Sessions", "sess-ions"] {
                #expect(throws: SessionConfigurationError.self) { try Self.store(client, table: bad) }
            }
        }
    }

    @Test func aNewerSchemaVersionIsRefused() async throws {
        try await TestPostgres.withClient { client in
            let table = TestPostgres.uniqueTable()
            try await Self.store(client, table: table).migrate()
            try await client.query(PostgresQuery(unsafeSQL: "UPDATE swift_sessions_schema SET version = 3 WHERE table_name = '\(table)'"))
            let error = await #expect(throws: SessionStoreMessage.self) { try await Self.store(client, table: table).migrate() }
            #expect(error?.description.contains("schema version 3") == true)
        }
    }

    @Test func urlsAreReadOrRefusedClearly() throws {
        let configuration = try PostgresClient.Configuration(url: "postgres://app:s%40cret@db.internal:6543/sessions?sslmode=disable")
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "app")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "sessions")
        for bad in ["mysql://a@b/c", "postgres://", "postgres://db/x", "postgres://a@b/c?sslmode=maybe", "not a url"] {
            #expect(throws: SessionConfigurationError.self) { try PostgresClient.Configuration(url: bad) }
        }
    }

    @Test func aStoppedServerFailsWithinTheTimeoutAndTheStoreRecovers() async throws {
        try await TestPostgres.withClient(.outage) { client in
            let table = TestPostgres.uniqueTable()
            // Writes and the final read wait patiently; the read during the outage has the short timeout.
            let patient = try PostgresSessionStore(client: client, configuration: .init(tableName: table, queryTimeout: TestPostgres.patientTimeout))
            let store = try PostgresSessionStore(client: client, configuration: .init(tableName: table, queryTimeout: .seconds(3)))
            let key = try await patient.save(SessionState(["user_id": "ada"], createdAt: Date()), ttl: .seconds(600))
            try await TestPostgres.control(.outage, "STOP")
            do {
                _ = try await store.load(key)
                Issue.record("a load from a stopped server must fail")
            } catch let error as LoadError {
                #expect(error.kind == .other)
            }
            try await TestPostgres.control(.outage, "START")
            // The pool reconnects on its own; wait for that (bounded), with no restart of the store.
            var recovered: SessionState?
            let deadline = ContinuousClock.now + .seconds(60)
            while recovered == nil && ContinuousClock.now < deadline {
                recovered = try? await store.load(key)
            }
            #expect(recovered?["user_id"] == "ada", "the session written before the outage survives it")
        }
    }
}
