import FoundationEssentials
import Sessions
import SessionsTesting
import Synchronization
import Testing

@Suite struct StoreConformanceTests {
    static let memoryCapabilities: SessionStoreConformance.Capabilities = [
        .serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones, .reportsExpiry,
    ]

    @Test(arguments: SessionStoreConformance.checks(applicableTo: memoryCapabilities))
    func memoryStore(_ check: SessionStoreConformance.Check) async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: Self.memoryCapabilities, time: .manual(clock)) { generateKey in
            MemorySessionStore(clock: clock, generateKey: generateKey)
        }
        #expect(try await conformance.run(check) == .passed)
    }

    @Test(arguments: SessionStoreConformance.checks(applicableTo: [.reportsExpiry]))
    func cookieStore(_ check: SessionStoreConformance.Check) async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.reportsExpiry], time: .manual(clock)) { _ in CookieSessionStore(clock: clock) }
        #expect(try await conformance.run(check) == .passed)
    }

    @Test func checksThatDoNotApplyAreReportedAsNotRunNotPassed() async throws {
        let clock = ManualSessionClock()
        let made = ManagedCounter()
        let conformance = SessionStoreConformance(capabilities: [], time: .manual(clock)) { _ in
            made.increment()
            return CookieSessionStore(clock: clock)
        }
        let notApplicable = SessionStoreConformance.Check.allCases.filter { !$0.requirement.isEmpty }
        #expect(notApplicable.count >= 10)
        for check in notApplicable {
            #expect(try await conformance.run(check) == .notApplicable, "\(check)")
        }
        #expect(made.value == 0, "a check that does not apply builds no store at all")
        #expect(SessionStoreConformance.checks(applicableTo: []).count == SessionStoreConformance.Check.allCases.count - notApplicable.count)
        #expect(SessionStoreConformance.checks(applicableTo: Self.memoryCapabilities).count == SessionStoreConformance.Check.allCases.count)
    }

    @Test func theKitCatchesARenewThatBringsBackAnEndedSession() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            BlindRenewingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewOfADeletedKeyIsGone) }
        #expect(failure?.description.contains("reports it gone") == true)
        await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewOfAnExpiredKeyIsGone) }
    }

    @Test func theKitCatchesAnExpiryThatATTLRestartDoesNotMove() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .reportsExpiry], time: .manual(clock)) { generateKey in
            FrozenExpiryStore(base: MemorySessionStore(clock: clock, generateKey: generateKey), expiresAt: clock.now + .seconds(3600))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.loadRecordReportsExpiry) }
        #expect(failure?.description.contains("after updateTTL") == true, "\(String(describing: failure))")
        #expect(try await conformance.run(.loadRecordAgreesWithLoad) == .passed, "right after a save, the frozen expiry is the right one")
    }

    @Test func theKitCatchesALoadRecordThatServesDeletedSessions() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            ForgetfulRecordStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.deleteRemoves) }
        #expect(failure?.description.contains("loadRecord answers a session that load finds gone") == true)
        #expect(try await conformance.run(.saveThenLoad) == .passed, "a live session is no disagreement")
    }

    @Test func theKitCatchesAStoreThatClaimsExpiriesItNeverReports() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .reportsExpiry], time: .manual(clock)) { generateKey in
            BlindRenewingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.loadRecordReportsExpiry) }
        #expect(failure?.description.contains("reports an expiry after save") == true, "\(String(describing: failure))")
    }

    @Test func theKitCatchesARenewThatLosesUpdatesThatCameFirst() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .mergesConcurrentUpdates], time: .manual(clock)) { generateKey in
            BlindRenewingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewMergesUpdatesThatCameFirst) }
    }

    @Test func theKitCatchesAStoreWithoutTombstonesThatClaimsThem() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .tombstones], time: .manual(clock)) { generateKey in
            // The protocol's defaults: purge is a delete, and no key ever has a tombstone.
            ResurrectingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.purgeAndRenewLeaveTombstones) }
        #expect(failure?.description.contains("a purge leaves a tombstone") == true)
    }

    @Test func theDefaultRenewIsSoundWithoutConcurrency() async throws {
        // A store written before renew existed gets the protocol's default: load, save, delete.
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .mergesConcurrentUpdates], time: .manual(clock)) { generateKey in
            ForwardingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        for check in [
            SessionStoreConformance.Check.renewMovesALiveSession, .renewMergesUpdatesThatCameFirst, .renewOfADeletedKeyIsGone,
            .renewOfAnExpiredKeyIsGone, .renewNeverOverwritesALiveKey,
        ] {
            #expect(try await conformance.run(check) == .passed, "\(check)")
        }
    }

    @Test func theKitCatchesARenewThatCannotBeAskedAgain() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .atomicRenew, .tombstones], time: .manual(clock)) { generateKey in
            ForgetfulRenewingStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewIsSafeToAskAgain) }
        #expect(failure?.description.contains("the same renew asked again answers the move it made") == true)
        await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.concurrentAsksOfOneRenewAllAnswerIt) }
    }

    @Test func theKitCatchesAStoreThatDoesNotSayItsRenewIsSafeToAskAgain() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide, .atomicRenew, .tombstones], time: .manual(clock)) { generateKey in
            UndeclaredRenewStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewIsSafeToAskAgain) }
        #expect(failure?.description.contains("says so (renewIsSafeToAskAgain)") == true)
    }

    @Test func theKitCatchesARenewThatOverwritesTheKeyItIsGiven() async throws {
        let clock = ManualSessionClock()
        let conformance = SessionStoreConformance(capabilities: [.serverSide], time: .manual(clock)) { generateKey in
            OverwritingRenewStore(base: MemorySessionStore(clock: clock, generateKey: generateKey))
        }
        let failure = await #expect(throws: SessionStoreConformanceFailure.self) { try await conformance.run(.renewNeverOverwritesALiveKey) }
        #expect(failure?.description.contains("answered that key instead of throwing") == true)
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

    func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord? { try base.loadRecordImmediately(key) }
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

/// A test store over the memory store: the five calls of the original contract forwarded, so that each store
/// below writes only the call it breaks.
protocol MemoryForwardingStore: SessionStore {
    var base: MemorySessionStore { get }
}

extension MemoryForwardingStore {
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await base.update(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// Serves, through `loadRecord`, every session it ever saved, deleted or not: the engine would bring a logged-out
/// session back. The kit must fail it.
final class ForgetfulRecordStore: MemoryForwardingStore, @unchecked Sendable {
    let base: MemorySessionStore
    private let saved = Mutex<[SessionKey: SessionState]>([:])
    init(base: MemorySessionStore) { self.base = base }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        let key = try await base.save(state, ttl: ttl)
        saved.withLock { $0[key] = state }
        return key
    }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        saved.withLock { $0[key] }.map { SessionRecord($0, expiresAt: nil) }
    }
}

/// Reports one expiry whatever the TTL: the kit must fail it.
struct FrozenExpiryStore: MemoryForwardingStore {
    let base: MemorySessionStore
    let expiresAt: Date
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        try await base.load(key).map { SessionRecord($0, expiresAt: expiresAt) }
    }
}

