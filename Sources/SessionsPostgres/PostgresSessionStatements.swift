import Sessions

/// The SQL a ``PostgresSessionStore`` runs, for one table.
///
/// Keys are SHA-256 digests (`bytea`); `state` is the `jsonb` object of entries. Tombstones (keys a renew
/// or purge ended, until when, and the key a renew moved the session to) live in `<table>_tombstones`, so
/// that a server still running an older version of this library never reads one as a session.
struct PostgresSessionStatements: Sendable {
    /// The schema version this library writes: 1 created the sessions table, 2 added the tombstones.
    static let schemaVersion = 2
    static let schemaTable = "swift_sessions_schema"

    let table: String
    let tombstones: String

    /// `nil` when `tableName` is not a plain identifier (it is spliced into SQL unquoted, so nothing else
    /// is allowed, and upper case would be folded).
    init?(tableName: String) {
        guard isPlainSQLIdentifier(tableName, allowUppercase: false, maximumLength: 50) else { return nil }
        self.table = tableName
        self.tombstones = tableName + "_tombstones"
    }

    /// The database clock, or a fixed instant from the app's clock (Unix milliseconds).
    static func now(milliseconds: Int64?) -> String {
        milliseconds.map { "to_timestamp(\($0)::double precision / 1000)" } ?? "now()"
    }

    /// `$n` milliseconds as an interval.
    private static func interval(_ parameter: String) -> String {
        "(\(parameter)::bigint * interval '1 millisecond')"
    }

    /// The recorded version, or no row; fails with SQLSTATE 42P01 when the schema table does not exist.
    var schemaVersionQuery: String {
        "SELECT version FROM \(Self.schemaTable) WHERE table_name = '\(table)'"
    }

    /// Serialises concurrent migrations from several app servers: taken first in the migration's transaction.
    static let migrationLock = "SELECT pg_advisory_xact_lock(hashtext('\(schemaTable)'))"

    static let createSchemaTable = "CREATE TABLE IF NOT EXISTS \(schemaTable) (table_name text PRIMARY KEY, version integer NOT NULL)"

