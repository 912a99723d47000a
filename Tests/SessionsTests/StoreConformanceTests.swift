import FoundationEssentials
import Sessions
import SessionsTesting
import Testing

@Suite struct StoreConformanceTests {
    @Test(arguments: SessionStoreConformance.Check.allCases)
    func memoryStore(_ check: SessionStoreConformance.Check) async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .mergesConcurrentUpdates], time: .manual(clock)) { generateKey in
            MemorySessionStore(clock: clock, generateKey: generateKey)
        }
        try await conformance.run(check)
    }

    @Test(arguments: SessionStoreConformance.Check.allCases)
    func cookieStore(_ check: SessionStoreConformance.Check) async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [], time: .manual(clock)) { _ in CookieSessionStore(clock: clock) }
        try await conformance.run(check)
    }

    @Test func theKitCatchesAStoreThatResurrects() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            ResurrectingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.updateAfterDeleteIsGone) }
    }

    @Test func theKitCatchesAStoreThatLosesConcurrentUpdates() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.mergesConcurrentUpdates], time: .manual(clock)) { _ in
            OverwritingStore(base: MemorySessionStore(clock: clock))
        }
        await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.concurrentDisjointUpdates) }
    }

    @Test func theKitCatchesAnImmediateStoreWhoseTwoPathsDisagree() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            ImmediatelyResurrectingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.updateAfterDeleteIsGone) }
        #expect(failure?.description.contains("Immediately calls") == true)
        // The async path alone is sound: the same check passes for a store that only answers with `await`.
        let asyncOnly = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            // The recorder never answers immediately.
            RecordingSessionStore(ImmediatelyResurrectingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey)))
        }
        try await asyncOnly.run(.updateAfterDeleteIsGone)
    }
}

/// Sound through `await`, but its `updateImmediately` recreates deleted sessions: the kit must notice.
struct ImmediatelyResurrectingStore: ImmediateSessionStore {
    let base: MemorySessionStore
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await base.update(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }

    func loadImmediately(_ key: SessionKey) throws(LoadError) -> SessionState? { try base.loadImmediately(key) }
    func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey { try base.saveImmediately(state, ttl: ttl) }
    func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    {
        do { return .updated(try base.saveImmediately(state, ttl: ttl)) } catch { throw .other(error) }
    }
    func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult {
        try base.updateTTLImmediately(key, ttl: ttl)
    }
    func deleteImmediately(_ key: SessionKey) throws(DeleteError) { try base.deleteImmediately(key) }
}

/// Recreates sessions on update, as actix-session does: the kit must fail it.
struct ResurrectingStore: SessionStore {
    let base: MemorySessionStore
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        do { return .updated(try await base.save(state, ttl: ttl)) } catch { throw .other(error) }
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// Writes the request's whole state instead of merging: the kit must fail it where it claims to merge.
struct OverwritingStore: SessionStore {
    let base: MemorySessionStore
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        let everything = SessionChangeSet(setKeys: Set(state.entries.keys), cleared: true)
        return try await base.update(key, to: state, changes: everything, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}
