/// Where sessions live between requests.
///
/// A store persists a ``SessionState`` under a ``SessionKey`` with a time to live, and nothing else:
/// cookies, lifecycles and which call to make when are the ``SessionEngine``'s job.
/// Every store we ship passes `SessionsTesting`'s conformance suite; run it against yours too.
///
/// ```swift
/// let store = MemorySessionStore()
/// let key = try await store.save(SessionState(["user_id": "ada"], createdAt: .now), ttl: .seconds(3600))
/// let state = try await store.load(key)
/// ```
public protocol SessionStore: Sendable {
    /// The state under `key`, or `nil` when there is none or it expired.
    ///
    /// Throw ``LoadError/deserialization(_:)`` for stored bytes that cannot be read (the engine then
    /// starts a fresh session) and ``LoadError/other(_:)`` when the store cannot be reached.
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState?

    /// Stores `state` under a new key and returns it.
    ///
    /// Never overwrites an existing session: a store that generates a key already in use generates
    /// another.
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey

    /// Writes a request's changes to the session under `key` and restarts its time to live.
    ///
    /// `state` is the request's full view of the session after its changes; `changes` says which keys
    /// it set, removed or cleared, so a store can merge field by field (see
    /// ``SessionState/merged(into:changes:)``). Returns the key the session now lives under, which may
    /// differ from `key` (a cookie store's key is its state). Returns ``SessionUpdateResult/gone`` when
    /// the session was deleted or expired: never recreate it.
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult

    /// Restarts the time to live of the session under `key` without rewriting its state.
    ///
    /// Returns ``SessionUpdateResult/gone`` when there is no live session under `key`.
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult

    /// Deletes the session under `key`; deleting a missing key is not an error.
    func delete(_ key: SessionKey) async throws(DeleteError)
}

/// What ``SessionStore/update(_:to:changes:ttl:)`` and ``SessionStore/updateTTL(_:ttl:)`` did.
public enum SessionUpdateResult: Sendable, Hashable {
    /// The session was updated and lives under this key.
    case updated(SessionKey)
    /// No live session was under the key: it was deleted or expired, and was not recreated.
    case gone
}
