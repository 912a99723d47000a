/// A store that answers on the calling thread, never waiting for I/O: the session lives in this
/// process (``MemorySessionStore``) or in the cookie itself (``CookieSessionStore``).
///
/// The engine loads and commits sessions in such a store without suspending, so an adapter on a
/// future-based framework (Vapor) serves the request without starting a task, and a synchronous route
/// can use the session through ``LoadedHTTPSession``. Implement the five calls below (and the three that make
/// renew and logout exact, whose defaults are built from the five); the `async` ``SessionStore``
/// requirements come with them.
///
/// ```swift
/// let store = MemorySessionStore()
/// let key = try store.saveImmediately(SessionState(["user_id": "ada"], createdAt: .now), ttl: .seconds(3600))
/// let state = try store.loadImmediately(key)
/// ```
package protocol ImmediateSessionStore: SessionStore {
    /// ``SessionStore/loadRecord(_:)``, answered on the calling thread.
    func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord?
    /// ``SessionStore/save(_:ttl:)``, answered on the calling thread.
    func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey
    /// ``SessionStore/update(_:to:changes:ttl:)``, answered on the calling thread.
    func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    /// ``SessionStore/updateTTL(_:ttl:)``, answered on the calling thread.
    func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult
    /// ``SessionStore/delete(_:)``, answered on the calling thread.
    func deleteImmediately(_ key: SessionKey) throws(DeleteError)
    /// ``SessionStore/renew(_:as:to:changes:ttl:tombstoneTTL:)``, answered on the calling thread.
    func renewImmediately(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        throws(UpdateError) -> SessionUpdateResult
    /// ``SessionStore/purge(_:tombstoneTTL:)``, answered on the calling thread.
    func purgeImmediately(_ key: SessionKey, tombstoneTTL: Duration) throws(DeleteError)
    /// ``SessionStore/hasTombstone(_:)``, answered on the calling thread.
    func hasTombstoneImmediately(_ key: SessionKey) throws(LoadError) -> Bool
}

extension ImmediateSessionStore {
    /// ``SessionStore/load(_:)``, answered on the calling thread.
    package func loadImmediately(_ key: SessionKey) throws(LoadError) -> SessionState? {
        try loadRecordImmediately(key)?.state
    }

    /// Load, save under a key of the store's choosing, delete: not atomic, no tombstone, and `.gone` when
    /// asked again (see ``SessionStore/renew(_:as:to:changes:ttl:tombstoneTTL:)``).
    package func renewImmediately(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        throws(UpdateError) -> SessionUpdateResult
    {
        let stored: SessionState?
        do {
            stored = try loadImmediately(key)
        } catch {
            throw .other(error)
        }
        guard let stored else { return .gone }
        let savedKey: SessionKey
        do {
            savedKey = try saveImmediately(state.renewed(from: stored, changes: changes), ttl: ttl)
        } catch {
            throw error.kind == .serialization ? .serialization(error) : .other(error)
        }
        do {
            try deleteImmediately(key)
        } catch {
            throw .other(error)
        }
        return .updated(savedKey)
    }

    /// ``deleteImmediately(_:)``: no tombstone.
    package func purgeImmediately(_ key: SessionKey, tombstoneTTL: Duration) throws(DeleteError) {
        try deleteImmediately(key)
    }

    /// `false`: a store without tombstones never knows that a key ended moments ago.
    package func hasTombstoneImmediately(_ key: SessionKey) throws(LoadError) -> Bool {
        false
    }
}

extension ImmediateSessionStore {
    public func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        try loadRecordImmediately(key)?.state
    }

    public func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        try loadRecordImmediately(key)
    }

    public func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        try saveImmediately(state, ttl: ttl)
    }

    public func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try updateImmediately(key, to: state, changes: changes, ttl: ttl)
    }

    public func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        try updateTTLImmediately(key, ttl: ttl)
    }

    public func delete(_ key: SessionKey) async throws(DeleteError) {
        try deleteImmediately(key)
    }

    public func renew(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        async throws(UpdateError) -> SessionUpdateResult
    {
        try renewImmediately(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }

    public func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        try purgeImmediately(key, tombstoneTTL: tombstoneTTL)
    }

    public func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        try hasTombstoneImmediately(key)
    }
}
