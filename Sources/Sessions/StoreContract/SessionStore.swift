#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
///
/// The five calls of actix-session's store (load, save, update, update TTL, delete) are the contract. Three
/// more make renew and logout exact under concurrent requests: ``renew(_:as:to:changes:ttl:tombstoneTTL:)``,
/// ``purge(_:tombstoneTTL:)`` and ``hasTombstone(_:)``, and ``loadRecord(_:)`` tells the engine when a
/// session expires. They have defaults written with the first five, so a store written elsewhere keeps
/// working, with the weaker guarantees each default documents.
public protocol SessionStore: Sendable {
    /// The state under `key`, or `nil` when there is none or it expired.
    ///
    /// Throw ``LoadError/deserialization(_:)`` for stored bytes that cannot be read (the engine then
    /// starts a fresh session) and ``LoadError/other(_:)`` when the store cannot be reached.
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState?

    /// ``load(_:)``, with when the session expires unless its TTL restarts.
    ///
    /// The engine loads through this call: the default TTL extension
    /// (``SessionConfiguration/TTLExtension/whenRemainingBelow(_:)``) restarts a read session's TTL only
    /// once little of it is left, which it can tell only from the expiry. The default answers ``load(_:)``'s
    /// state with no expiry, so that such a session's TTL restarts on every request that reads it.
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord?

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

    /// Moves the session under `key` to `newKey`, in one atomic step that happens only while the session
    /// under `key` is live.
    ///
    /// What lands under `newKey` is the session as stored under `key` with the request's `changes` applied
    /// (``SessionState/merged(into:changes:)``, so concurrent updates that reached the store first survive
    /// the move), created at `state.createdAt`, living `ttl`. The session under `key` is deleted, and a
    /// tombstone that ``hasTombstone(_:)`` finds, naming `newKey` for a later ``purge(_:tombstoneTTL:)`` of
    /// the old key, stays under `key` for `tombstoneTTL` (none for zero). Returns `.updated(newKey)`.
    ///
    /// Safe to ask again with the same arguments, which is how the engine learns what a renew whose answer
    /// never came did: when `key` is no longer live but its tombstone names `newKey` and the session under
    /// `newKey` is live, this renew already happened, and the answer is `.updated(newKey)` again with
    /// nothing written. Otherwise, when no live session is under `key` (purged, renewed elsewhere or expired
    /// meanwhile), the answer is ``SessionUpdateResult/gone`` and nothing is written: a renew never brings a
    /// session back. A store that implements it so says ``renewIsSafeToAskAgain``.
    ///
    /// The engine draws `newKey` at random (``SessionKey/generate()``), so it is never in use; a store
    /// that finds it in use throws ``UpdateError/other(_:)`` rather than overwrite a session. A store whose
    /// key is its state (``CookieSessionStore``) answers the key that encodes the moved state instead.
    ///
    /// The default loads, saves under a key of the store's choosing and deletes, as three calls: a purge or
    /// a concurrent update that lands between them can be undone or lost, it leaves no tombstone, and run
    /// again after a failure part-way it would leave a second copy, so the engine never asks it again.
    /// Every store we ship overrides it with one atomic operation.
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult

    /// Deletes the session under `key`, and the session a renew moved it to (following each renew's
    /// tombstone while it lasts), and leaves a tombstone under `key` for `tombstoneTTL` (none for zero), so
    /// that requests still carrying `key` learn that it ended moments ago; a missing key is not an error.
    ///
    /// Following the renews is what makes a logout final when another request of the same session renewed
    /// it first: the request that logs out loaded the session under its old key.
    ///
    /// The default is ``delete(_:)``: it follows no renew and leaves no tombstone.
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError)

    /// Whether ``renew(_:as:to:changes:ttl:tombstoneTTL:)``, asked again with the same arguments, answers
    /// the move it already made and writes nothing twice: only then does the engine ask a renew whose answer
    /// never came (a timeout after the store ran it) again, rather than answer 500 and leave the session
    /// under a key no cookie names. `false` by default (the default renew is not); every store we ship
    /// answers `true`, and the conformance suite's `renewIsSafeToAskAgain` checks it.
    var renewIsSafeToAskAgain: Bool { get }

    /// Whether a renew or purge left a tombstone under `key` whose TTL has not yet run out.
    ///
    /// The engine asks only about a key that verified but named no live session, before it would start a
    /// new session in its place: a tombstone means the key was renewed away or logged out moments ago, and
    /// that request's changes are dropped instead of replacing the browser's newer cookie. The default
    /// answers `false`.
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool
}

/// A session as a store holds it: its state, and when its time to live runs out.
///
/// ```swift
/// let record = try await store.loadRecord(key)
/// let secondsLeft = record?.expiresAt?.timeIntervalSinceNow
/// ```
public struct SessionRecord: Sendable, Hashable {
    /// The session's entries and creation time.
    public var state: SessionState
    /// When the store expires the session unless a write or ``SessionStore/updateTTL(_:ttl:)`` restarts
    /// its TTL first; `nil` when the store cannot say.
    public var expiresAt: Date?

    /// A record of `state` expiring at `expiresAt`.
    public init(_ state: SessionState, expiresAt: Date?) {
        self.state = state
        self.expiresAt = expiresAt
    }
}

/// What ``SessionStore/update(_:to:changes:ttl:)`` and ``SessionStore/updateTTL(_:ttl:)`` did.
public enum SessionUpdateResult: Sendable, Hashable {
    /// The session was updated and lives under this key.
    case updated(SessionKey)
    /// No live session was under the key: it was deleted or expired, and was not recreated.
    case gone
}

extension SessionStore {
    /// ``load(_:)``'s state, with no expiry.
    public func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        try await load(key).map { SessionRecord($0, expiresAt: nil) }
    }

    /// Load, save under a key of the store's choosing, delete: not atomic, no tombstone, and `.gone` when
    /// asked again (see the requirement).
    public func renew(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        async throws(UpdateError) -> SessionUpdateResult
    {
        let stored: SessionState?
        do {
            stored = try await load(key)
        } catch {
            throw .other(error)
        }
        guard let stored else { return .gone }
        let savedKey: SessionKey
        do {
            savedKey = try await save(state.renewed(from: stored, changes: changes), ttl: ttl)
        } catch {
            throw error.kind == .serialization ? .serialization(error) : .other(error)
        }
        do {
            try await delete(key)
        } catch {
            throw .other(error)
        }
        return .updated(savedKey)
    }

    /// `false`: the default renew cannot tell a repeat from a session that ended.
    public var renewIsSafeToAskAgain: Bool { false }

    /// ``delete(_:)``: no tombstone.
    public func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        try await delete(key)
    }

    /// `false`: a store without tombstones never knows that a key ended moments ago.
    public func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        false
    }
}

extension SessionState {
    /// What a renew stores under the new key: `stored` with `changes` applied from this state, created at
    /// this state's creation time.
    public func renewed(from stored: SessionState, changes: SessionChangeSet) -> SessionState {
        var moved = merged(into: stored, changes: changes)
        moved.createdAt = createdAt
        return moved
    }
}
