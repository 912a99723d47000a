import Sessions

/// The SQL an ``SQLiteSessionStore`` runs, for one table.
///
/// Keys are SHA-256 digests (BLOB); `state` is the JSON object of entries; times are Unix milliseconds.
/// Tombstones (keys a renew or purge ended, until when, and the key a renew moved the session to) live in
/// a table of their own,
/// `<table>_tombstones`, so that a server still running an older version of this library never reads one
/// as a session.
struct SQLiteSessionStatements: Sendable {
    /// The schema version this library writes: 1 created the sessions table, 2 added the tombstones, 3 the
    /// column and trigger that let a renew write its tombstone in the statement that moves the row.
    static let schemaVersion = 3
    static let schemaTable = "swift_sessions_schema"

    let table: String
    let tombstones: String

    /// `nil` when `tableName` is not a plain identifier (it is spliced into SQL, so nothing else is allowed).
    init?(tableName: String) {
        guard isPlainSQLIdentifier(tableName, allowUppercase: true, maximumLength: 63) else { return nil }
        self.table = tableName
        self.tombstones = tableName + "_tombstones"
    }

    /// The database clock in Unix milliseconds, or a fixed instant from the app's clock.
    static func now(milliseconds: Int64?) -> String {
        milliseconds.map { "\($0)" } ?? "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
    }

    var schemaVersionQuery: String {
        "SELECT version FROM \(Self.schemaTable) WHERE table_name = '\(table)'"
    }

    /// One step of a migration: a statement, or a column added unless the table has it (SQLite's `ALTER TABLE`
    /// is not idempotent, and every step must be: a migration cut short runs again).
    enum MigrationStep: Equatable {
        case statement(String)
        case addColumn(name: String, definition: String)
    }

    /// The steps that bring the schema from `version` to ``schemaVersion``; each is idempotent.
    func migration(from version: Int) -> [MigrationStep] {
        var statements: [String] = ["CREATE TABLE IF NOT EXISTS \(Self.schemaTable) (table_name TEXT PRIMARY KEY, version INTEGER NOT NULL)"]
        if version < 1 {
            statements += [
                """
                CREATE TABLE IF NOT EXISTS "\(table)" (
                    key_hash BLOB PRIMARY KEY,
                    state TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                ) WITHOUT ROWID
                """,
                "CREATE INDEX IF NOT EXISTS \"\(table)_expires_at\" ON \"\(table)\" (expires_at)",
            ]
        }
        if version < 2 {
            statements.append(
                """
                CREATE TABLE IF NOT EXISTS "\(tombstones)" (
                    key_hash BLOB PRIMARY KEY,
                    ended_until INTEGER NOT NULL,
                    successor BLOB
                ) WITHOUT ROWID
                """
            )
            // A purge's tombstone (no successor) ends the session under its key in the statement that writes it:
            // a purge is then one statement, and no request, crash or failed second statement ever sees a purged
            // key with neither its session nor its tombstone, nor a tombstone over a session that lives on.
            for event in ["INSERT", "UPDATE"] {
                statements.append(
                    """
                    CREATE TRIGGER IF NOT EXISTS "\(tombstones)_ends_session_on_\(event.lowercased())" AFTER \(event) ON "\(tombstones)"
                    WHEN NEW.successor IS NULL BEGIN DELETE FROM "\(table)" WHERE key_hash = NEW.key_hash; END
                    """
                )
            }
        }
        var steps = statements.map(MigrationStep.statement)
        statements = []
        if version < 3 {
            steps.append(.addColumn(name: "renew_tombstone_until", definition: "INTEGER"))
            // A renew sets the row's `renew_tombstone_until` in the statement that moves it to its new key, and
            // this trigger writes the old key's tombstone naming the new one: the renew is one statement, so
            // no failure between two can leave a live session behind a live tombstone. The trigger clears the
            // column again (an update that leaves the key alone, so it does not fire itself), so that a move by
            // anything else (a process of schema 2 still sharing the file) never writes a stale tombstone.
            statements.append(
                """
                CREATE TRIGGER IF NOT EXISTS "\(table)_renew_leaves_tombstone" AFTER UPDATE OF key_hash ON "\(table)"
                WHEN NEW.renew_tombstone_until IS NOT NULL BEGIN
                    INSERT OR REPLACE INTO "\(tombstones)" (key_hash, ended_until, successor)
                    VALUES (OLD.key_hash, NEW.renew_tombstone_until, NEW.key_hash);
                    UPDATE "\(table)" SET renew_tombstone_until = NULL WHERE key_hash = NEW.key_hash;
                END
                """
            )
        }
        statements.append(
            """
            INSERT INTO \(Self.schemaTable) (table_name, version) VALUES ('\(table)', \(Self.schemaVersion))
            ON CONFLICT (table_name) DO UPDATE SET version = max(version, excluded.version)
            """
        )
        return steps + statements.map(MigrationStep.statement)
    }

