import Logging
import Sessions
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The checks every `SessionStore` must pass, ours or yours.
///
/// Run one test per check that applies to the store's capabilities, so a failure names the broken
/// behaviour and the number of checks run says what the store was tested for:
///
/// ```swift
/// @Test(arguments: SessionStoreConformance.checks(applicableTo: [.serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones]))
/// func memoryStoreConforms(_ check: SessionStoreConformance.Check) async throws {
///     let clock = ManualSessionClock()
///     let conformance = SessionStoreConformance(
///         capabilities: [.serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones],
///         time: .manual(clock)
///     ) { generateKey in MemorySessionStore(clock: clock, generateKey: generateKey) }
///     try await conformance.run(check)
/// }
/// ```
///
/// A failed check throws ``SessionStoreConformanceFailure`` describing what the store did; a check that
/// does not apply to the capabilities claimed is not run, and ``run(_:)`` says so.
///
/// A store that is also an `ImmediateSessionStore` passes every check twice: through its `async` calls and
/// through their `...Immediately` twins, since the engine uses whichever suits the caller and the two must
/// not disagree.
public struct SessionStoreConformance: Sendable {
    /// What a store claims beyond the common contract.
    public struct Capabilities: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Keys are generated server-side (so collisions can be forced) and delete is final.
        public static let serverSide = Capabilities(rawValue: 1 << 0)
        /// Concurrent updates of different keys of one session all persist.
        public static let mergesConcurrentUpdates = Capabilities(rawValue: 1 << 1)
        /// `renew` moves a session in one step that cannot interleave with an update or a purge of it (the
        /// protocol's default, load then save then delete, can).
        public static let atomicRenew = Capabilities(rawValue: 1 << 2)
        /// `renew` and `purge` leave a tombstone that `hasTombstone` finds until its TTL runs out.
        public static let tombstones = Capabilities(rawValue: 1 << 3)
        /// `loadRecord` says when a session expires, and each write and `updateTTL` moves it.
        public static let reportsExpiry = Capabilities(rawValue: 1 << 4)
    }

    /// What ``run(_:)`` did.
    public enum Outcome: Sendable, Hashable {
        /// The store passed the check.
        case passed
        /// The check tests a capability the store does not claim; nothing was run.
        case notApplicable
    }

    /// How the checks make time pass.
    public enum Time: Sendable {
        /// An in-process store reading this clock: time jumps at once.
        case manual(ManualSessionClock)
        /// A store on a real server: TTLs are `unit` long and the checks sleep past them with wide margins.
        case real(unit: Duration)
    }

    /// One behaviour of the contract.
    public enum Check: String, Sendable, CaseIterable, CustomStringConvertible {
        case saveThenLoad
        case loadUnknownKey
        case saveNeverReusesALiveKey
        case collisionOnSaveRetries
        case updateMergesChanges
        case updateReturnsLiveKey
        case updateAfterDeleteIsGone
        case updateAfterExpiryIsGone
        case updateTTLAfterDeleteIsGone
        case ttlExpiry
        case updateTTLRefreshes
        case updateRefreshesTTL
        case deleteRemoves
        case deleteUnknownKeyIsFine
        case largeAndUnicodeValues
        case nulCharacterRoundTripsOrIsRefused
        case jsonFidelity
        case concurrentDisjointUpdates
        case renewMovesALiveSession
        case renewEndsTheOldKey
        case renewMergesUpdatesThatCameFirst
        case renewOfADeletedKeyIsGone
        case renewOfAnExpiredKeyIsGone
        case renewNeverOverwritesALiveKey
        case renewIsSafeToAskAgain
        case concurrentAsksOfOneRenewAllAnswerIt
        case renewRacingDisjointUpdates
        case purgeAndRenewLeaveTombstones
        case purgeFollowsRenewals
        case concurrentRenewsOfOneKeyMoveItOnce
        case entryNamesInAnyNormalFormAgree
        case tombstonesRunOut
        case loadRecordAgreesWithLoad
        case loadRecordReportsExpiry

        public var description: String { rawValue }

        /// The capabilities a store must claim for this check to apply.
        public var requirement: Capabilities {
            switch self {
            case .loadUnknownKey, .saveNeverReusesALiveKey, .collisionOnSaveRetries, .updateAfterDeleteIsGone, .updateTTLAfterDeleteIsGone,
                .deleteRemoves, .renewEndsTheOldKey, .renewOfADeletedKeyIsGone, .renewNeverOverwritesALiveKey:
                .serverSide
            case .concurrentDisjointUpdates, .renewMergesUpdatesThatCameFirst:
                .mergesConcurrentUpdates
            case .renewRacingDisjointUpdates:
                [.mergesConcurrentUpdates, .atomicRenew]
            case .purgeAndRenewLeaveTombstones, .purgeFollowsRenewals, .tombstonesRunOut:
                .tombstones
            case .renewIsSafeToAskAgain:
                [.serverSide, .tombstones]
            case .concurrentRenewsOfOneKeyMoveItOnce, .concurrentAsksOfOneRenewAllAnswerIt:
                [.serverSide, .atomicRenew, .tombstones]
            case .loadRecordReportsExpiry:
                .reportsExpiry
            default:
                []
            }
        }
    }

    /// The checks that apply to a store claiming `capabilities`: the arguments of a conformance test.
    public static func checks(applicableTo capabilities: Capabilities) -> [Check] {
        Check.allCases.filter { capabilities.isSuperset(of: $0.requirement) }
    }

    private let capabilities: Capabilities
    private let time: Time
    private let makeStore: @Sendable (_ generateKey: @escaping @Sendable () -> SessionKey) async throws -> any SessionStore

    /// - Parameters:
    ///   - capabilities: what the store claims beyond the common contract.
    ///   - time: how the checks make time pass.
    ///   - makeStore: builds a fresh store; server-side stores must use `generateKey` for new keys.
    public init(
        capabilities: Capabilities,
        time: Time,
        makeStore: @escaping @Sendable (_ generateKey: @escaping @Sendable () -> SessionKey) async throws -> any SessionStore
    ) {
        self.capabilities = capabilities
        self.time = time
        self.makeStore = makeStore
    }

    /// Runs `check`, unless it tests a capability the store does not claim.
    ///
    /// An `ImmediateSessionStore` runs it a second time through its `...Immediately` calls.
    /// - Returns: ``Outcome/passed``, or ``Outcome/notApplicable`` when nothing was run.
    /// - Throws: ``SessionStoreConformanceFailure`` when the store misbehaves, or the store's own error.
    @discardableResult
    public func run(_ check: Check) async throws -> Outcome {
        guard capabilities.isSuperset(of: check.requirement) else { return .notApplicable }
        let madeAnImmediateStore = Atomic(false)
        let throughAsyncCalls = SessionStoreConformance(capabilities: capabilities, time: time) { [makeStore] generateKey in
            let store = try await makeStore(generateKey)
            if store is any ImmediateSessionStore { madeAnImmediateStore.store(true, ordering: .relaxed) }
            return LoadRecordCheckingSessionStore(base: store)
        }
        do {
            try await throughAsyncCalls.runOnce(check)
        } catch let error as LoadError {
            // What the load-checking wrapper found is a conformance failure, not an outage.
            if let failure = error.underlying as? SessionStoreConformanceFailure { throw failure }
            throw error
        }
        guard madeAnImmediateStore.load(ordering: .relaxed) else { return .passed }
        let throughImmediateCalls = SessionStoreConformance(capabilities: capabilities, time: time) { [makeStore] generateKey in
            let store = try await makeStore(generateKey)
            guard let immediate = store as? any ImmediateSessionStore else { return store }
            return ImmediateCallsSessionStore(base: immediate)
        }
        do {
            try await throughImmediateCalls.runOnce(check)
        } catch let failure as SessionStoreConformanceFailure {
            throw SessionStoreConformanceFailure(path: "through the store's ...Immediately calls", failure)
        }
        return .passed
    }

    private func runOnce(_ check: Check) async throws {
        switch check {
        case .saveThenLoad: try await saveThenLoad()
        case .loadRecordAgreesWithLoad: try await loadRecordAgreesWithLoad()
        case .loadRecordReportsExpiry: try await loadRecordReportsExpiry()
        case .loadUnknownKey: try await loadUnknownKey()
        case .saveNeverReusesALiveKey: try await saveNeverReusesALiveKey()
        case .collisionOnSaveRetries: try await collisionOnSaveRetries()
        case .updateMergesChanges: try await updateMergesChanges()
        case .updateReturnsLiveKey: try await updateReturnsLiveKey()
        case .updateAfterDeleteIsGone: try await updateAfterDeleteIsGone()
        case .updateAfterExpiryIsGone: try await updateAfterExpiryIsGone()
        case .updateTTLAfterDeleteIsGone: try await updateTTLAfterDeleteIsGone()
        case .ttlExpiry: try await ttlExpiry()
        case .updateTTLRefreshes: try await updateTTLRefreshes()
        case .updateRefreshesTTL: try await updateRefreshesTTL()
        case .deleteRemoves: try await deleteRemoves()
        case .deleteUnknownKeyIsFine: try await deleteUnknownKeyIsFine()
        case .largeAndUnicodeValues: try await largeAndUnicodeValues()
        case .nulCharacterRoundTripsOrIsRefused: try await nulCharacterRoundTripsOrIsRefused()
        case .jsonFidelity: try await jsonFidelity()
        case .concurrentDisjointUpdates: try await concurrentDisjointUpdates()
        case .renewMovesALiveSession: try await renewMovesALiveSession()
        case .renewEndsTheOldKey: try await renewEndsTheOldKey()
        case .renewMergesUpdatesThatCameFirst: try await renewMergesUpdatesThatCameFirst()
        case .renewOfADeletedKeyIsGone: try await renewOfADeletedKeyIsGone()
        case .renewOfAnExpiredKeyIsGone: try await renewOfAnExpiredKeyIsGone()
        case .renewNeverOverwritesALiveKey: try await renewNeverOverwritesALiveKey()
        case .renewIsSafeToAskAgain: try await renewIsSafeToAskAgain()
        case .concurrentAsksOfOneRenewAllAnswerIt: try await concurrentAsksOfOneRenewAllAnswerIt()
        case .renewRacingDisjointUpdates: try await renewRacingDisjointUpdates()
        case .purgeAndRenewLeaveTombstones: try await purgeAndRenewLeaveTombstones()
        case .purgeFollowsRenewals: try await purgeFollowsRenewals()
        case .concurrentRenewsOfOneKeyMoveItOnce: try await concurrentRenewsOfOneKeyMoveItOnce()
        case .entryNamesInAnyNormalFormAgree: try await entryNamesInAnyNormalFormAgree()
        case .tombstonesRunOut: try await tombstonesRunOut()
        }
    }

    // MARK: Checks

    private func saveThenLoad() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["user_id": "ada", "counter": 3])
        let key = try await store.save(state, ttl: ttl)
        try expect(try await store.load(key) == state, "a saved state loads back unchanged, creation time included")
    }

    private func loadUnknownKey() async throws {
        // A client-side store's key is its state: a random key is not "unknown" but unreadable (so the check
        // needs `.serverSide`).
        let store = try await makeStore { SessionKey.generate() }
        try expect(try await store.load(SessionKey.generate()) == nil, "an unknown key loads as nil")
    }

    private func saveNeverReusesALiveKey() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let first = try await store.save(sample(["n": 1]), ttl: ttl)
        let second = try await store.save(sample(["n": 2]), ttl: ttl)
        try expect(first != second, "two saves give two keys")
        try expect(try await store.load(first)?["n"] == 1, "the first session is untouched by the second save")
    }

    private func collisionOnSaveRetries() async throws {
        let taken = SessionKey.generate()
        let fresh = SessionKey.generate()
        let sequence = KeySequence([taken, taken, fresh])
        let store = try await makeStore { sequence.next() }
        let first = try await store.save(sample(["owner": "first"]), ttl: ttl)
        try expect(first == taken, "the store uses the key generator it was given")
        let second = try await store.save(sample(["owner": "second"]), ttl: ttl)
        try expect(second == fresh, "a save whose generated key is taken retries with a new key")
        try expect(try await store.load(taken)?["owner"] == "first", "a collision never overwrites the existing session")
        try expect(try await store.load(fresh)?["owner"] == "second", "the retried save is stored under its new key")
    }

    private func updateMergesChanges() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["a": 1, "b": 2, "c": 3]), ttl: ttl)
        var state = try await require(store.load(key), "saved session loads")
        state["a"] = nil
        state["b"] = 20
        let changes = SessionChangeSet(setKeys: ["b"], removedKeys: ["a"])
        let key2 = try await updatedKey(store.update(key, to: state, changes: changes, ttl: ttl), "update of a live session")
        try expect(try await store.load(key2)?.entries == ["b": 20, "c": 3], "an update applies sets and removals")

        var cleared = try await require(store.load(key2), "updated session loads")
        cleared.entries = ["d": 4]
        let key3 = try await updatedKey(
            store.update(key2, to: cleared, changes: SessionChangeSet(setKeys: ["d"], cleared: true), ttl: ttl),
            "update with a clear"
        )
        try expect(try await store.load(key3)?.entries == ["d": 4], "a clear drops every earlier value")

        // A clear to nothing (the engine's `clear()`) keeps the session, empty, under its key: it is no logout.
        var emptied = try await require(store.load(key3), "cleared session loads")
        emptied.entries = [:]
        let key4 = try await updatedKey(store.update(key3, to: emptied, changes: SessionChangeSet(cleared: true), ttl: ttl), "update to nothing")
        let empty = try await require(store.load(key4), "a session cleared to nothing still loads")
        try expect(empty.entries.isEmpty, "a session cleared to nothing holds nothing")
        try expect(empty.createdAt == emptied.createdAt, "and keeps its creation time")
        let key5 = try await updatedKey(
            store.update(key4, to: sample(["e": 5]), changes: SessionChangeSet(setKeys: ["e"]), ttl: ttl), "a write after")
        try expect(try await store.load(key5)?.entries == ["e": 5], "a write after a clear to nothing lands in the same session")
    }

    private func updateReturnsLiveKey() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let original = sample(["x": 1])
        let key = try await store.save(original, ttl: ttl)
        var state = original
        state["x"] = 2
        let newKey = try await updatedKey(store.update(key, to: state, changes: .init(setKeys: ["x"]), ttl: ttl), "update")
        let loaded = try await require(store.load(newKey), "the key an update returns loads")
        try expect(loaded["x"] == 2, "the update is visible under the returned key")
        try expect(loaded.createdAt == original.createdAt, "an update keeps the creation time")
    }

    private func updateAfterDeleteIsGone() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["user_id": "ada"])
        let key = try await store.save(state, ttl: ttl)
        try await store.delete(key)
        let result = try await store.update(key, to: state, changes: .init(setKeys: ["user_id"]), ttl: ttl)
        try expect(result == .gone, "updating a deleted session reports it gone")
        try expect(try await store.load(key) == nil, "updating a deleted session does not bring it back")
    }

    private func updateAfterExpiryIsGone() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["user_id": "ada"])
        let key = try await store.save(state, ttl: ttl)
        try await pass(ttl * 2)
        let result = try await store.update(key, to: state, changes: .init(setKeys: ["user_id"]), ttl: ttl)
        try expect(result == .gone, "updating an expired session reports it gone")
        try expect(try await store.load(key) == nil, "updating an expired session does not bring it back")
    }

    private func updateTTLAfterDeleteIsGone() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["x": 1]), ttl: ttl)
        try await store.delete(key)
        try expect(try await store.updateTTL(key, ttl: ttl) == .gone, "refreshing a deleted session's TTL reports it gone")
        try expect(try await store.load(key) == nil, "refreshing a deleted session's TTL does not bring it back")
    }

    private func ttlExpiry() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["x": 1]), ttl: ttl)
        try await pass(ttl / 2)
        try expect(try await store.load(key) != nil, "a session loads before its TTL")
        try await pass(ttl)
        try expect(try await store.load(key) == nil, "a session is gone after its TTL")
    }

    private func loadRecordAgreesWithLoad() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["user_id": "ada", "counter": 3])
        let before = now
        let key = try await store.save(state, ttl: ttl)
        let record = try await store.loadRecord(key)
        try expect(record?.state == state, "loadRecord answers the saved state")
        try expect(record?.state == (try await store.load(key)), "loadRecord's state is load's")
        // An expiry is optional here, but one reported must be right: the engine restarts the TTL by it.
        if record?.expiresAt != nil {
            try expectExpiry(record, in: ttl, since: before, "after save")
        }
        if capabilities.contains(.serverSide) {
            try expect(try await store.loadRecord(SessionKey.generate()) == nil, "loadRecord of an unknown key is nil")
        }
    }

    /// Different TTLs rather than time passing move the expiry, so that a real server's check never waits.
    private func loadRecordReportsExpiry() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["x": 1])
        var before = now
        var key = try await store.save(state, ttl: ttl)
        try expectExpiry(try await store.loadRecord(key), in: ttl, since: before, "after save")
        before = now
        key = try await updatedKey(store.updateTTL(key, ttl: ttl * 2), "updateTTL of a live session")
        try expectExpiry(try await store.loadRecord(key), in: ttl * 2, since: before, "after updateTTL")
        before = now
        key = try await updatedKey(store.update(key, to: state, changes: .init(setKeys: ["x"]), ttl: ttl * 3), "update of a live session")
        try expectExpiry(try await store.loadRecord(key), in: ttl * 3, since: before, "after update")
        before = now
        key = try await updatedKey(
            store.renew(key, as: SessionKey.generate(), to: state, changes: SessionChangeSet(), ttl: ttl, tombstoneTTL: .zero),
            "renew of a live session")
        try expectExpiry(try await store.loadRecord(key), in: ttl, since: before, "after renew")
    }

    /// `record` expires `ttl` after the write, made between `before` and now, give or take a second (a quarter
    /// of a shorter TTL) for a server's clock and the store's rounding.
    private func expectExpiry(_ record: SessionRecord?, in ttl: Duration, since before: Date, _ when: String) throws {
        guard let record else { throw SessionStoreConformanceFailure("the session loads \(when)") }
        guard let expiresAt = record.expiresAt else { throw SessionStoreConformanceFailure("loadRecord reports an expiry \(when)") }
        let margin = min(1, ttl.inSeconds / 4)
        let earliest = before.timeIntervalSince1970 + ttl.inSeconds - margin
        let latest = now.timeIntervalSince1970 + ttl.inSeconds + margin
        try expect(
            (earliest...latest).contains(expiresAt.timeIntervalSince1970),
            "loadRecord's expiry \(when) is the TTL (\(ttl.inSeconds) s) from the write, not \(expiresAt.timeIntervalSince(before)) s")
    }

    /// The time the checks measure expiries from.
    private var now: Date {
        switch time {
        case .manual(let clock): clock.now
        case .real: Date()
        }
    }

    private func updateTTLRefreshes() async throws {
        let store = try await makeStore { SessionKey.generate() }
        var key = try await store.save(sample(["x": 1]), ttl: ttl)
        try await pass(ttl * 0.6)
        key = try await updatedKey(store.updateTTL(key, ttl: ttl), "updateTTL of a live session")
        try await pass(ttl * 0.6)
        try expect(try await store.load(key)?["x"] == 1, "updateTTL restarts the TTL and keeps the state")
        try await pass(ttl * 0.6)
        try expect(try await store.load(key) == nil, "a refreshed session still expires")
    }

    private func updateRefreshesTTL() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["x": 1])
        var key = try await store.save(state, ttl: ttl)
        try await pass(ttl * 0.6)
        key = try await updatedKey(store.update(key, to: state, changes: .init(setKeys: ["x"]), ttl: ttl), "update")
        try await pass(ttl * 0.6)
        try expect(try await store.load(key) != nil, "an update restarts the TTL")
    }

    private func deleteRemoves() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["x": 1]), ttl: ttl)
        let other = try await store.save(sample(["y": 2]), ttl: ttl)
        try await store.delete(key)
        try expect(try await store.load(key) == nil, "a deleted session is gone")
        try expect(try await store.load(other) != nil, "deleting one session leaves others")
    }

    private func deleteUnknownKeyIsFine() async throws {
        let store = try await makeStore { SessionKey.generate() }
        try await store.delete(SessionKey.generate())
    }

    private func largeAndUnicodeValues() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let unicode = "naïve café 日本語 🇺🇦👩‍👩‍👧 \"quotes\" \\ back\nslash \u{1} \u{7F} \u{FEFF} \\u0000"
        var entries: [String: JSONValue] = ["unicode": .string(unicode), "ключ 🔑": "value", "": "empty key"]
        if capabilities.contains(.serverSide) {
            entries["large"] = .string(String(repeating: "x", count: 256 * 1024))
        }
        let state = sample(entries)
        let key = try await store.save(state, ttl: ttl)
        try expect(try await store.load(key) == state, "large and unicode values and keys round-trip exactly")
    }

    /// Some databases cannot hold U+0000 (PostgreSQL's jsonb); such a store must refuse it cleanly.
    private func nulCharacterRoundTripsOrIsRefused() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["nul": "before\u{0}after"])
        let key: SessionKey
        do {
            key = try await store.save(state, ttl: ttl)
        } catch {
            try expect(error.kind == .serialization, "a store that cannot hold U+0000 refuses it as a serialization error")
            return
        }
        try expect(try await store.load(key) == state, "U+0000 round-trips exactly when the store accepts it")
    }

    private func jsonFidelity() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample([
            "null": .null, "true": true, "false": false, "max": .integer(.max), "min": .integer(.min),
            "double": 0.1, "negative": -2.5e-300, "array": [1, "two", [3.0], ["four": nil]],
            "object": ["nested": ["deeper": ["deepest": "yes"]]], "string that looks like json": "{\"a\":1}",
        ])
        let key = try await store.save(state, ttl: ttl)
        try expect(try await store.load(key) == state, "every JSON type round-trips, integers at full 64-bit precision")
    }

    private func concurrentDisjointUpdates() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let base = sample(["base": true])
        let key = try await store.save(base, ttl: ttl)
        let writers = 32
        try await withThrowingTaskGroup(of: SessionUpdateResult.self) { group in
            for index in 0..<writers {
                group.addTask {
                    var state = base
                    state["writer-\(index)"] = .integer(Int64(index))
                    return try await store.update(key, to: state, changes: .init(setKeys: ["writer-\(index)"]), ttl: ttl)
                }
            }
            for try await result in group {
                try expect(result == .updated(key), "a merging store keeps the session's key on update")
            }
        }
        let loaded = try await require(store.load(key), "the session survives concurrent updates")
        for index in 0..<writers {
            try expect(loaded["writer-\(index)"] == .integer(Int64(index)), "concurrent update \(index) of \(writers) persisted")
        }
        try expect(loaded["base"] == true, "concurrent updates keep untouched values")
    }

    // MARK: Renew and tombstones

    private func renewMovesALiveSession() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["a": 1, "b": 2]), ttl: ttl)
        var state = try await require(store.load(key), "saved session loads")
        state["a"] = nil
        state["c"] = 3
        state.createdAt = sample([:]).createdAt.addingTimeInterval(-3600)
        let newKey = try await updatedKey(
            store.renew(
                key, as: SessionKey.generate(), to: state, changes: SessionChangeSet(setKeys: ["c"], removedKeys: ["a"]), ttl: ttl, tombstoneTTL: ttl),
            "renew of a live session"
        )
        let moved = try await require(store.load(newKey), "the key a renew returns loads")
        try expect(moved.entries == ["b": 2, "c": 3], "a renew applies the request's sets and removals")
        try expect(moved.createdAt == state.createdAt, "a renew stores the creation time it is given")
        // A login over another user's session clears it and renews: nothing stored may come back.
        let other = try await store.save(sample(["user": "mallory", "token": "mallory's"]), ttl: ttl)
        let cleared = try await updatedKey(
            store.renew(
                other, as: SessionKey.generate(), to: sample(["user": "ada"]), changes: SessionChangeSet(setKeys: ["user"], cleared: true), ttl: ttl,
                tombstoneTTL: ttl),
            "renew with a clear"
        )
        let clean = try await require(store.load(cleared), "the key a renew with a clear returns loads")
        try expect(clean.entries == ["user": "ada"], "a renew with a clear keeps nothing that was stored")
    }

    /// A server-side store's renew ends the old key: it loads nothing, and an update of it finds it gone. (A
    /// client-side store's old key is the old state, which nothing on the server can end.)
    private func renewEndsTheOldKey() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["a": 1]), ttl: ttl)
        let state = try await require(store.load(key), "saved session loads")
        let newKey = try await updatedKey(
            store.renew(key, as: SessionKey.generate(), to: state, changes: SessionChangeSet(setKeys: ["c"]), ttl: ttl, tombstoneTTL: ttl),
            "renew of a live session")
        try expect(newKey != key, "a renew moves the session to a new key")
        try expect(try await store.load(key) == nil, "after a renew the old key loads nothing")
        try expect(
            try await store.update(key, to: state, changes: .init(setKeys: ["c"]), ttl: ttl) == .gone,
            "after a renew an update of the old key finds it gone"
        )
        try expect(try await store.load(key) == nil, "an update of a renewed-away key does not bring it back")
    }

    private func renewMergesUpdatesThatCameFirst() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let base = sample(["user": "ada"])
        let key = try await store.save(base, ttl: ttl)
        // Another request's update lands between this request's load and its renew.
        var other = base
        other["cart"] = 2
        _ = try await updatedKey(store.update(key, to: other, changes: .init(setKeys: ["cart"]), ttl: ttl), "the other request's update")
        var mine = base
        mine["role"] = "admin"
        let newKey = try await updatedKey(
            store.renew(key, as: SessionKey.generate(), to: mine, changes: .init(setKeys: ["role"]), ttl: ttl, tombstoneTTL: ttl),
            "renew of a live session"
        )
        try expect(
            try await store.load(newKey)?.entries == ["user": "ada", "cart": 2, "role": "admin"],
            "a renew carries over an update that reached the store before it, beside its own change"
        )
    }

    private func renewOfADeletedKeyIsGone() async throws {
        let store = try await makeStore { SessionKey.generate() }
        for end in ["delete", "purge"] {
            let state = sample(["user_id": "ada"])
            let key = try await store.save(state, ttl: ttl)
            if end == "delete" {
                try await store.delete(key)
            } else {
                try await store.purge(key, tombstoneTTL: ttl)
            }
            let result = try await store.renew(
                key, as: SessionKey.generate(), to: state, changes: .init(setKeys: ["user_id"]), ttl: ttl, tombstoneTTL: ttl)
            try expect(result == .gone, "renewing a session ended by \(end) reports it gone")
            try expect(try await store.load(key) == nil, "renewing a session ended by \(end) does not bring it back")
        }
    }

    private func renewOfAnExpiredKeyIsGone() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let state = sample(["user_id": "ada"])
        let key = try await store.save(state, ttl: ttl)
        try await pass(ttl * 2)
        let result = try await store.renew(
            key, as: SessionKey.generate(), to: state, changes: .init(setKeys: ["user_id"]), ttl: ttl, tombstoneTTL: ttl)
        try expect(result == .gone, "renewing an expired session reports it gone")
        try expect(try await store.load(key) == nil, "renewing an expired session does not bring it back")
        if capabilities.contains(.tombstones) {
            try expect(!(try await store.hasTombstone(key)), "a renew that found its session gone leaves no tombstone")
        }
    }

    /// The engine draws a renew's new key; a store that finds it taken must refuse, never overwrite (the
    /// protocol's default, which saves under a key of the store's choosing, moves the session there).
    private func renewNeverOverwritesALiveKey() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let taken = try await store.save(sample(["owner": "first"]), ttl: ttl)
        let key = try await store.save(sample(["owner": "second"]), ttl: ttl)
        let state = try await require(store.load(key), "the second session loads")
        do {
            let result = try await store.renew(key, as: taken, to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl)
            let moved = try updatedKey(result, "a renew to a key in use that does not throw")
            try expect(moved != taken, "a renew to a key in use answered that key instead of throwing")
            try expect(try await store.load(moved)?["owner"] == "second", "a renew that chose another key moved the session there")
        } catch is UpdateError {
            try expect(try await store.load(key)?["owner"] == "second", "a refused renew leaves its session where it was")
        }
        try expect(try await store.load(taken)?["owner"] == "first", "a renew never overwrites another session")
    }

    /// A renew whose answer never came (a timeout after the server ran it) is learned by asking again with
    /// the same arguments: the same answer, nothing written twice, and no other renew's move claimed.
    private func renewIsSafeToAskAgain() async throws {
        let store = try await makeStore { SessionKey.generate() }
        // Without the flag the engine never asks a renew again, and what follows would go unused.
        try expect(store.renewIsSafeToAskAgain, "a store whose renew is safe to ask again says so (renewIsSafeToAskAgain)")
        let key = try await store.save(sample(["a": 1]), ttl: ttl)
        var state = try await require(store.load(key), "saved session loads")
        state["b"] = 2
        let newKey = SessionKey.generate()
        let changes = SessionChangeSet(setKeys: ["b"])
        let first = try await store.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: ttl)
        try expect(first == .updated(newKey), "a renew moves the session to the key it is given: \(first)")
        var other = state
        other["c"] = 3
        _ = try await updatedKey(store.update(newKey, to: other, changes: .init(setKeys: ["c"]), ttl: ttl), "an update of the new key")
        let again = try await store.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: ttl)
        try expect(again == .updated(newKey), "the same renew asked again answers the move it made: \(again)")
        try expect(try await store.load(newKey)?.entries == ["a": 1, "b": 2, "c": 3], "asking again writes nothing over later updates")
        try expect(try await store.load(key) == nil, "asking again does not bring the old key back")
        let elsewhere = SessionKey.generate()
        let otherRenew = try await store.renew(key, as: elsewhere, to: state, changes: changes, ttl: ttl, tombstoneTTL: ttl)
        try expect(otherRenew == .gone, "a renew to another key finds the session gone: it was renewed elsewhere")
        try expect(try await store.load(elsewhere) == nil, "and writes nothing")
        try await store.purge(key, tombstoneTTL: ttl)
        let afterLogout = try await store.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: ttl)
        try expect(afterLogout == .gone, "asked again after a logout, a renew finds the session gone")
        try expect(try await store.load(newKey) == nil, "and does not bring it back")
    }

    /// A renew asked again while its first attempt is still under way: every ask answers the one move.
    private func concurrentAsksOfOneRenewAllAnswerIt() async throws {
        let store = try await makeStore { SessionKey.generate() }
        for _ in 0..<8 {
            let key = try await store.save(sample(["user_id": "ada"]), ttl: ttl)
            let state = try await require(store.load(key), "saved session loads")
            let newKey = SessionKey.generate()
            let results = try await withThrowingTaskGroup(of: SessionUpdateResult.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await store.renew(key, as: newKey, to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl) }
                }
                return try await group.reduce(into: [SessionUpdateResult]()) { $0.append($1) }
            }
            try expect(results.allSatisfy { $0 == .updated(newKey) }, "every ask of one renew answers its move: \(results)")
            try expect(try await store.load(newKey)?["user_id"] == "ada", "the session moved once")
            try expect(try await store.load(key) == nil, "and left the old key")
        }
    }

    private func renewRacingDisjointUpdates() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let base = sample(["base": true])
        let key = try await store.save(base, ttl: ttl)
        let writers = 16
        let (renewal, updates) = try await withThrowingTaskGroup(of: (Int, SessionUpdateResult).self) { group in
            for index in 0..<writers {
                group.addTask {
                    var state = base
                    state["writer-\(index)"] = .integer(Int64(index))
                    return (index, try await store.update(key, to: state, changes: .init(setKeys: ["writer-\(index)"]), ttl: ttl))
                }
            }
            group.addTask {
                var state = base
                state["renewed"] = true
                return (
                    -1,
                    try await store.renew(
                        key, as: SessionKey.generate(), to: state, changes: .init(setKeys: ["renewed"]), ttl: ttl, tombstoneTTL: ttl)
                )
            }
            var renewal: SessionUpdateResult?
            var updates: [Int: SessionUpdateResult] = [:]
            for try await (index, result) in group {
                if index < 0 { renewal = result } else { updates[index] = result }
            }
            return (renewal!, updates)
        }
        let newKey = try updatedKey(renewal, "a renew racing updates of its live session")
        let moved = try await require(store.load(newKey), "the renewed session loads")
        try expect(moved["renewed"] == true && moved["base"] == true, "the renew's own change and the untouched values moved")
        for (index, result) in updates {
            let entry = moved["writer-\(index)"]
            switch result {
            case .updated:
                try expect(entry == .integer(Int64(index)), "an update acknowledged before the renew moved with the session (writer \(index))")
            case .gone:
                try expect(entry == nil, "an update that found the key renewed away wrote nothing (writer \(index))")
            }
        }
        try expect(try await store.load(key) == nil, "no update brought the old key back")
    }

    private func purgeAndRenewLeaveTombstones() async throws {
        let store = try await makeStore { SessionKey.generate() }
        try expect(!(try await store.hasTombstone(SessionKey.generate())), "an unknown key has no tombstone")
        let purged = try await store.save(sample(["x": 1]), ttl: ttl)
        try await store.purge(purged, tombstoneTTL: ttl)
        try expect(try await store.load(purged) == nil, "a purged session is gone")
        try expect(try await store.hasTombstone(purged), "a purge leaves a tombstone")
        let renewed = try await store.save(sample(["x": 2]), ttl: ttl)
        let state = try await require(store.load(renewed), "saved session loads")
        let newKey = try await updatedKey(
            store.renew(renewed, as: SessionKey.generate(), to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl), "renew")
        try expect(try await store.hasTombstone(renewed), "a renew leaves a tombstone under the old key")
        try expect(!(try await store.hasTombstone(newKey)), "the renewed session's new key has no tombstone")
        let deleted = try await store.save(sample(["x": 3]), ttl: ttl)
        try await store.delete(deleted)
        try expect(!(try await store.hasTombstone(deleted)), "a plain delete leaves no tombstone")
        let untombed = try await store.save(sample(["x": 4]), ttl: ttl)
        try await store.purge(untombed, tombstoneTTL: .zero)
        try expect(!(try await store.hasTombstone(untombed)), "a purge with no tombstone TTL leaves none")
    }

    /// A logout by a request that loaded the session before a concurrent renew purges the old key: the
    /// session must end wherever the renews moved it.
    private func purgeFollowsRenewals() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let first = try await store.save(sample(["user_id": "ada"]), ttl: ttl)
        let state = try await require(store.load(first), "saved session loads")
        let second = try await updatedKey(
            store.renew(first, as: SessionKey.generate(), to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl), "first renew")
        let third = try await updatedKey(
            store.renew(second, as: SessionKey.generate(), to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl), "second renew")
        let bystander = try await store.save(sample(["user_id": "grace"]), ttl: ttl)
        try await store.purge(first, tombstoneTTL: ttl)
        try expect(try await store.load(third) == nil, "a purge of the old key ends the session two renews on")
        try expect(try await store.load(second) == nil, "and every key between")
        try expect(try await store.load(bystander) != nil, "and no other session")
        // A browser may still send a key the purge reached down the chain; its writes must be dropped as stale,
        // not start a session whose cookie would replace a newer login's.
        try expect(try await store.hasTombstone(third), "a purge leaves a tombstone on every key it followed to")
        try expect(try await store.hasTombstone(second), "and on every key between")
        try expect(!(try await store.hasTombstone(bystander)), "and on no other")
        let again = try await store.save(sample(["user_id": "ada"]), ttl: ttl * 4)
        let moved = try await updatedKey(
            store.renew(again, as: SessionKey.generate(), to: state, changes: .init(), ttl: ttl * 4, tombstoneTTL: ttl), "renew")
        try await pass(ttl * 1.5)
        try await store.purge(again, tombstoneTTL: ttl)
        try expect(try await store.load(moved) != nil, "once the renew's tombstone ran out, a purge of the old key no longer reaches the new one")
    }

    /// Several requests of one session renew it at once (a double-submitted login, parallel requests at a
    /// periodic rotation): it moves once, the others find it gone, and a logout of the old key still
    /// reaches the key it moved to.
    private func concurrentRenewsOfOneKeyMoveItOnce() async throws {
        let store = try await makeStore { SessionKey.generate() }
        // Rounds, since how the renews interleave is up to the scheduler.
        for _ in 0..<12 {
            let key = try await store.save(sample(["user_id": "ada"]), ttl: ttl)
            let state = try await require(store.load(key), "saved session loads")
            let results = try await withThrowingTaskGroup(of: SessionUpdateResult.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await store.renew(key, as: SessionKey.generate(), to: state, changes: .init(), ttl: ttl, tombstoneTTL: ttl) }
                }
                return try await group.reduce(into: [SessionUpdateResult]()) { $0.append($1) }
            }
            let moved = results.compactMap { result -> SessionKey? in
                if case .updated(let key) = result { key } else { nil }
            }
            try expect(moved.count == 1, "one of six concurrent renews moves the session, the others find it gone: \(moved.count) moved")
            try expect(try await store.hasTombstone(key), "the old key keeps its tombstone")
            try await store.purge(key, tombstoneTTL: ttl)
            try expect(try await store.load(moved[0]) == nil, "a logout of the old key reaches the key the session moved to")
        }
    }

    private func tombstonesRunOut() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let key = try await store.save(sample(["x": 1]), ttl: ttl * 4)
        try await store.purge(key, tombstoneTTL: ttl)
        try await pass(ttl / 2)
        try expect(try await store.hasTombstone(key), "a tombstone lasts its TTL")
        try await pass(ttl)
        try expect(!(try await store.hasTombstone(key)), "a tombstone is gone after its TTL")
    }

    // MARK: Through the engine

    /// Names that differ only in Unicode normal form are one entry, in the request and in the store: the
    /// engine normalizes them, and the store must keep what it is given byte for byte. Runs requests
    /// through a `SessionEngine` over the store.
    private func entryNamesInAnyNormalFormAgree() async throws {
        let store = try await makeStore { SessionKey.generate() }
        let clock: any SessionClock
        switch time {
        case .manual(let manual): clock = manual
        case .real: clock = SystemSessionClock()
        }
        let engine = try SessionEngine(store: ForwardingSessionStore(base: store), secrets: SessionSecrets(current: .generate()), clock: clock)
        let logger = Logger(label: "swift-sessions.conformance")
        func request(_ cookie: String?, _ body: (HTTPSession) async throws -> Void) async throws -> String? {
            let session = engine.begin(cookieHeader: cookie.map { "id=\($0)" }, logger: logger)
            try await body(session)
            let headers = try await engine.commit(session, logger: logger)
            return headers.setCookies.last.map { String($0.prefix { $0 != ";" }.dropFirst(3)) } ?? cookie
        }
        let decomposed = "caf" + "e\u{301}"
        let composed = "caf\u{E9}"
        var cookie = try await request(nil) { try await $0.insert(decomposed, 1) }
        cookie = try await request(cookie) { _ = try await $0.remove(composed) }
        cookie = try await request(cookie) { session in
            try expect(try await session.entries().isEmpty, "an entry inserted as NFD and removed as NFC stays removed in the store")
            try await session.insert(composed, 2)
            try await session.insert("other", true)
        }
        cookie = try await request(cookie) { try await $0.insert(decomposed, 3) }
        _ = try await request(cookie) { session in
            let entries = try await session.entries()
            try expect(entries.count == 2, "the two forms name one entry: \(entries.count) entries")
            try expect(try await session.get(composed, as: Int.self) == 3, "the last write under either form wins")
        }
    }

    // MARK: Helpers

    private var ttl: Duration {
        switch time {
        case .manual: .seconds(3600)
        case .real(let unit): unit
        }
    }

    private func pass(_ duration: Duration) async throws {
        switch time {
        case .manual(let clock): clock.advance(by: duration)
        // A real server's expiry is its own clock's business: the only way to observe it is to wait,
        // with margins wide enough for a loaded machine.
        case .real: try await Task.sleep(for: duration)
        }
    }

    private func sample(_ entries: [String: JSONValue]) -> SessionState {
        let now: Date
        switch time {
        case .manual(let clock): now = clock.now
        case .real: now = Date()
        }
        // Whole milliseconds: the precision stores persist creation times at.
        return SessionState(entries, createdAt: Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000))
    }

    private func updatedKey(_ result: SessionUpdateResult, _ what: String) throws -> SessionKey {
        guard case .updated(let key) = result else {
            throw SessionStoreConformanceFailure("\(what): expected the session to be updated, but the store reported it gone")
        }
        return key
    }

    private func require<Value>(_ value: Value?, _ what: String) throws -> Value {
        guard let value else { throw SessionStoreConformanceFailure("\(what): got nil") }
        return value
    }

    private func expect(_ condition: Bool, _ what: String) throws {
        guard condition else { throw SessionStoreConformanceFailure(what) }
    }
}

