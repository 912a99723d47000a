import Sessions
import Synchronization

/// Store calls a test may hold: the next call of a kind stops at the store's door until the test lets it
/// through. A race between requests is then an order the test chooses, not a matter of timing.
final class StoreHolds: Sendable {
    enum Call: Sendable, Hashable {
        case load, update, renew, purge
    }

    /// One held call: `arrived()` returns once a request reached it; `release()` lets it go on.
    final class Hold: Sendable {
        fileprivate let arrival = AsyncGate()
        fileprivate let passage = AsyncGate()

        /// Waits until a request's store call reached this hold.
        func arrived() async { await arrival.wait() }
        /// Lets the held call go on to the store.
        func release() { passage.open() }
    }

    private let armed = Mutex<[Call: Hold]>([:])

    /// Holds the next `call` any request makes.
    func holdNext(_ call: Call) -> Hold {
        let hold = Hold()
        armed.withLock { $0[call] = hold }
        return hold
    }

    /// Called by the store at each call: waits there when the test armed a hold for it.
    fileprivate func pass(_ call: Call) async {
        guard let hold = armed.withLock({ $0.removeValue(forKey: call) }) else { return }
        hold.arrival.open()
        await hold.passage.wait()
    }
}

/// A gate that opens once; waiting on an open gate returns at once.
final class AsyncGate: Sendable {
    private enum State {
        case closed([CheckedContinuation<Void, Never>])
        case open
    }

    private let state = Mutex(State.closed([]))

    func open() {
        let waiting: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard case .closed(let waiting) = state else { return [] }
            state = .open
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow: Bool = state.withLock { state in
                guard case .closed(var waiting) = state else { return true }
                waiting.append(continuation)
                state = .closed(waiting)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// Any store, with the calls ``StoreHolds`` names held on the test's word. Every call of the contract is
/// forwarded, so the base store's own renew, purge and tombstones are the ones used.
struct HeldSessionStore: SessionStore {
    let base: any SessionStore
    let holds: StoreHolds

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        await holds.pass(.load)
        return try await base.load(key)
    }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        await holds.pass(.load)
        return try await base.loadRecord(key)
    }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        await holds.pass(.update)
        return try await base.update(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        await holds.pass(.renew)
        return try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        await holds.pass(.purge)
        try await base.purge(key, tombstoneTTL: tombstoneTTL)
    }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }
    var renewIsSafeToAskAgain: Bool { base.renewIsSafeToAskAgain }
}
