import Sessions
import Synchronization

/// Wraps a store and records each call by name, so tests can assert which store call a request made.
///
/// It never answers immediately, so the engine awaits every call; ``ImmediateRecordingSessionStore``
/// is the same recorder for the engine's calling-thread path.
class RecordingSessionStore<Base: SessionStore>: SessionStore, @unchecked Sendable {
    let base: Base
    private let log = Mutex<[String]>([])

    init(_ base: Base) { self.base = base }

    var calls: [String] { log.withLock { $0 } }
    func resetCalls() { log.withLock { $0.removeAll() } }
    fileprivate func record(_ call: String) { log.withLock { $0.append(call) } }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        record("load")
        return try await base.load(key)
    }

    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        record("load")
        return try await base.loadRecord(key)
    }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        record("save")
        return try await base.save(state, ttl: ttl)
    }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        record("update")
        return try await base.update(key, to: state, changes: changes, ttl: ttl)
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        record("updateTTL")
        return try await base.updateTTL(key, ttl: ttl)
    }

    func delete(_ key: SessionKey) async throws(DeleteError) {
        record("delete")
        try await base.delete(key)
    }

    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        record("renew")
        return try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }

    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        record("purge")
        try await base.purge(key, tombstoneTTL: tombstoneTTL)
    }

    var renewIsSafeToAskAgain: Bool { base.renewIsSafeToAskAgain }

    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        record("hasTombstone")
        return try await base.hasTombstone(key)
    }
}

/// ``RecordingSessionStore`` over a store that answers on the calling thread, and answering so itself:
/// the engine then loads and commits without awaiting, and the same call names are recorded.
final class ImmediateRecordingSessionStore<Base: ImmediateSessionStore>: RecordingSessionStore<Base>, ImmediateSessionStore, @unchecked Sendable {
    func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord? {
        record("load")
        return try base.loadRecordImmediately(key)
    }

    func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey {
        record("save")
        return try base.saveImmediately(state, ttl: ttl)
    }

    func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    {
        record("update")
        return try base.updateImmediately(key, to: state, changes: changes, ttl: ttl)
    }

    func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult {
        record("updateTTL")
        return try base.updateTTLImmediately(key, ttl: ttl)
    }

    func deleteImmediately(_ key: SessionKey) throws(DeleteError) {
        record("delete")
        try base.deleteImmediately(key)
    }

    func renewImmediately(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        throws(UpdateError) -> SessionUpdateResult
    {
        record("renew")
        return try base.renewImmediately(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }

    func purgeImmediately(_ key: SessionKey, tombstoneTTL: Duration) throws(DeleteError) {
        record("purge")
        try base.purgeImmediately(key, tombstoneTTL: tombstoneTTL)
    }

    func hasTombstoneImmediately(_ key: SessionKey) throws(LoadError) -> Bool {
        record("hasTombstone")
        return try base.hasTombstoneImmediately(key)
    }
}

/// A store whose every call fails the way it is told to, after an optional working prefix.
struct FailingSessionStore: SessionStore {
    struct Outage: Error, CustomStringConvertible {
        var description: String { "connection refused by 10.0.0.7:6379 (internal detail)" }
    }

    var loadFailure: LoadError? = .other(Outage())
    var base = MemorySessionStore()
    var failWrites = true

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        if let loadFailure { throw loadFailure }
        return try await base.load(key)
    }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        if failWrites { throw .other(Outage()) }
        return try await base.save(state, ttl: ttl)
    }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        if failWrites { throw .other(Outage()) }
        return try await base.update(key, to: state, changes: changes, ttl: ttl)
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        if failWrites { throw .other(Outage()) }
        return try await base.updateTTL(key, ttl: ttl)
    }

    func delete(_ key: SessionKey) async throws(DeleteError) {
        if failWrites { throw .other(Outage()) }
        try await base.delete(key)
    }
}
