import Foundation
import Sessions
import Synchronization

/// Sessions in a dictionary behind a lock, each with its expiry: a complete store in one type. Expired
/// sessions are never served; `SessionExpirySweeper` deletes them (`deleteExpired(limit:)`).
final class DictionarySessionStore: ExpiringSessionStore {
    private struct Record {
        var state: SessionState
        var expiresAt: Date
    }

    private let records = Mutex<[SessionKey: Record]>([:])
    private let clock: any SessionClock
    private let generateKey: @Sendable () -> SessionKey

    init(clock: any SessionClock = SystemSessionClock(), generateKey: @escaping @Sendable () -> SessionKey = { .generate() }) {
        self.clock = clock
        self.generateKey = generateKey
    }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        try await loadRecord(key)?.state
    }

    /// With its expiry, so that the engine restarts a read session's TTL only when little of it is left.
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        let now = clock.now
        return records.withLock { records in
            guard let record = records[key], record.expiresAt > now else { return nil }
            return SessionRecord(record.state, expiresAt: record.expiresAt)
        }
    }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        let now = clock.now
        return try records.withLock { records throws(SaveError) in
            // A key that files a live session is never reused: generate another, a few times at most.
            for _ in 0..<8 {
                let key = generateKey()
                if let existing = records[key], existing.expiresAt > now { continue }
                records[key] = Record(state: state, expiresAt: now.adding(ttl))
                return key
            }
            throw .other(KeyCollisions())
        }
    }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        let now = clock.now
        return records.withLock { records in
            // Only a live session is written: an update never brings back one that ended meanwhile.
            guard let record = records[key], record.expiresAt > now else { return .gone }
            // Merged: what this request changed wins, what other requests wrote meanwhile stays.
            records[key] = Record(state: state.merged(into: record.state, changes: changes), expiresAt: now.adding(ttl))
            return .updated(key)
        }
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        let now = clock.now
        return records.withLock { records in
            guard records[key].map({ $0.expiresAt > now }) == true else { return .gone }
            records[key]?.expiresAt = now.adding(ttl)
            return .updated(key)
        }
    }

    func delete(_ key: SessionKey) async throws(DeleteError) {
        _ = records.withLock { $0.removeValue(forKey: key) }
    }

    func deleteExpired(limit: Int) async throws -> Int {
        let now = clock.now
        return records.withLock { records in
            let expired = records.filter { $0.value.expiresAt <= now }.keys.prefix(limit)
            for key in expired { records[key] = nil }
            return expired.count
        }
    }

    struct KeyCollisions: Error {}
}

extension Date {
    func adding(_ duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
