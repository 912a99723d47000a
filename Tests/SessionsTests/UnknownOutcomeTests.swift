import Logging
import Sessions
import SessionsTesting
import Synchronization
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A renew or purge whose answer never came (a timeout after the server ran it, a connection lost before
/// the reply) is resolved by asking the store again with the same arguments, within the request.
@Suite struct UnknownOutcomeTests {
    @Test("a login whose renew ran but whose answer was lost is logged in by asking again")
    func aLostRenewAnswerIsAskedAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        let old = try await harness.login(["cart": ["pen"]])
        store.script(.renew, [.runThenFail])
        let login = try await harness.request(cookie: old) { try await $0.logIn(userID: "ada", userType: "user") }
        #expect(store.attempts(.renew) == 2, "the renew was asked a second time")
        let new = try #require(login.cookieValue, "the login answers with the key its renew moved the session to")
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.principal()?.userID == "ada")
            #expect(try await session.get("cart", as: [String].self) == ["pen"], "nothing the session held was left behind")
        }
        try await harness.request(cookie: old) { session async throws in
            #expect(try await session.entries().isEmpty, "the old key ended")
        }
    }

    @Test("a renew that failed before it ran is made by asking again")
    func aRenewThatNeverRanIsMadeByAskingAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.fail])
        let rotated = try await harness.request(cookie: old) { try await $0.renew(.keyRotation) }
        #expect(store.attempts(.renew) == 2)
        let new = try #require(rotated.cookieValue)
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.principal()?.userID == "ada")
        }
    }

    @Test("a renew that keeps failing is asked three times in all, then the request fails and nothing moved")
    func aRenewIsAskedABoundedNumberOfTimes() async throws {
        let (harness, store, _) = try makeLossyHarness()
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.fail, .fail, .fail, .fail])
        await #expect(throws: SessionError.self) {
            try await harness.request(cookie: old) { try await $0.logIn(userID: "grace", userType: "user") }
        }
        #expect(store.attempts(.renew) == 3)
        let times = store.times(.renew)
        let pauses = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        // Within a microsecond: a date near 2026 steps in units of about 0.1 µs.
        #expect(
            pauses.count == 2 && (0.049_999...0.150_001).contains(pauses[0]) && (0.199_999...0.600_001).contains(pauses[1]),
            "a pause before each new ask: \(pauses)")
        try await harness.request(cookie: old) { session async throws in
            #expect(try await session.principal()?.userID == "ada", "the session is where it was")
        }
    }

    @Test("a store that keeps the protocol's default renew is not asked again: a second run could leave a second copy")
    func theDefaultRenewIsNotAskedAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        store.claimsARenewSafeToAskAgain = false
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.runThenFail])
        await #expect(throws: SessionError.self) {
            try await harness.request(cookie: old) { try await $0.logIn(userID: "grace", userType: "user") }
        }
        #expect(store.attempts(.renew) == 1)
        store.script(.purge, [.runThenFail])
        let logout = try await harness.request(cookie: old) { try await $0.logOut() }
        #expect(store.attempts(.purge) == 2, "a purge is asked again whatever the store's renew: it is safe to repeat")
        #expect(logout.isRemoval)
    }

    @Test("a request cancelled during the pause before a new ask asks no more")
    func aCancelledPauseStopsAsking() async throws {
        let clock = ManualSessionClock()
        let store = LossySessionStore(base: MemorySessionStore(clock: clock), clock: clock)
        let engine = try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()), clock: CancellingClock(base: clock))
        let harness = EngineHarness(engine: engine)
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.fail, .fail])
        await #expect(throws: SessionError.self) {
            try await harness.request(cookie: old) { try await $0.logIn(userID: "grace", userType: "user") }
        }
        #expect(store.attempts(.renew) == 1)
    }

    @Test("a renew is not asked again once the tombstone that would answer it has run out")
    func noAskingAfterTheTombstoneRanOut() async throws {
        let configuration = SessionConfiguration(staleCookieGracePeriod: .seconds(5), longestRequest: .seconds(5))
        let (harness, store, clock) = try makeLossyHarness(configuration: configuration)
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.fail, .fail])
        // Less than the whole lifetime is left, but not the shortest pause before a new ask: no ask would end in time.
        store.onFailure = { clock.advance(by: configuration.tombstoneLifetime - .milliseconds(10)) }
        await #expect(throws: SessionError.self) {
            try await harness.request(cookie: old) { try await $0.logIn(userID: "grace", userType: "user") }
        }
        #expect(store.attempts(.renew) == 1, "a repeat answered after the tombstone ran out could not tell a repeat from a loss")
    }

    @Test("a state the store refuses is not asked again")
    func aRefusedStateIsNotAskedAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        let old = try await harness.login(EngineHarness.ada)
        store.script(.renew, [.refuse])
        let error = await #expect(throws: SessionError.self) {
            try await harness.request(cookie: old) { try await $0.logIn(userID: "grace", userType: "user") }
        }
        #expect(error?.httpStatus == 422)
        #expect(store.attempts(.renew) == 1)
    }

    @Test("a logout whose purge ran but whose answer was lost is asked again and answered")
    func aLostPurgeAnswerIsAskedAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        let old = try await harness.login(EngineHarness.ada)
        store.script(.purge, [.runThenFail])
        let logout = try await harness.request(cookie: old) { try await $0.logOut() }
        #expect(store.attempts(.purge) == 2)
        #expect(logout.isRemoval)
        try await harness.request(cookie: old) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
    }

    @Test("a save or an update is never asked again: the first would make a second session, the second could undo a write")
    func savesAndUpdatesAreNotAskedAgain() async throws {
        let (harness, store, _) = try makeLossyHarness()
        store.script(.save, [.runThenFail])
        await #expect(throws: SessionError.self) { try await harness.request { try await $0.insert("n", 1) } }
        #expect(store.attempts(.save) == 1)
        let key = try await harness.login(EngineHarness.ada)
        store.script(.update, [.runThenFail])
        await #expect(throws: SessionError.self) { try await harness.request(cookie: key) { try await $0.clear() } }
        #expect(store.attempts(.update) == 1)
    }
}