    /// The DDL that brings the schema from `version` to ``schemaVersion``, then records it.
    func migration(from version: Int) -> [String] {
        var statements: [String] = []
        if version < 1 {
            statements += [
                """
                CREATE TABLE IF NOT EXISTS \(table) (
                    key_hash bytea PRIMARY KEY,
                    state jsonb NOT NULL,
                    created_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX IF NOT EXISTS \(table)_expires_at ON \(table) (expires_at)",
            ]
        }
        if version < 2 {
            statements.append(
                "CREATE TABLE IF NOT EXISTS \(tombstones) (key_hash bytea PRIMARY KEY, ended_until timestamptz NOT NULL, successor bytea)"
            )
        }
        statements.append(
            """
            INSERT INTO \(Self.schemaTable) (table_name, version) VALUES ('\(table)', \(Self.schemaVersion))
            ON CONFLICT (table_name) DO UPDATE SET version = excluded.version
            """
        )
        return statements
    }

    /// $1 key hash → state text, created-at and expires-at in Unix milliseconds.
    func load(now: String) -> String {
        """
        SELECT state::text, (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM expires_at) * 1000)::bigint
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
        UPDATE \(table) SET state = \(Self.mergedState(cleared: "$2", touchedKeys: "$3", setEntries: "$4")), expires_at = \(now) + \(Self.interval("$5"))
        WHERE key_hash = $1 AND expires_at > \(now)
        RETURNING 1
        """
    }

    /// $1 old key hash, $2 new key hash, $3 cleared, $4 touched keys, $5 set entries, $6 created-at (Unix
    /// ms), $7 TTL (ms), $8 tombstone TTL (ms, 0 for none).
    ///
    /// One statement: the live row moves to its new key in place, merging the request's changes, and the
    /// tombstone is written only if it moved. A concurrent update of the old key waits on the row's lock
    /// and then finds no row under it (gone); a new key already in use fails the primary key and changes
    /// nothing. When nothing moved, ``renewedAlready(now:)`` tells a repeat from a loss.
    func renew(now: String) -> String {
        """
        WITH moved AS (
            UPDATE \(table) SET
                key_hash = $2,
                state = \(Self.mergedState(cleared: "$3", touchedKeys: "$4", setEntries: "$5")),
                created_at = to_timestamp($6::double precision / 1000),
                expires_at = \(now) + \(Self.interval("$7"))
            WHERE key_hash = $1 AND expires_at > \(now)
            RETURNING 1
        ), tombstone AS (
            INSERT INTO \(tombstones) (key_hash, ended_until, successor)
            SELECT $1, \(now) + \(Self.interval("$8")), $2 FROM moved WHERE $8::bigint > 0
            ON CONFLICT (key_hash) DO UPDATE SET ended_until = excluded.ended_until, successor = excluded.successor
        )
        SELECT 1 FROM moved
        """
    }

    /// $1 old key hash, $2 new key hash: a row when a renew already moved $1 to $2 (the old key's tombstone
    /// names $2, whose session is live). A statement of its own, with a snapshot taken after the renew it
    /// follows: a first attempt that committed while that renew waited for the row's lock is seen here.
    func renewedAlready(now: String) -> String {
        """
        SELECT 1 FROM \(tombstones) AS t JOIN \(table) AS s ON s.key_hash = t.successor
        WHERE t.key_hash = $1 AND t.successor = $2 AND t.ended_until > \(now) AND s.expires_at > \(now)
        """
    }

    private static func mergedState(cleared: String, touchedKeys: String, setEntries: String) -> String {
        "(CASE WHEN \(cleared) THEN '{}'::jsonb ELSE state - \(touchedKeys)::text[] END) || \(setEntries)::jsonb"
    }

    /// $1 key hash, $2 TTL (ms).
    func updateTTL(now: String) -> String {
        "UPDATE \(table) SET expires_at = \(now) + \(Self.interval("$2")) WHERE key_hash = $1 AND expires_at > \(now) RETURNING 1"
    }

    /// $1 key hash.
    var delete: String {
        "DELETE FROM \(table) WHERE key_hash = $1"
    }

    /// $1 key hash, $2 tombstone TTL (ms, 0 for none). One statement deletes the session and every session
    /// renews moved it to (following the successors of tombstones that have not run out), then writes a
    /// tombstone under every key of that chain and returns the successors that lie outside it.
    ///
    /// Those exist when a renew of a key in the chain committed while this statement ran: its row moved out
    /// from under the `DELETE` (which re-checks the moved row and finds another key), but its tombstone, which
    /// the `INSERT ... ON CONFLICT` meets whether or not this statement's snapshot saw it, names where the row
    /// went. The store purges those keys too. The `DELETE` runs before the `INSERT` (the insert reads its
    /// count), so rows are locked before tombstones, in the same order as a renew takes them.
    func purge(now: String) -> String {
        """
        WITH RECURSIVE chain(key_hash, depth) AS (
            SELECT $1::bytea, 0
            UNION ALL
            SELECT t.successor, chain.depth + 1 FROM \(tombstones) AS t JOIN chain ON t.key_hash = chain.key_hash
            WHERE t.successor IS NOT NULL AND t.ended_until > \(now) AND chain.depth < \(maximumRenewalsFollowed)
        ), purged AS (
            DELETE FROM \(table) WHERE key_hash IN (SELECT key_hash FROM chain) RETURNING 1
        ), tombstone AS (
            INSERT INTO \(tombstones) AS existing (key_hash, ended_until, successor)
            SELECT chain.key_hash, \(now) + \(Self.interval("$2::bigint")), NULL
            FROM chain, (SELECT count(*) FROM purged) AS deleted
            ON CONFLICT (key_hash) DO UPDATE SET
                ended_until = greatest(existing.ended_until, excluded.ended_until),
                successor = CASE WHEN existing.ended_until > \(now) THEN existing.successor END
            RETURNING existing.successor
        )
        SELECT DISTINCT successor FROM tombstone WHERE successor IS NOT NULL AND successor NOT IN (SELECT key_hash FROM chain)
        """
    }

    /// $1 key hash.
    func hasTombstone(now: String) -> String {
        "SELECT 1 FROM \(tombstones) WHERE key_hash = $1 AND ended_until > \(now)"
    }

    /// $1 batch size.
    ///
    /// The outer statement checks the expiry again: when it waits on the lock of a concurrent update that
    /// extends the row, PostgreSQL re-checks only the outer condition on the new row version, and the
    /// subquery's verdict is stale. `SKIP LOCKED` lets several servers sweep at once.
    func deleteExpired(now: String) -> String {
        """
        DELETE FROM \(table) WHERE key_hash IN (
            SELECT key_hash FROM \(table) WHERE expires_at <= \(now) LIMIT $1 FOR UPDATE SKIP LOCKED
        ) AND expires_at <= \(now) RETURNING 1
        """
    }

    /// $1 batch size.
    func deleteExpiredTombstones(now: String) -> String {
        """
        DELETE FROM \(tombstones) WHERE key_hash IN (
            SELECT key_hash FROM \(tombstones) WHERE ended_until <= \(now) LIMIT $1 FOR UPDATE SKIP LOCKED
        ) AND ended_until <= \(now) RETURNING 1
        """
    }
}
