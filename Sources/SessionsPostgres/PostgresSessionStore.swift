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
/// `update` and `updateTTL` touch only rows that exist and have not expired, so nothing is resurrected.
/// Expiry uses the database's clock. Every call is bounded by the configured query timeout.
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
/// Give the client a fixed pool, `minimumConnections` equal to `maximumConnections`. PostgresNIO starts
/// an idle-timeout timer each time a connection above the minimum goes back to the pool, and on Linux a
/// cancelled timer keeps its memory until it would have fired (`connectionIdleTimeout`, 60 s by default):
/// at a few thousand queries a second our demo on a default pool grew to over 300 MiB within 90 seconds,
/// where on a fixed pool of 8 it stays under 50 MiB (BENCHMARKS.md). The store's own query deadlines are
/// scheduled on an event loop of PostgresNIO's default group, whose cancelled tasks free at once.
///
/// ```swift
/// var configuration = try PostgresClient.Configuration(url: "postgres://app@127.0.0.1/app")
/// configuration.options.minimumConnections = 8
/// configuration.options.maximumConnections = 8
/// ```
public final class PostgresSessionStore: ExpiringSessionStore {
    /// The pool the store runs on; run it as a service.
    public let client: PostgresClient
    private let statements: PostgresSessionStatements
    private let configuration: PostgresSessionStoreConfiguration
    private let logger: Logger
    private let migrationGate = StoreMigrationGate()
    private let generateKey: @Sendable () -> SessionKey

    /// A store on `client`; the table is created on first use (or by ``migrate()``).
    /// - Throws: ``SessionConfigurationError`` for a table name that is not a plain lower-case identifier.
    public init(
        client: PostgresClient,
        configuration: PostgresSessionStoreConfiguration = .init(),
        logger: Logger = Logger(label: "swift-sessions.postgres"),
        generateKey: @escaping @Sendable () -> SessionKey = { SessionKey.generate() }
    ) throws(SessionConfigurationError) {
        guard let statements = PostgresSessionStatements(tableName: configuration.tableName) else {
            throw .invalid("table name '\(configuration.tableName)' must be lower-case letters, digits and underscores, not starting with a digit")
        }
        self.client = client
        self.statements = statements
        self.configuration = configuration
        self.logger = logger
        self.generateKey = generateKey
    }

    /// Creates the table and index if missing and checks the schema version.
    /// - Throws: the database's failure, described by its code and message.
    public func migrate() async throws {
        do {
            try await runMigration()
        } catch let error as SessionStoreMessage {
            throw error
        } catch {
            throw PostgresStoreFailure(error)
        }
    }

    private func runMigration() async throws {
        try await migrationGate.ensure { [client, statements, logger, configuration] in
            try await withStoreDeadline(configuration.queryTimeout, timer: .postgresEventLoop) {
                let version = try await client.withTransaction(logger: logger) { connection -> Int? in
                    for statement in statements.migration {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: statements.schemaVersionQuery), logger: logger)
                    var version: Int?
                    for try await (value) in rows.decode(Int.self) { version = value }
                    return version
                }
                guard version == PostgresSessionStatements.schemaVersion else {
                    throw SessionStoreMessage(
                        "table '\(statements.table)' has schema version \(version ?? 0); this library reads version \(PostgresSessionStatements.schemaVersion)"
                    )
                }
            }
        }
    }

    public func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        let row: (String, Int64)?
        do {
            var binds = PostgresBindings()
            binds.append(digest(key))
            row = try await first(statements.load(now: now), binds, as: (String, Int64).self)
        } catch {
            throw .other(PostgresStoreFailure(error))
        }
        guard let (text, created) = row else { return nil }
        do {
            return SessionState(try StoredEntries.decode(text), createdAt: Date(unixMilliseconds: created))
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

    public func deleteExpired(limit: Int) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(limit)
        let sql = statements.deleteExpired(now: now)
        return try await bounded { [client, logger, binds] in
            var count = 0
            for try await _ in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(Int32.self) {
                count += 1
            }
            return count
        }
    }

    // MARK: Helpers

    private var now: String {
        PostgresSessionStatements.now(milliseconds: configuration.clock?.now.unixMilliseconds)
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
        try await runMigration()
        return try await withStoreDeadline(configuration.queryTimeout, timer: .postgresEventLoop, operation)
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