    /// ?1 key hash
    func load(now: String) -> String {
        "SELECT state, created_at, expires_at FROM \"\(table)\" WHERE key_hash = ?1 AND expires_at > \(now)"
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
    func update(now: String) -> String {
        """
        UPDATE "\(table)" SET state = \(mergedState(cleared: "?2", touchedKeys: "?3", setEntries: "?4")), expires_at = \(now) + ?5
        WHERE key_hash = ?1 AND expires_at > \(now)
        RETURNING 1
        """
    }

    /// ?1 table name, ?2 column name: a row when the table has that column.
    var columnNamed: String {
        "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2"
    }

    /// ?1 old key hash, ?2 new key hash, ?3 cleared, ?4 touched keys, ?5 set entries, ?6 created-at, ?7 TTL,
    /// ?8 tombstone TTL (0: none).
    ///
    /// Moves the live row to its new key in place, and the table's trigger writes the old key's tombstone
    /// naming the new one: one statement, so nothing can fall between the check that the session is live,
    /// the move and the tombstone. A new key already in use fails the primary key; a session no longer live
    /// updates nothing and leaves no tombstone (then ``renewedAlready(now:)`` tells a repeat from a loss).
    func renew(now: String) -> String {
        """
        UPDATE "\(table)" SET
            key_hash = ?2,
            state = \(mergedState(cleared: "?3", touchedKeys: "?4", setEntries: "?5")),
            created_at = ?6,
            expires_at = \(now) + ?7,
            renew_tombstone_until = CASE WHEN ?8 > 0 THEN \(now) + ?8 END
        WHERE key_hash = ?1 AND expires_at > \(now)
        RETURNING 1
        """
    }

    /// ?1 old key hash, ?2 new key hash: a row when a renew already moved ?1 to ?2 (the old key's tombstone
    /// names ?2, whose session is live), so that a renew asked again answers what it did.
    func renewedAlready(now: String) -> String {
        """
        SELECT 1 FROM "\(tombstones)" AS t JOIN "\(table)" AS s ON s.key_hash = t.successor
        WHERE t.key_hash = ?1 AND t.successor = ?2 AND t.ended_until > \(now) AND s.expires_at > \(now)
        """
    }

    /// One expression that merges field by field: keep the stored entries the request neither set nor
    /// removed (none after a clear), then add the ones it set. JSON booleans, objects and arrays are
    /// re-wrapped with `json()` so they stay JSON rather than becoming integers or text.
    private func mergedState(cleared: String, touchedKeys: String, setEntries: String) -> String {
        """
        (
            SELECT json_group_object(key, CASE type
                WHEN 'true' THEN json('true') WHEN 'false' THEN json('false')
                WHEN 'object' THEN json(value) WHEN 'array' THEN json(value)
                ELSE value END)
            FROM (
                SELECT key, value, type FROM json_each("\(table)".state)
                WHERE \(cleared) = 0 AND key NOT IN (SELECT value FROM json_each(\(touchedKeys)))
                UNION ALL
                SELECT key, value, type FROM json_each(\(setEntries))
            )
        )
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

    /// Renew tombstones on keys that still hold their session: renews of schema version 2, which wrote the
    /// tombstone and moved the row in two statements, that a process death cut between them. Left alone
    /// they would make the live session read as renewed away until they ran out.
    var deleteInterruptedRenewTombstones: String {
        "DELETE FROM \"\(tombstones)\" WHERE successor IS NOT NULL AND key_hash IN (SELECT key_hash FROM \"\(table)\")"
    }

    /// ?1 key hash. A purge that leaves no tombstones: deletes the session and every session renews moved it
    /// to, following the successors of tombstones that have not run out.
    func purgeFollowingRenewals(now: String) -> String {
        """
        \(renewalChain(now: now))
        DELETE FROM "\(table)" WHERE key_hash IN (SELECT key_hash FROM chain)
        """
    }

    /// `chain`: the key ?1 and every key the successors of its live tombstones lead to, renew by renew.
    private func renewalChain(now: String) -> String {
        """
        WITH RECURSIVE chain(key_hash, depth) AS (
            SELECT ?1, 0
            UNION ALL
            SELECT t.successor, chain.depth + 1 FROM "\(tombstones)" AS t JOIN chain ON t.key_hash = chain.key_hash
            WHERE t.successor IS NOT NULL AND t.ended_until > \(now) AND chain.depth < \(maximumRenewalsFollowed)
        )
        """
    }

    /// ?1 key hash, ?2 tombstone TTL: a purge, the tombstones on the key and on every key its renews' tombstones
    /// lead to, naming no successor (a request still carrying any of them is stale, and a renew under way can no
    /// longer take its tombstone back); the tombstones' trigger deletes the session under each key in the same
    /// statement. `WHERE true` tells the parser the `ON CONFLICT` belongs to the upsert.
    func purge(now: String) -> String {
        """
        \(renewalChain(now: now))
        INSERT INTO "\(tombstones)" (key_hash, ended_until, successor) SELECT key_hash, \(now) + ?2, NULL FROM chain WHERE true
        ON CONFLICT (key_hash) DO UPDATE SET ended_until = excluded.ended_until, successor = NULL
        """
    }

    /// ?1 key hash.
    func hasTombstone(now: String) -> String {
        "SELECT 1 FROM \"\(tombstones)\" WHERE key_hash = ?1 AND ended_until > \(now)"
    }

    /// ?1 batch size. The expiry is checked again on the row being deleted, not only in the subquery that
    /// picked it.
    func deleteExpired(now: String) -> String {
        """
        DELETE FROM "\(table)" WHERE key_hash IN (
            SELECT key_hash FROM "\(table)" WHERE expires_at <= \(now) LIMIT ?1
        ) AND expires_at <= \(now) RETURNING 1
        """
    }

    /// ?1 batch size.
    func deleteExpiredTombstones(now: String) -> String {
        """
        DELETE FROM "\(tombstones)" WHERE key_hash IN (
            SELECT key_hash FROM "\(tombstones)" WHERE ended_until <= \(now) LIMIT ?1
        ) AND ended_until <= \(now) RETURNING 1
        """
    }
}