/// A clock whose pauses are cancelled, as when the client goes away while the engine waits to ask again.
private struct CancellingClock: SessionClock {
    let base: ManualSessionClock
    var now: Date { base.now }
    func sleep(for duration: Duration) async throws { throw CancellationError() }
}

private func makeLossyHarness(configuration: SessionConfiguration = .init()) throws -> (EngineHarness, LossySessionStore, ManualSessionClock) {
    let clock = ManualSessionClock()
    let store = LossySessionStore(base: MemorySessionStore(clock: clock), clock: clock)
    let engine = try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()), configuration: configuration, clock: clock)
    return (EngineHarness(engine: engine), store, clock)
}

/// A memory store behind the network, as the engine sees it: each call can be scripted to fail before it
/// runs, to run and then lose its answer (a timeout after the server ran it), or to refuse the state.
final class LossySessionStore: SessionStore, @unchecked Sendable {
    enum Call: Hashable { case save, update, renew, purge }
    enum Attempt { case fail, runThenFail, refuse }

    struct LostAnswer: Error, CustomStringConvertible {
        var description: String { "the store did not answer in time" }
    }

    let base: MemorySessionStore
    let clock: ManualSessionClock
    private let state = Mutex<(scripts: [Call: [Attempt]], attempts: [Call: Int], times: [Call: [Date]])>(([:], [:], [:]))
    /// Runs at each scripted failure: a test moves its clock here.
    var onFailure: @Sendable () -> Void = {}

    init(base: MemorySessionStore, clock: ManualSessionClock) {
        self.base = base
        self.clock = clock
    }

    /// The next calls of `call` go as `attempts` say, one each; later ones succeed.
    func script(_ call: Call, _ attempts: [Attempt]) {
        state.withLock {
            $0.scripts[call] = attempts
            $0.attempts[call] = 0
            $0.times[call] = []
        }
    }

    func attempts(_ call: Call) -> Int { state.withLock { $0.attempts[call] ?? 0 } }

    /// When each call of `call` since its script was set began, by the test's clock.
    func times(_ call: Call) -> [Date] { state.withLock { $0.times[call] ?? [] } }

    private func nextAttempt(_ call: Call) -> Attempt? {
        let now = clock.now
        return state.withLock { state in
            state.attempts[call, default: 0] += 1
            state.times[call, default: []].append(now)
            guard var script = state.scripts[call], !script.isEmpty else { return nil }
            let attempt = script.removeFirst()
            state.scripts[call] = script
            return attempt
        }
    }

    /// Runs `operation` as the call's script says: its result, or an error of `Failure`'s kind.
    private func perform<Result, Failure: Error>(
        _ call: Call,
        other: (any Error) -> Failure,
        refusal: (any Error) -> Failure,
        _ operation: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        switch nextAttempt(call) {
        case nil:
            return try await operation()
        case .fail?:
            onFailure()
            throw other(LostAnswer())
        case .runThenFail?:
            _ = try await operation()
            onFailure()
            throw other(LostAnswer())
        case .refuse?:
            throw refusal(SessionStoreMessage("the state cannot be stored"))
        }
    }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? { try await base.loadRecord(key) }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        try await perform(.save, other: SaveError.other, refusal: SaveError.serialization) { () throws(SaveError) in
            try await base.save(state, ttl: ttl)
        }
    }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await perform(.update, other: UpdateError.other, refusal: UpdateError.serialization) { () throws(UpdateError) in
            try await base.update(key, to: state, changes: changes, ttl: ttl)
        }
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }

    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }

    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        try await perform(.renew, other: UpdateError.other, refusal: UpdateError.serialization) { () throws(UpdateError) in
            try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
        }
    }

    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        try await perform(.purge, other: DeleteError.other, refusal: DeleteError.other) { () throws(DeleteError) in
            try await base.purge(key, tombstoneTTL: tombstoneTTL)
        }
    }

    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }

    /// Whether the store says its renew is safe to ask again; a test turns it off to be a store that keeps
    /// the protocol's default.
    var claimsARenewSafeToAskAgain = true
    var renewIsSafeToAskAgain: Bool { claimsARenewSafeToAskAgain && base.renewIsSafeToAskAgain }
}