/// Renews as the engine did before renew was a store call: saves the request's state under a new key
/// without checking that the old one is live, then deletes it. The kit must fail it.
struct BlindRenewingStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        do {
            let saved = try await base.save(state, ttl: ttl)
            try await base.delete(key)
            return .updated(saved)
        } catch {
            throw .other(error)
        }
    }
}

/// Renews atomically, but answers a renew asked again after it ran as if the session were gone: the
/// engine could never learn what a renew whose answer was lost did. The kit must fail it.
struct ForgetfulRenewingStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        do {
            guard try await base.load(key) != nil else { return .gone }
        } catch {
            throw .other(error)
        }
        return try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) { try await base.purge(key, tombstoneTTL: tombstoneTTL) }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }
    /// Claimed, wrongly.
    var renewIsSafeToAskAgain: Bool { true }
}

/// The memory store's every call, but not its word that a renew is safe to ask again: the engine would never
/// ask it again. The kit must say so.
struct UndeclaredRenewStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) { try await base.purge(key, tombstoneTTL: tombstoneTTL) }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }
}

/// Renews to the key it is given whatever session holds it: the kit must fail it.
struct OverwritingRenewStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        do {
            try await base.delete(newKey)
        } catch {
            throw .other(error)
        }
        return try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
}

/// Only the five calls of the original contract, forwarded: renew, purge and tombstones are the defaults.
struct ForwardingStore: MemoryForwardingStore {
    let base: MemorySessionStore
}

/// Counts, from any task.
final class ManagedCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// Recreates sessions on update, as actix-session does: the kit must fail it.
struct ResurrectingStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        do { return .updated(try await base.save(state, ttl: ttl)) } catch { throw .other(error) }
    }
}

/// Writes the request's whole state instead of merging: the kit must fail it where it claims to merge.
struct OverwritingStore: MemoryForwardingStore {
    let base: MemorySessionStore
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        let everything = SessionChangeSet(setKeys: Set(state.entries.keys), cleared: true)
        return try await base.update(key, to: state, changes: everything, ttl: ttl)
    }
}
