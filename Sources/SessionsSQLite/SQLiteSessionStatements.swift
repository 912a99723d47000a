import Sessions

/// The SQL an ``SQLiteSessionStore`` runs, for one table.
///
/// Keys are SHA-256 digests (BLOB); `state` is the JSON object of entries; times are Unix milliseconds.
struct SQLiteSessionStatements: Sendable {
    /// The schema version this library writes.
    static let schemaVersion = 1
    static let schemaTable = "swift_sessions_schema"

    let table: String

    /// `nil` when `tableName` is not a plain identifier (it is spliced into SQL, so nothing else is allowed).
    init?(tableName: String) {
        guard isPlainSQLIdentifier(tableName, allowUppercase: true, maximumLength: 63) else { return nil }
        self.table = tableName
    }

    /// The database clock in Unix milliseconds, or a fixed instant from the app's clock.
    static func now(milliseconds: Int64?) -> String {
        milliseconds.map { "\($0)" } ?? "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
    }

    var migration: [String] {
        [
            "CREATE TABLE IF NOT EXISTS \(Self.schemaTable) (table_name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS "\(table)" (
                key_hash BLOB PRIMARY KEY,
                state TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
            "CREATE INDEX IF NOT EXISTS \"\(table)_expires_at\" ON \"\(table)\" (expires_at)",
            "INSERT INTO \(Self.schemaTable) (table_name, version) VALUES ('\(table)', \(Self.schemaVersion)) ON CONFLICT (table_name) DO NOTHING",
        ]
    }

    var schemaVersionQuery: String {
        "SELECT version FROM \(Self.schemaTable) WHERE table_name = '\(table)'"
    }

    /// ?1 key hash
    func load(now: String) -> String {
        "SELECT state, created_at FROM \"\(table)\" WHERE key_hash = ?1 AND expires_at > \(now)"
    }

    /// ?1 key hash, ?2 state, ?3 created-at, ?4 TTL. Replaces only an expired row: a live one is a collision.
    func save(now: String) -> String {
        """
        INSERT INTO "\(table)" (key_hash, state, created_at, expires_at) VALUES (?1, json(?2), ?3, \(now) + ?4)
        ON CONFLICT (key_hash) DO UPDATE SET
            state = excluded.state, created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE "\(table)".expires_at <= \(now)
        RETURNING 1
        """
    }

    /// ?1 key hash, ?2 cleared (0/1), ?3 removed and set keys (JSON array), ?4 set entries (JSON object), ?5 TTL.
    ///
    /// One statement merges field by field: keep the stored entries the request neither set nor
    /// removed (none after a clear), then add the ones it set. JSON booleans, objects and arrays are
    /// re-wrapped with `json()` so they stay JSON rather than becoming integers or text.
    func update(now: String) -> String {
        """
        UPDATE "\(table)" SET
            state = (
                SELECT json_group_object(key, CASE type
                    WHEN 'true' THEN json('true') WHEN 'false' THEN json('false')
                    WHEN 'object' THEN json(value) WHEN 'array' THEN json(value)
                    ELSE value END)
                FROM (
                    SELECT key, value, type FROM json_each("\(table)".state)
                    WHERE ?2 = 0 AND key NOT IN (SELECT value FROM json_each(?3))
                    UNION ALL
                    SELECT key, value, type FROM json_each(?4)
                )
            ),
            expires_at = \(now) + ?5
        WHERE key_hash = ?1 AND expires_at > \(now)
        RETURNING 1
        """
    }

    /// ?1 key hash, ?2 TTL.
    func updateTTL(now: String) -> String {
        "UPDATE \"\(table)\" SET expires_at = \(now) + ?2 WHERE key_hash = ?1 AND expires_at > \(now) RETURNING 1"
    }

    /// ?1 key hash.
    var delete: String {
        "DELETE FROM \"\(table)\" WHERE key_hash = ?1"
    }

    /// ?1 batch size.
    func deleteExpired(now: String) -> String {
        """
        DELETE FROM "\(table)" WHERE key_hash IN (
            SELECT key_hash FROM "\(table)" WHERE expires_at <= \(now) LIMIT ?1
        ) RETURNING 1
        """
    }
}
