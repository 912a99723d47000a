import Logging
import NIOCore
public import PostgresNIO
public import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sessions in PostgreSQL, through postgres-nio's `PostgresClient` pool.
///
/// Keys are stored as SHA-256 digests, never raw. `update` merges field by field in one statement
/// (`jsonb` `-` and `||`), so concurrent requests changing different keys of one session both persist;
/// `update`, `updateTTL` and `renew` touch only rows that exist and have not expired, so nothing is
/// resurrected; a renew moves the row to its new key and leaves a tombstone in one statement. Expiry uses
/// the database's clock. Every call is bounded by the configured query timeout.
///
/// ## Schema and least privilege
///
/// On first use the store reads the schema version from `swift_sessions_schema` and runs DDL only when
/// the tables are missing or older than this library's. Where a deploy role owns the schema and the app
/// runs with data rights only, set ``PostgresSessionStoreConfiguration/migrate`` to `false`, call
/// ``migrate()`` from the deploy step, and grant the app's role:
///
/// ```sql
/// GRANT SELECT ON swift_sessions_schema TO app;
/// GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, sessions_tombstones TO app;
/// ```
///
/// ```swift
/// let client = PostgresClient(configuration: try .init(url: "postgres://app@127.0.0.1/app"), backgroundLogger: logger)
/// let store = try PostgresSessionStore(client: client)
/// app.addServices(client, SessionExpirySweeper(store: store))
/// ```
///
/// PostgreSQL's `jsonb` cannot hold the character U+0000: a value containing it fails to save with a
/// serialization error.
///
/// ## Pool configuration
///
/// Keep `minimumConnections` at 0 and give `connectionIdleTimeout` a few seconds. PostgresNIO 1.33's pool
/// stops the process with a precondition failure when a query asks for a connection while the pool holds
/// fewer than its minimum, as it does whenever connections close or fail to open (a server restart or
/// failover, a network blip, "too many clients"). And the pool starts an idle timer each time a connection
/// above the minimum goes back to it; on Linux a cancelled timer keeps its memory until it would have fired
/// (60 s by default), which at a few thousand queries a second grows a process by hundreds of MiB. A
/// 5-second idle timeout bounds that to what five seconds of queries leave. The store's own query deadlines are scheduled on an event loop of PostgresNIO's
/// default group, whose cancelled tasks free at once.
///
/// What this costs: after 5 idle seconds a connection closes, so the first queries after a quiet spell
/// connect again (TCP, authentication, TLS), inside the store's `queryTimeout`. And with no minimum the pool
/// does not replace a connection that dies while requests wait for one (vapor/postgres-nio#657): they wait
/// for the next request to open one, or fail at the deadline.
///
/// ```swift
/// var configuration = try PostgresClient.Configuration(url: "postgres://app@127.0.0.1/app")
/// configuration.options.minimumConnections = 0
/// configuration.options.maximumConnections = 8
/// configuration.options.connectionIdleTimeout = .seconds(5)
/// ```
public final class PostgresSessionStore: ExpiringSessionStore {
    /// The pool the store runs on; run it as a service.
    public let client: PostgresClient
    private let statements: PostgresSessionStatements
    private let configuration: PostgresSessionStoreConfiguration
    private let logger: Logger
    private let migrationGate = StoreMigrationGate()
    private let generateKey: @Sendable () -> SessionKey

    /// A store on `client`; the tables are created on first use (or by ``migrate()``).
    /// - Throws: `SessionConfigurationError` for a table name that is not a plain lower-case identifier,
    ///   or a query timeout out of range.
    public init(
        client: PostgresClient,
        configuration: PostgresSessionStoreConfiguration = .init(),
        logger: Logger = Logger(label: "swift-sessions.postgres"),
        generateKey: @escaping @Sendable () -> SessionKey = { SessionKey.generate() }
    ) throws(SessionConfigurationError) {
        guard let statements = PostgresSessionStatements(tableName: configuration.tableName) else {
            throw .invalid("table name '\(configuration.tableName)' must be lower-case letters, digits and underscores, not starting with a digit")
        }
        try configuration.validate()
        self.client = client
        self.statements = statements
        self.configuration = configuration
        self.logger = logger
        self.generateKey = generateKey
    }