/// A store failed a conformance check; `description` says which behaviour.
public struct SessionStoreConformanceFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = "store conformance failed: \(description)" }
    init(path: String, _ failure: SessionStoreConformanceFailure) { self.description = "\(failure.description) (\(path))" }
}

/// Answers every `async` call with the store's `...Immediately` twin, so that the checks exercise those.
private struct ImmediateCallsSessionStore: SessionStore {
    let base: any ImmediateSessionStore

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try base.loadImmediately(key) }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? { try base.loadRecordImmediately(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try base.saveImmediately(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try base.updateImmediately(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        try base.updateTTLImmediately(key, ttl: ttl)
    }
    func delete(_ key: SessionKey) async throws(DeleteError) { try base.deleteImmediately(key) }
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        try base.renewImmediately(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) { try base.purgeImmediately(key, tombstoneTTL: tombstoneTTL) }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try base.hasTombstoneImmediately(key) }
    var renewIsSafeToAskAgain: Bool { base.renewIsSafeToAskAgain }
}

/// Checks every `load` a check makes against `loadRecord`, which the engine loads through: the same state,
/// and a session that `load` no longer finds (expired, deleted, purged, renewed away) does not come back
/// through `loadRecord`. Asked in that order, so that a session ending between the two calls is no false alarm.
private struct LoadRecordCheckingSessionStore: SessionStore {
    let base: any SessionStore

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        let state = try await base.load(key)
        let record = try await base.loadRecord(key)
        if state == nil, record != nil {
            throw .other(
                SessionStoreConformanceFailure(
                    "loadRecord answers a session that load finds gone (expired, deleted or moved): the engine loads through loadRecord"))
        }
        // No check loads while another of its tasks writes the key, so a live session reads the same twice.
        if let state, record?.state != state {
            throw .other(SessionStoreConformanceFailure("loadRecord answers another state than load: the engine loads through loadRecord"))
        }
        return state
    }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? { try await base.loadRecord(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await base.update(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) { try await base.purge(key, tombstoneTTL: tombstoneTTL) }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }
    var renewIsSafeToAskAgain: Bool { base.renewIsSafeToAskAgain }
}

/// Any store, behind a concrete type the engine can be generic over.
private struct ForwardingSessionStore: SessionStore {
    let base: any SessionStore

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? { try await base.loadRecord(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await base.update(key, to: state, changes: changes, ttl: ttl)
    }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        try await base.renew(key, as: newKey, to: state, changes: changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
    }
    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) { try await base.purge(key, tombstoneTTL: tombstoneTTL) }
    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool { try await base.hasTombstone(key) }
    var renewIsSafeToAskAgain: Bool { base.renewIsSafeToAskAgain }
}

/// Hands out a fixed sequence of keys, then fresh random ones.
private final class KeySequence: Sendable {
    private let keys: Mutex<[SessionKey]>
    init(_ keys: [SessionKey]) { self.keys = Mutex(keys) }
    func next() -> SessionKey {
        keys.withLock { $0.isEmpty ? SessionKey.generate() : $0.removeFirst() }
    }
}
