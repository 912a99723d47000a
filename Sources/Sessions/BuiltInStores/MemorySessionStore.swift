import Crypto
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sessions in this process's memory: for development, tests and single-process apps.
///
/// Sessions are filed under the SHA-256 of their key, never the key itself. TTLs are enforced on every
/// read; expired entries are also swept in the background when the store runs as a `Service`. Updates
/// merge field by field, so concurrent requests that change different keys of one session both persist;
/// a renew moves a session to its new key under the same lock, only while it is live. A capacity
/// (100,000 sessions unless configured) bounds memory, since every anonymous write makes a session: when
/// full, a save first sweeps expired entries and, if still full, fails (the request answers 500) rather
/// than evict a live session, which would log its user out.
///
/// Size it as the most sessions alive within one TTL (sessions created per second at the busiest, times
/// the TTL in seconds). A small session (two values) takes about 360 bytes (BENCHMARKS.md, the store's
/// footprint benchmark); the worst case is about the capacity times `SessionConfiguration.maximumStateSize`.
/// Across several processes, or for sessions that outlive a restart, use a server-side store.
///
/// ```swift
/// let store = MemorySessionStore(configuration: .init(capacity: 500_000))
/// let app = Application(router: router, services: [store])   // sweeps expired sessions every minute
/// ```
public final class MemorySessionStore: ExpiringSessionStore, ImmediateSessionStore, Service {
    /// How the store sweeps and how many sessions it holds.
    public struct Configuration: Sendable {
        /// The most sessions held at once by default.
        public static let defaultCapacity = 100_000

        /// The most sessions held at once, at least 1; `nil` for no bound (memory then grows with every new
        /// session).
        public var capacity: Int?
        /// How often ``run()`` sweeps expired sessions.
        public var sweepInterval: Duration

        /// Creates a configuration.
        public init(capacity: Int? = Self.defaultCapacity, sweepInterval: Duration = .seconds(60)) {
            self.capacity = capacity
            self.sweepInterval = sweepInterval
        }
    }

    private struct Entry {
        var state: SessionState
        var expiresAt: Date
    }

    /// A key a renew or purge ended: until when that is known, and where a renew moved the session.
    private struct Tombstone {
        var until: Date
        var successor: SHA256Digest?
    }

    private struct Storage {
        var entries: [SHA256Digest: Entry] = [:]
        var tombstones: [SHA256Digest: Tombstone] = [:]
        var lastSweep: Date = .distantPast
        var lastTombstoneSweep: Date = .distantPast
    }

    private let storage = Mutex(Storage())
    private let configuration: Configuration
    private let clock: any SessionClock
    private let generateKey: @Sendable () -> SessionKey

    /// Creates an empty store.
    /// - Parameters:
    ///   - configuration: capacity and sweep interval.
    ///   - clock: where TTLs read the time.
    ///   - generateKey: the key generator; keep the default outside tests.
    public init(
        configuration: Configuration = .init(),
        clock: any SessionClock = SystemSessionClock(),
        generateKey: @escaping @Sendable () -> SessionKey = { SessionKey.generate() }
    ) {
        self.configuration = configuration
        self.clock = clock
        self.generateKey = generateKey
    }

    /// The number of sessions held, expired ones not yet swept included.
    public var count: Int { storage.withLock { $0.entries.count } }

    /// What sessions are filed under (SHA-256 digests of their keys): lets tests check that no raw key is held.
    package var storedKeys: [[UInt8]] { storage.withLock { $0.entries.keys.map { Array($0) } } }

    package func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord? {
        let now = clock.now
        let digest = key.digest
        return storage.withLock { storage -> SessionRecord? in
            guard let entry = storage.entries[digest] else { return nil }
            guard entry.expiresAt > now else {
                storage.entries[digest] = nil
                return nil
            }
            return SessionRecord(entry.state, expiresAt: entry.expiresAt)
        }
    }

    package func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey {
        let now = clock.now
        let entry = Entry(state: state, expiresAt: now + ttl)
        return try saveUnderFreshKeyImmediately(generateKey: generateKey) { key throws(SaveError) in
            let digest = key.digest
            return try storage.withLock { storage throws(SaveError) in
                if let existing = storage.entries[digest], existing.expiresAt > now { return false }
                try makeRoom(in: &storage, now: now)
                storage.entries[digest] = entry
                return true
            }
        }
    }

    package func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    {
        let now = clock.now
        let digest = key.digest
        return storage.withLock { storage in
            guard let index = storage.entries.index(forKey: digest), storage.entries.values[index].expiresAt > now else {
                storage.entries[digest] = nil
                return .gone
            }
            // In place: the stored state is merged into without being copied first.
            storage.entries.values[index].state.apply(changes, from: state)
            storage.entries.values[index].expiresAt = now + ttl
            return .updated(key)
        }
    }

    package func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult {
        let now = clock.now
        let digest = key.digest
        return storage.withLock { storage in
            guard storage.entries[digest].map({ $0.expiresAt > now }) == true else {
                storage.entries[digest] = nil
                return .gone
            }
            storage.entries[digest]!.expiresAt = now + ttl
            return .updated(key)
        }
    }

    package func deleteImmediately(_ key: SessionKey) throws(DeleteError) {
        let digest = key.digest
        _ = storage.withLock { $0.entries.removeValue(forKey: digest) }
    }