    /// Brings the schema to this library's version: reads the version first and runs DDL (under an
    /// advisory lock, so several servers may call it at once) only when the tables are missing or older.
    /// Run it from a deploy step when the app's own role may not create tables
    /// (``PostgresSessionStoreConfiguration/migrate`` `false`).
    /// - Throws: the database's failure, described by its code and message, or a message naming a newer
    ///   schema version than this library reads.
    public func migrate() async throws {
        try await prepareSchema(runningDDL: true)
    }

    private func prepareSchema(runningDDL: Bool) async throws {
        do {
            try await migrationGate.ensure { [client, statements, logger, configuration] in
                try await withStoreDeadline(configuration.queryTimeout, timer: .postgresEventLoop) {
                    try await Self.prepareSchema(client: client, statements: statements, runningDDL: runningDDL, logger: logger)
                }
            }
        } catch let error as SessionStoreMessage {
            throw error
        } catch {
            throw PostgresStoreFailure(error)
        }
    }

    private static func prepareSchema(client: PostgresClient, statements: PostgresSessionStatements, runningDDL: Bool, logger: Logger) async throws {
        // Read first, outside any transaction: a schema that is current needs no lock and no DDL, which a
        // role with data rights only could not run.
        let found = try await schemaVersion(statements, logger: logger) { sql in try await client.query(sql, logger: logger) }
        if found == PostgresSessionStatements.schemaVersion { return }
        try checkNotNewer(found, statements)
        guard runningDDL else {
            throw SessionStoreMessage(
                "table '\(statements.table)' is at schema version \(found) and this library needs \(PostgresSessionStatements.schemaVersion): run PostgresSessionStore.migrate() with a role that may create tables"
            )
        }
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSessionStatements.migrationLock), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: PostgresSessionStatements.createSchemaTable), logger: logger)
            // Another server may have migrated while this one waited for the lock.
            let locked = try await schemaVersion(statements, logger: logger) { sql in try await connection.query(sql, logger: logger) }
            try checkNotNewer(locked, statements)
            guard locked < PostgresSessionStatements.schemaVersion else { return }
            for statement in statements.migration(from: locked) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// The recorded version, 0 when nothing is recorded or the schema table does not exist.
    private static func schemaVersion(
        _ statements: PostgresSessionStatements,
        logger: Logger,
        query: (PostgresQuery) async throws -> PostgresRowSequence
    ) async throws -> Int {
        do {
            var version = 0
            for try await value in try await query(PostgresQuery(unsafeSQL: statements.schemaVersionQuery)).decode(Int.self) { version = value }
            return version
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return 0
        }
    }

    private static func checkNotNewer(_ version: Int, _ statements: PostgresSessionStatements) throws {
        guard version <= PostgresSessionStatements.schemaVersion else {
            throw SessionStoreMessage(
                "table '\(statements.table)' has schema version \(version); this library reads version \(PostgresSessionStatements.schemaVersion)"
            )
        }
    }

    public func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        try await loadRecord(key)?.state
    }

    public func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        let row: (String, Int64, Int64)?
        do {
            var binds = PostgresBindings()
            binds.append(digest(key))
            row = try await first(statements.load(now: now), binds, as: (String, Int64, Int64).self)
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
        guard let (text, created, expires) = row else { return nil }
        do {
            let state = SessionState(try StoredEntries.decode(text), createdAt: Date(unixMilliseconds: created))
            return SessionRecord(state, expiresAt: Date(unixMilliseconds: expires))
        } catch {
            throw .deserialization(error)
        }
    }

    public func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        let entries: String
        do {
            entries = try Self.jsonb(state.entries)
        } catch {
            throw .serialization(error)
        }
        let sql = statements.save(now: now)
        return try await saveUnderFreshKey(generateKey: generateKey) { key throws(SaveError) in
            var binds = PostgresBindings()
            binds.append(digest(key))
            binds.append(entries)
            binds.append(state.createdAt.unixMilliseconds)
            binds.append(ttl.wholeMilliseconds)
            do {
                return try await first(sql, binds, as: Int32.self) != nil
            } catch {
                throw .other(PostgresStoreFailure(error))
            }
        }
    }

    public func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        let setEntries: String
        do {
            setEntries = try Self.jsonb(state.entriesSet(by: changes))
        } catch {
            throw .serialization(error)
        }
        var binds = PostgresBindings()
        binds.append(digest(key))
        binds.append(changes.cleared)
        binds.append(Array(changes.touchedKeys))
        binds.append(setEntries)
        binds.append(ttl.wholeMilliseconds)
        do {
            return try await first(statements.update(now: now), binds, as: Int32.self) == nil ? .gone : .updated(key)
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    public func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        var binds = PostgresBindings()
        binds.append(digest(key))
        binds.append(ttl.wholeMilliseconds)
        do {
            return try await first(statements.updateTTL(now: now), binds, as: Int32.self) == nil ? .gone : .updated(key)
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    public func delete(_ key: SessionKey) async throws(DeleteError) {
        var binds = PostgresBindings()
        binds.append(digest(key))
        do {
            _ = try await first(statements.delete, binds, as: Int32.self)
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    public func renew(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        async throws(UpdateError) -> SessionUpdateResult
    {
        let setEntries: String
        do {
            setEntries = try Self.jsonb(state.entriesSet(by: changes))
        } catch {
            throw .serialization(error)
        }
        var binds = PostgresBindings()
        binds.append(digest(key))
        binds.append(digest(newKey))
        binds.append(changes.cleared)
        binds.append(Array(changes.touchedKeys))
        binds.append(setEntries)
        binds.append(state.createdAt.unixMilliseconds)
        binds.append(ttl.wholeMilliseconds)
        binds.append(max(0, tombstoneTTL.wholeMilliseconds))
        do {
            if try await first(statements.renew(now: now), binds, as: Int32.self) != nil { return .updated(newKey) }
            // Nothing moved: either this renew already ran (asked again) or the session is gone.
            var keys = PostgresBindings()
            keys.append(digest(key))
            keys.append(digest(newKey))
            return try await first(statements.renewedAlready(now: now), keys, as: Int32.self) != nil ? .updated(newKey) : .gone
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw renewKeyInUse
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    /// Deletes the session and every session a renew moved it to, and leaves tombstones; a renew that
    /// committed while the purge waited for its lock is followed too (see the statement).
    public func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        var pending = [digest(key)]
        var statements = 0
        do {
            while let current = pending.popLast(), statements < maximumRenewalsFollowed {
                var binds = PostgresBindings()
                binds.append(current)
                binds.append(max(0, tombstoneTTL.wholeMilliseconds))
                pending += try await all(self.statements.purge(now: now), binds, as: ByteBuffer.self)
                statements += 1
            }
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    /// `true`: a renew asked again answers from the old key's tombstone.
    public var renewIsSafeToAskAgain: Bool { true }

    public func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        var binds = PostgresBindings()
        binds.append(digest(key))
        do {
            return try await first(statements.hasTombstone(now: now), binds, as: Int32.self) != nil
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
    }

    /// Deletes at most `limit` expired sessions and `limit` tombstones that ran out; returns how many rows
    /// went in all. Several servers may sweep at once: each skips the rows another is deleting.
    public func deleteExpired(limit: Int) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(limit)
        var count = 0
        for sql in [statements.deleteExpired(now: now), statements.deleteExpiredTombstones(now: now)] {
            count += try await bounded { [client, logger, binds] in
                var count = 0
                for try await _ in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Int32.self) {
                    count += 1
                }
                return count
            }
        }
        return count
    }

    // MARK: Helpers

    private var now: String {
        PostgresSessionStatements.now(milliseconds: configuration.clock?.now.unixMilliseconds)
    }

    /// Runs `sql` and decodes every row, within the query timeout.
    private func all<Row: Sendable>(_ sql: String, _ binds: PostgresBindings, as type: Row.Type) async throws -> [Row]
    where Row: PostgresDecodable {
        try await bounded { [client, logger] in
            var rows: [Row] = []
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Row.self) {
                rows.append(row)
            }
            return rows
        }
    }

    /// Runs `sql` and decodes its first row, if any, within the query timeout.
    private func first<Row: Sendable>(_ sql: String, _ binds: PostgresBindings, as type: Row.Type) async throws -> Row?
    where Row: PostgresDecodable {
        try await bounded { [client, logger] in
            var result: Row?
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Row.self) {
                if result == nil { result = row }
            }
            return result
        }
    }

    private func first<each Column: PostgresDecodable & Sendable>(
        _ sql: String,
        _ binds: PostgresBindings,
        as type: (repeat each Column).Type
    ) async throws -> (repeat each Column)? {
        try await bounded { [client, logger] in
            var result: (repeat each Column)?
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(type) {
                if result == nil { result = row }
            }
            return result
        }
    }

    private func bounded<Result: Sendable>(_ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        try await prepareSchema(runningDDL: configuration.migrate)
        return try await withStoreDeadline(configuration.queryTimeout, timer: .postgresEventLoop) {
            try await Self.retryingConflicts(operation)
        }
    }

    /// Runs `operation` again when PostgreSQL aborted it for a conflict with a concurrent transaction: a
    /// serialization failure (a database whose default isolation is repeatable read or serializable) or a
    /// deadlock. Every statement of the store is one statement in its own transaction, which the server
    /// rolled back, so running it again is safe. A few attempts: each conflict means another request's
    /// statement committed, and the query timeout bounds them all.
    private static func retryingConflicts<Result: Sendable>(_ operation: @Sendable () async throws -> Result) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as PSQLError where attempt < 8 && ["40001", "40P01"].contains(error.serverInfo?[.sqlState]) {
                attempt += 1
            }
        }
    }

    private func digest(_ key: SessionKey) -> ByteBuffer {
        ByteBuffer(bytes: key.storageDigest)
    }

    /// JSON text for a `jsonb` column, refusing what `jsonb` cannot hold.
    private static func jsonb(_ entries: [String: JSONValue]) throws -> String {
        let text = try StoredEntries.encode(entries)
        // JSONEncoder writes U+0000 as the escape \u0000, which jsonb rejects; an escaped backslash
        // before it (\\u0000) is literal text, not the character.
        if text.contains("\\u0000"), entries.containsNUL {
            throw SessionStoreMessage("PostgreSQL jsonb cannot store the character U+0000")
        }
        return text
    }
}

/// A PostgreSQL failure for logs: the error code and the server's message, never the query's values.
public struct PostgresStoreFailure: Error, CustomStringConvertible {
    public let description: String

    init(_ error: any Error) {
        if let error = error as? PSQLError {
            var text = "PostgreSQL \(error.code)"
            if let message = error.serverInfo?[.message] {
                text += ": \(message)"
            } else if let underlying = error.underlying {
                text += ": \(underlying)"
            }
            description = text
        } else {
            description = "\(error)"
        }
    }
}

extension [String: JSONValue] {
    var containsNUL: Bool {
        contains { key, value in key.contains("\u{0}") || value.containsNUL }
    }
}

extension JSONValue {
    var containsNUL: Bool {
        switch self {
        case .string(let string): string.contains("\u{0}")
        case .array(let array): array.contains { $0.containsNUL }
        case .object(let object): object.containsNUL
        default: false
        }
    }
}
