import Sessions

/// The SQL a ``PostgresSessionStore`` runs, for one table.
///
/// Keys are SHA-256 digests (`bytea`); `state` is the `jsonb` object of entries.
struct PostgresSessionStatements: Sendable {
    /// The schema version this library writes.
    static let schemaVersion = 1
    static let schemaTable = "swift_sessions_schema"

    let table: String

    /// `nil` when `tableName` is not a plain identifier (it is spliced into SQL unquoted, so nothing else
    /// is allowed, and upper case would be folded).
    init?(tableName: String) {
        guard isPlainSQLIdentifier(tableName, allowUppercase: false, maximumLength: 50) else { return nil }
        self.table = tableName
    }

    /// The database clock, or a fixed instant from the app's clock (Unix milliseconds).
    static func now(milliseconds: Int64?) -> String {
        milliseconds.map { "to_timestamp(\($0)::double precision / 1000)" } ?? "now()"
    }

    /// `$n` milliseconds as an interval.
    private static func interval(_ parameter: String) -> String {
        "(\(parameter)::bigint * interval '1 millisecond')"
    }

    var migration: [String] {
        [
            // Serialises concurrent migrations from several app servers.
            "SELECT pg_advisory_xact_lock(hashtext('\(Self.schemaTable)'))",
            "CREATE TABLE IF NOT EXISTS \(Self.schemaTable) (table_name text PRIMARY KEY, version integer NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                key_hash bytea PRIMARY KEY,
                state jsonb NOT NULL,
                created_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS \(table)_expires_at ON \(table) (expires_at)",
            "INSERT INTO \(Self.schemaTable) (table_name, version) VALUES ('\(table)', \(Self.schemaVersion)) ON CONFLICT (table_name) DO NOTHING",
        ]
    }

    var schemaVersionQuery: String {
        "SELECT version FROM \(Self.schemaTable) WHERE table_name = '\(table)'"
    }

    /// $1 key hash → state text, created-at in Unix milliseconds.
    func load(now: String) -> String {
        """
        SELECT state::text, (extract(epoch FROM created_at) * 1000)::bigint
        FROM \(table) WHERE key_hash = $1 AND expires_at > \(now)
        """
    }

    /// $1 key hash, $2 state, $3 created-at (Unix ms), $4 TTL (ms). Replaces only an expired row.
    func save(now: String) -> String {
        """
        INSERT INTO \(table) AS existing (key_hash, state, created_at, expires_at)
        VALUES ($1, $2::jsonb, to_timestamp($3::double precision / 1000), \(now) + \(Self.interval("$4")))
        ON CONFLICT (key_hash) DO UPDATE SET
            state = excluded.state, created_at = excluded.created_at, expires_at = excluded.expires_at
        WHERE existing.expires_at <= \(now)
        RETURNING 1
        """
    }

    /// $1 key hash, $2 cleared, $3 removed and set keys (text[]), $4 set entries (jsonb), $5 TTL (ms).
    /// One statement merges field by field: drop what the request removed or set, then add what it set.
    func update(now: String) -> String {
        """
        UPDATE \(table) SET
            state = (CASE WHEN $2 THEN '{}'::jsonb ELSE state - $3::text[] END) || $4::jsonb,
            expires_at = \(now) + \(Self.interval("$5"))
        WHERE key_hash = $1 AND expires_at > \(now)
        RETURNING 1
        """
    }

    /// $1 key hash, $2 TTL (ms).
    func updateTTL(now: String) -> String {
        "UPDATE \(table) SET expires_at = \(now) + \(Self.interval("$2")) WHERE key_hash = $1 AND expires_at > \(now) RETURNING 1"
    }

    /// $1 key hash.
    var delete: String {
        "DELETE FROM \(table) WHERE key_hash = $1"
    }

    /// $1 batch size.
    func deleteExpired(now: String) -> String {
        """
        DELETE FROM \(table) WHERE key_hash IN (
            SELECT key_hash FROM \(table) WHERE expires_at <= \(now) LIMIT $1
        ) RETURNING 1
        """
    }
}
