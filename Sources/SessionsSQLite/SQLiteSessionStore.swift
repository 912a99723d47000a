import Logging
import NIOCore
public import SQLiteNIO
public import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sessions in an SQLite database: the embedded store, nothing to install, sessions survive restarts.
///
/// Keys are stored as SHA-256 digests, never raw. Every change to a session is one SQL statement (a
/// renew's tombstone is written by a trigger on its move), so concurrent requests are safe on one connection, and `update` merges field by field with SQLite's JSON
/// functions: two requests changing different keys of one session both persist. `update`, `updateTTL`
/// and `renew` touch only a row that exists and has not expired, so nothing is resurrected; a renew moves
/// the row to its new key in place. Renew and purge leave a tombstone under the old key in
/// `<table>_tombstones`. Expiry uses the database's clock.
///
/// ```swift
/// let store = try await SQLiteSessionStore.open(path: "sessions.sqlite")
/// app.addServices(SessionExpirySweeper(store: store))
/// ```
public final class SQLiteSessionStore: ExpiringSessionStore {
    /// The connection the store runs on.
    public let connection: SQLiteConnection
    private let statements: SQLiteSessionStatements
    private let clock: (any SessionClock)?
    private let migrationGate = StoreMigrationGate()
    private let generateKey: @Sendable () -> SessionKey

    /// A store on an open connection; the table is created on first use (or by ``migrate()``).
    /// - Parameters:
    ///   - connection: an open connection; ``close()`` closes it.
    ///   - configuration: the table's name and the clock expiry is read from.
    ///   - generateKey: the key generator; keep the default outside tests.
    /// - Throws: `SessionConfigurationError` for a table name that is not a plain identifier.
    public init(
        connection: SQLiteConnection,
        configuration: SQLiteSessionStoreConfiguration = .init(),
        generateKey: @escaping @Sendable () -> SessionKey = { SessionKey.generate() }
    ) throws(SessionConfigurationError) {
        guard let statements = SQLiteSessionStatements(tableName: configuration.tableName) else {
            throw .invalid("table name '\(configuration.tableName)' must be letters, digits and underscores, not starting with a digit")
        }
        self.connection = connection
        self.statements = statements
        self.clock = configuration.clock
        self.generateKey = generateKey
    }

    /// Opens (creating if needed) the database file at `path` in WAL mode, migrates it, and clears what a
    /// renew of schema 2 (a tombstone, then the move, in two statements) cut short by a process death left:
    /// a live session behind a tombstone. A renew of this version is one statement and leaves no such thing.
    public static func open(
        path: String,
        configuration: SQLiteSessionStoreConfiguration = .init(),
        logger: Logger = Logger(label: "swift-sessions.sqlite")
    ) async throws -> SQLiteSessionStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            // WAL lets readers run beside the writer; the busy timeout lets several processes share the file.
            _ = try await connection.query("PRAGMA journal_mode = WAL")
            _ = try await connection.query("PRAGMA busy_timeout = 5000")
            _ = try await connection.query("PRAGMA synchronous = NORMAL")
            let store = try SQLiteSessionStore(connection: connection, configuration: configuration)
            try await store.migrate()
            _ = try await connection.query(store.statements.deleteInterruptedRenewTombstones)
            return store
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Brings the schema to this library's version: reads the version first and runs DDL only when the
    /// tables are missing or older. Refuses a newer version.
    public func migrate() async throws {
        try await migrationGate.ensure { [connection, statements] in
            let found = try await Self.schemaVersion(on: connection, statements: statements)
            guard found != SQLiteSessionStatements.schemaVersion else { return }
            guard found < SQLiteSessionStatements.schemaVersion else {
                throw SessionStoreMessage(
                    "table '\(statements.table)' has schema version \(found); this library reads version \(SQLiteSessionStatements.schemaVersion)"
                )
            }
            for step in statements.migration(from: found) {
                switch step {
                case .statement(let sql):
                    _ = try await connection.query(sql)
                case .addColumn(let column, let definition):
                    // ALTER TABLE is not idempotent: a migration cut after it must not fail on its next run.
                    let columns = try await connection.query(statements.columnNamed, [.text(statements.table), .text(column)])
                    if columns.isEmpty {
                        _ = try await connection.query("ALTER TABLE \"\(statements.table)\" ADD COLUMN \(column) \(definition)")
                    }
                }
            }
        }
    }