    /// `true`: a renew asked again answers from the old key's tombstone.
    public var renewIsSafeToAskAgain: Bool { true }

    package func renewImmediately(
        _ key: SessionKey,
        as newKey: SessionKey,
        to state: SessionState,
        changes: SessionChangeSet,
        ttl: Duration,
        tombstoneTTL: Duration
    ) throws(UpdateError) -> SessionUpdateResult {
        let now = clock.now
        let digest = key.digest
        let newDigest = newKey.digest
        // One lock from the liveness check to the tombstone: no purge or update can fall in between.
        return try storage.withLock { storage throws(UpdateError) -> SessionUpdateResult in
            guard let stored = storage.entries[digest], stored.expiresAt > now else {
                storage.entries[digest] = nil
                // Asked again: this renew already moved the session, whose tombstone names the new key.
                let tombstone = storage.tombstones[digest]
                let alreadyMoved = tombstone.map { $0.until > now && $0.successor == newDigest } == true
                return alreadyMoved && Self.isLive(newDigest, in: storage, now: now) ? .updated(newKey) : .gone
            }
            guard !Self.isLive(newDigest, in: storage, now: now) else { throw renewKeyInUse }
            storage.entries[digest] = nil
            storage.entries[newDigest] = Entry(state: state.renewed(from: stored.state, changes: changes), expiresAt: now + ttl)
            Self.placeTombstone(digest, until: now + tombstoneTTL, successor: newDigest, ttl: tombstoneTTL, in: &storage, now: now)
            return .updated(newKey)
        }
    }

    private static func isLive(_ digest: SHA256Digest, in storage: Storage, now: Date) -> Bool {
        storage.entries[digest].map { $0.expiresAt > now } == true
    }

    /// Deletes the session, and every session a renew moved it to while their tombstones last: a logout
    /// that lands after a concurrent request renewed the key still ends the session.
    package func purgeImmediately(_ key: SessionKey, tombstoneTTL: Duration) throws(DeleteError) {
        let now = clock.now
        let digest = key.digest
        storage.withLock { storage in
            // Every key the chain reached gets a tombstone: a request still carrying one of them is stale.
            var next: SHA256Digest? = digest
            for _ in 0...maximumRenewalsFollowed {
                guard let current = next else { break }
                storage.entries[current] = nil
                next = storage.tombstones[current].flatMap { $0.until > now ? $0.successor : nil }
                Self.placeTombstone(current, until: now + tombstoneTTL, successor: nil, ttl: tombstoneTTL, in: &storage, now: now)
            }
        }
    }

    package func hasTombstoneImmediately(_ key: SessionKey) throws(LoadError) -> Bool {
        let now = clock.now
        let digest = key.digest
        return storage.withLock { storage in
            guard let until = storage.tombstones[digest]?.until else { return false }
            guard until > now else {
                storage.tombstones[digest] = nil
                return false
            }
            return true
        }
    }

    /// Removes every expired session now and returns how many went.
    @discardableResult
    public func sweep() -> Int {
        let now = clock.now
        return storage.withLock { storage in Self.sweep(&storage, now: now) }
    }

    /// Sweeps expired sessions every ``Configuration/sweepInterval`` until cancelled or shut down.
    public func run() async throws {
        let sweeper = SessionExpirySweeper(store: self, configuration: .init(interval: configuration.sweepInterval, batchSize: .max))
        try await sweeper.run()
    }

    /// Sweeps every expired session at once: the whole table is in memory, so there is nothing to batch.
    public func deleteExpired(limit: Int) async throws -> Int {
        sweep()
    }

    /// Writes a tombstone (none for a zero TTL). Tombstones that ran out are dropped now and then, at most
    /// once a second, once they outnumber the sessions: without the sweeper service they would otherwise
    /// pile up with every login and logout.
    private static func placeTombstone(
        _ digest: SHA256Digest,
        until: Date,
        successor: SHA256Digest?,
        ttl: Duration,
        in storage: inout Storage,
        now: Date
    ) {
        guard ttl > .zero else { return }
        storage.tombstones[digest] = Tombstone(until: until, successor: successor)
        if storage.tombstones.count > storage.entries.count + 1024, now.timeIntervalSince(storage.lastTombstoneSweep) >= 1 {
            storage.tombstones = storage.tombstones.filter { $0.value.until > now }
            storage.lastTombstoneSweep = now
        }
    }

    private func makeRoom(in storage: inout Storage, now: Date) throws(SaveError) {
        guard let capacity = configuration.capacity, storage.entries.count >= capacity else { return }
        // A full sweep is O(n): at most once a second, so a flood of new sessions cannot turn every
        // save into a scan.
        if now.timeIntervalSince(storage.lastSweep) >= 1 {
            Self.sweep(&storage, now: now)
        }
        guard storage.entries.count < capacity else {
            throw .other(SessionStoreMessage("memory session store is full (capacity \(capacity))"))
        }
    }

    @discardableResult
    private static func sweep(_ storage: inout Storage, now: Date) -> Int {
        let before = storage.entries.count
        storage.entries = storage.entries.filter { $0.value.expiresAt > now }
        storage.tombstones = storage.tombstones.filter { $0.value.until > now }
        storage.lastTombstoneSweep = now
        storage.lastSweep = now
        return before - storage.entries.count
    }
}
