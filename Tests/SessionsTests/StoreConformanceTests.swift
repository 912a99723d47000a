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