    /// The recorded schema version, 0 when nothing is recorded.
    private static func schemaVersion(on connection: SQLiteConnection, statements: SQLiteSessionStatements) async throws -> Int {
        let schemaTable = try await connection.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '\(SQLiteSessionStatements.schemaTable)'"
        )
        guard !schemaTable.isEmpty else { return 0 }
        return try await connection.query(statements.schemaVersionQuery).first?.column("version")?.integer ?? 0
    }

    /// Closes the connection.
    public func close() async throws {
        try await connection.close()
    }

    public func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        try await loadRecord(key)?.state
    }

    public func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        let rows: [SQLiteRow]
        do {
            rows = try await run(statements.load(now: now), [digest(key)])
        } catch {
            throw .other(error)
        }
        guard let row = rows.first else { return nil }
        guard let text = row.column("state")?.string, let created = row.column("created_at")?.integer,
            let expires = row.column("expires_at")?.integer
        else {
            throw .deserialization(SessionStoreMessage("session row has no state, creation time or expiry"))
        }
        do {
            let state = SessionState(try StoredEntries.decode(text), createdAt: Date(unixMilliseconds: Int64(created)))
            return SessionRecord(state, expiresAt: Date(unixMilliseconds: Int64(expires)))
        } catch {
            throw .deserialization(error)
        }
    }

    public func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        let entries: String
        do {
            entries = try StoredEntries.encode(state.entries)
        } catch {
            throw .serialization(error)
        }
        let sql = statements.save(now: now)
        return try await saveUnderFreshKey(generateKey: generateKey) { key throws(SaveError) in
            do {
                let binds: [SQLiteData] = [
                    digest(key), .text(entries), .integer(Int(state.createdAt.unixMilliseconds)), .integer(Int(ttl.wholeMilliseconds)),
                ]
                return try await !run(sql, binds).isEmpty
            } catch {
                throw .other(error)
            }
        }
    }

    public func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        let touchedKeys: String
        let setEntries: String
        do {
            touchedKeys = String(decoding: try JSONEncoder().encode(Array(changes.touchedKeys)), as: UTF8.self)
            setEntries = try StoredEntries.encode(state.entriesSet(by: changes))
        } catch {
            throw .serialization(error)
        }
        do {
            let rows = try await run(
                statements.update(now: now),
                [digest(key), .integer(changes.cleared ? 1 : 0), .text(touchedKeys), .text(setEntries), .integer(Int(ttl.wholeMilliseconds))]
            )
            return rows.isEmpty ? .gone : .updated(key)
        } catch {
            throw .other(error)
        }
    }

    public func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        do {
            let rows = try await run(statements.updateTTL(now: now), [digest(key), .integer(Int(ttl.wholeMilliseconds))])
            return rows.isEmpty ? .gone : .updated(key)
        } catch {
            throw .other(error)
        }
    }

    public func delete(_ key: SessionKey) async throws(DeleteError) {
        do {
            _ = try await run(statements.delete, [digest(key)])
        } catch {
            throw .other(error)
        }
    }

    public func renew(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        async throws(UpdateError) -> SessionUpdateResult
    {
        let touchedKeys: String
        let setEntries: String
        do {
            touchedKeys = String(decoding: try JSONEncoder().encode(Array(changes.touchedKeys)), as: UTF8.self)
            setEntries = try StoredEntries.encode(state.entriesSet(by: changes))
        } catch {
            throw .serialization(error)
        }
        let binds: [SQLiteData] = [
            digest(key), digest(newKey), .integer(changes.cleared ? 1 : 0), .text(touchedKeys), .text(setEntries),
            .integer(Int(state.createdAt.unixMilliseconds)), .integer(Int(ttl.wholeMilliseconds)),
            .integer(Int(tombstoneTTL.wholeMilliseconds)),
        ]
        do {
            // One statement: the move and, through the table's trigger, the old key's tombstone naming the new one.
            if try await !run(statements.renew(now: now), binds).isEmpty { return .updated(newKey) }
            // Nothing moved: either this renew already ran (asked again) or the session is gone. The second
            // statement only reads, so nothing can fall between the two that it would undo.
            let repeated = try await !run(statements.renewedAlready(now: now), [digest(key), digest(newKey)]).isEmpty
            return repeated ? .updated(newKey) : .gone
        } catch let error as SQLiteError where error.isKeyInUse {
            throw renewKeyInUse
        } catch {
            throw .other(error)
        }
    }

    /// Leaves a tombstone on the key and on every key a renew moved the session to, and deletes those sessions,
    /// in one statement (the tombstones' trigger deletes each session).
    public func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        do {
            if tombstoneTTL > .zero {
                _ = try await run(statements.purge(now: now), [digest(key), .integer(Int(tombstoneTTL.wholeMilliseconds))])
            } else {
                _ = try await run(statements.purgeFollowingRenewals(now: now), [digest(key)])
            }
        } catch {
            throw .other(error)
        }
    }

    /// `true`: a renew asked again answers from the old key's tombstone.
    public var renewIsSafeToAskAgain: Bool { true }

    public func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        do {
            return try await !run(statements.hasTombstone(now: now), [digest(key)]).isEmpty
        } catch {
            throw .other(error)
        }
    }

    /// Deletes at most `limit` expired sessions and `limit` tombstones that ran out; returns how many rows
    /// went in all.
    public func deleteExpired(limit: Int) async throws -> Int {
        let sessions = try await run(statements.deleteExpired(now: now), [.integer(limit)]).count
        let tombstones = try await run(statements.deleteExpiredTombstones(now: now), [.integer(limit)]).count
        return sessions + tombstones
    }

    // MARK: Helpers

    private var now: String {
        SQLiteSessionStatements.now(milliseconds: clock?.now.unixMilliseconds)
    }

    private func run(_ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        try await migrate()
        return try await connection.query(sql, binds)
    }

    private func digest(_ key: SessionKey) -> SQLiteData {
        .blob(ByteBuffer(bytes: key.storageDigest))
    }
}

extension SQLiteError {
    /// A primary key already in use: the new key of a renew collided.
    fileprivate var isKeyInUse: Bool {
        switch reason {
        case .constraint, .constraintPrimaryKeyFailed, .constraintUniqueFailed: true
        default: false
        }
    }
}
