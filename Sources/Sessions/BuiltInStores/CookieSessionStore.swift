#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sessions that live in the cookie itself: no server state at all.
///
/// The key *is* the state (base64url of the persisted format), and the engine signs or encrypts it like
/// any key. Beyond actix-session, an expiry is embedded and enforced here, so a copied cookie dies with
/// its TTL even if the browser keeps it. A state too large for a cookie fails to save with an error
/// naming the 4096-byte limit. Deleting is a no-op: a purged cookie is removed, but a copy taken
/// earlier stays valid until its embedded expiry: prefer a server-side store when logout must be final.
///
/// ```swift
/// let engine = try SessionEngine(store: CookieSessionStore(), secrets: secrets)
/// ```
public struct CookieSessionStore: ImmediateSessionStore {
    private let clock: any SessionClock

    /// Creates the store; `clock` decides when embedded expiries have passed.
    public init(clock: any SessionClock = SystemSessionClock()) {
        self.clock = clock
    }

    package func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord? {
        try liveRecord(key, now: clock.now)
    }

    package func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey {
        do {
            return try key(for: state, expiresAt: clock.now + ttl)
        } catch {
            throw .serialization(error)
        }
    }

    package func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    {
        let now = clock.now
        do {
            guard try liveRecord(key, now: now) != nil else { return .gone }
            return .updated(try self.key(for: state, expiresAt: now + ttl))
        } catch {
            throw .serialization(error)
        }
    }

    package func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult {
        let now = clock.now
        do {
            guard let state = try liveRecord(key, now: now)?.state else { return .gone }
            return .updated(try self.key(for: state, expiresAt: now + ttl))
        } catch {
            throw .serialization(error)
        }
    }

    package func deleteImmediately(_ key: SessionKey) throws(DeleteError) {}

    /// `true`: a renew only encodes the state it is given, so asking it again does no harm.
    public var renewIsSafeToAskAgain: Bool { true }

    /// The request's state, under the key that encodes it (`newKey` is not used): a cookie store has no
    /// server-side copy to move or merge, and no tombstone to leave.
    package func renewImmediately(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        throws(UpdateError) -> SessionUpdateResult
    {
        try updateImmediately(key, to: state, changes: changes, ttl: ttl)
    }

    private func liveRecord(_ key: SessionKey, now: Date) throws(LoadError) -> SessionRecord? {
        guard let bytes = Base64URL.decode(key.rawValue.utf8) else {
            throw .deserialization(PersistedSessionStateError.malformed)
        }
        let decoded: (state: SessionState, expiresAt: Date?)
        do {
            decoded = try PersistedSessionState.decode(bytes)
        } catch {
            throw .deserialization(error)
        }
        guard let expiresAt = decoded.expiresAt, expiresAt > now else { return nil }
        return SessionRecord(decoded.state, expiresAt: expiresAt)
    }

    private func key(for state: SessionState, expiresAt: Date) throws -> SessionKey {
        let text = Base64URL.encode(try PersistedSessionState.encode(state, expiresAt: expiresAt))
        guard text.utf8.count <= SessionKey.maximumLength else {
            throw SessionStoreMessage(
                "session state is too large for a cookie: \(text.utf8.count) bytes encoded, over the \(SessionKey.maximumLength)-byte key limit (cookies are capped at 4096 bytes)"
            )
        }
        return SessionKey(trusted: text)
    }
}
