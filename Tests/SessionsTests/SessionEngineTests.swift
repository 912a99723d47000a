import FoundationEssentials
import Logging
import SessionsTesting
import Testing

@testable import Sessions

/// Every row of the engine's response table, plus lazy load, stale cookies and no resurrection.
@Suite struct SessionEngineTests {
    @Test(arguments: EngineDriver.allCases) func untouchedSessionCostsNoStoreCallAndNoCookie(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        let outcome = try await harness.request(cookie: cookie)
        #expect(store.calls.isEmpty)
        #expect(outcome.headers.isEmpty)
        let tampered = try await harness.request(cookie: "garbage")
        #expect(store.calls.isEmpty)
        #expect(tampered.headers.isEmpty, "an untouched session never even verifies its cookie")
    }

    @Test(arguments: EngineDriver.allCases) func freshSessionWithStateIsSavedAndSetsACookie(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let outcome = try await harness.request { try await $0.insert("user_id", "ada") }
        #expect(store.calls == ["save"])
        #expect(outcome.headers.setCookies.count == 1)
        #expect(outcome.headers.cacheControl == "no-store")
        let value = try #require(outcome.cookieValue)
        try await harness.request(cookie: value) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
    }

    @Test(arguments: EngineDriver.allCases) func freshSessionWithoutStateStoresNothing(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let readOnly = try await harness.request { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil)
        }
        #expect(readOnly.headers.isEmpty)
        let emptied = try await harness.request { session async throws in
            try await session.insert("a", 1)
            try await session.remove("a")
            #expect(session.status == .changed)
        }
        #expect(emptied.headers.isEmpty)
        #expect(store.calls.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases) func changedSessionIsUpdatedWithoutANewCookieForBrowserSessions(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        let outcome = try await harness.request(cookie: cookie) { try await $0.insert("counter", 1) }
        #expect(store.calls == ["load", "update"])
        #expect(outcome.headers.isEmpty)
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("counter", as: Int.self) == 1)
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
    }

    @Test(arguments: EngineDriver.allCases) func changedPersistentSessionResendsTheCookieWithMaxAgeAndExpires(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(3600)))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        let outcome = try await harness.request(cookie: cookie) { try await $0.insert("counter", 1) }
        let header = try #require(outcome.headers.setCookies.first)
        #expect(header.contains("; Max-Age=3600; Expires="))
        let expires = Int64(clock.now.timeIntervalSince1970) + 3600
        #expect(header.contains("Expires=" + HTTPDateForTests.format(expires)))
    }

    @Test(arguments: EngineDriver.allCases) func renewMovesTheSessionToANewKeyAndEndsTheOldOne(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(["counter": 5])
        store.resetCalls()
        let outcome = try await harness.request(cookie: old) { session async throws in
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
            try await session.insert("after", true)
            #expect(session.status == .renewed, "renew is sticky")
        }
        #expect(store.calls == ["load", "renew"], "one store call moves the session")
        let new = try #require(outcome.cookieValue)
        #expect(new != old)
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.entries() == ["counter": 5, "user_id": "ada", "after": true])
        }
        let replay = try await harness.request(cookie: old) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil, "the old key is dead")
        }
        #expect(replay.headers.isEmpty, "a request with the old key does not touch the browser's new cookie")
    }

    @Test func aRenewWhoseSaveFailsKeepsTheOldSession() async throws {
        let clock = ManualSessionClock()
        let base = MemorySessionStore(clock: clock)
        let secrets = SessionSecrets(current: .generate())
        let working = EngineHarness(engine: try SessionEngine(store: base, secrets: secrets, clock: clock))
        let cookie = try await working.login()
        let failing = try SessionEngine(store: SaveFailingSessionStore(base: base), secrets: secrets, clock: clock)
        let session = failing.begin(cookieHeader: "id=\(cookie)", logger: working.logger)
        try await session.renew(.newAuthentication)
        await #expect(throws: SessionError.self) { try await failing.commit(session, logger: working.logger) }
        try await working.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "a failed renew loses nothing")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aRenewForANewAuthenticationRestartsTheAbsoluteTimeoutWindow(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(absoluteTimeout: .seconds(7200))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let old = try await harness.login()
        clock.advance(by: .seconds(3600))
        let renewed = try await harness.request(cookie: old) { try await $0.renew(.newAuthentication) }
        let new = try #require(renewed.cookieValue)
        clock.advance(by: .seconds(3700))
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "the new window started at the login")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aKeyRotationKeepsTheAbsoluteTimeoutWindow(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(absoluteTimeout: .seconds(7200))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        var cookie = try await harness.login()
        // Rotated every hour, the session still ends two hours after it began.
        for _ in 0..<2 {
            clock.advance(by: .seconds(3500))
            let rotated = try await harness.request(cookie: cookie) { session async throws in
                #expect(try await session.get("user_id", as: String.self) == "ada")
                try await session.renew(.keyRotation)
            }
            let next = try #require(rotated.cookieValue)
            #expect(next != cookie)
            cookie = next
        }
        clock.advance(by: .seconds(201))
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil, "rotation did not extend the absolute timeout")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aNewAuthenticationWinsOverARotationInTheSameRequest(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(absoluteTimeout: .seconds(7200))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let old = try await harness.login()
        clock.advance(by: .seconds(7000))
        let renewed = try await harness.request(cookie: old) { session async throws in
            try await session.renew(.newAuthentication)
            try await session.renew(.keyRotation)
        }
        clock.advance(by: .seconds(3000))
        let renewedCookie = try #require(renewed.cookieValue)
        try await harness.request(cookie: renewedCookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
    }

    @Test(arguments: EngineDriver.allCases) func purgeDeletesAndSendsARemovalCookie(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        let outcome = try await harness.request(cookie: cookie) { session async throws in
            try await session.purge()
            try await session.insert("ignored", 1)
            try await session.renew(.newAuthentication)
            #expect(session.status == .purged)
            #expect(try await session.entries().isEmpty)
        }
        #expect(store.calls == ["load", "purge"])
        #expect(outcome.isRemoval)
        let removal = try #require(outcome.headers.setCookies.first)
        #expect(removal == "id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax")
        #expect(store.base.count == 0, "the purged session is gone from the store")
    }

    @Test(arguments: EngineDriver.allCases) func purgeWithAnInvalidCookieStillRemovesIt(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let outcome = try await harness.request(cookie: "tampered") { try await $0.purge() }
        #expect(outcome.isRemoval)
        #expect(store.calls.isEmpty)
        let noCookie = try await harness.request { try await $0.purge() }
        #expect(noCookie.headers.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases) func unchangedSessionUnderOnStateChangesCostsOneLoad(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        let outcome = try await harness.request(cookie: cookie) { _ = try await $0.get("user_id", as: String.self) }
        #expect(store.calls == ["load"])
        #expect(outcome.headers.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases) func unchangedSessionUnderOnEveryRequestRefreshesTheTTL(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .browserSession(stateTTL: .seconds(100)), ttlExtension: .onEveryRequest)
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        for _ in 0..<5 {
            clock.advance(by: .seconds(60))
            store.resetCalls()
            let outcome = try await harness.request(cookie: cookie) { session async throws in
                #expect(try await session.get("user_id", as: String.self) == "ada", "sliding expiry keeps an active session alive")
            }
            #expect(store.calls == ["load", "updateTTL"])
            #expect(outcome.headers.isEmpty, "a browser-session cookie needs no re-send")
        }
        clock.advance(by: .seconds(101))
        let expired = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "an idle session still expires")
        }
        #expect(expired.headers.isEmpty, "an expired key merely fails to resolve: no removal cookie")
    }

    @Test(arguments: EngineDriver.allCases) func unchangedPersistentSessionUnderOnEveryRequestResendsTheCookie(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(100)), ttlExtension: .onEveryRequest)
        let (harness, _, _) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        let outcome = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(outcome.headers.setCookies.count == 1)
        #expect(outcome.headers.setCookies[0].contains("Max-Age=100"))
    }

    @Test(arguments: EngineDriver.allCases) func aCookieThatMerelyFailsToResolveIsLeftAlone(driver: EngineDriver) async throws {
        // The browser may hold a newer cookie by the time this response arrives: only a request that decided
        // to change the session touches the cookie.
        let (harness, store, clock) = try makeMemoryHarness(driver: driver)
        let tampered = try await harness.request(cookie: "not-a-sealed-value") { _ = try await $0.entries() }
        #expect(tampered.headers.isEmpty)
        #expect(store.calls.isEmpty, "a cookie that fails verification never reaches the store")

        let cookie = try await harness.login()
        var flipped = Array(cookie.utf8)
        flipped[10] = flipped[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let bitFlip = try await harness.request(cookie: String(decoding: flipped, as: UTF8.self)) { _ = try await $0.entries() }
        #expect(bitFlip.headers.isEmpty)

        clock.advance(by: .seconds(86_401))
        let expired = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil)
            try await session.insert("a", 1)
            try await session.remove("a")
        }
        #expect(expired.headers.isEmpty, "an expired key's cookie is not removed")
    }

    @Test(arguments: EngineDriver.allCases) func invalidCookieWithNewStateIsReplacedByAFreshSession(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let outcome = try await harness.request(cookie: "tampered") { try await $0.insert("counter", 1) }
        #expect(store.calls == ["save"])
        #expect(outcome.headers.setCookies.count == 1)
        #expect(!outcome.isRemoval)
    }

    @Test(arguments: EngineDriver.allCases) func aClientChosenKeyIsNeverAdopted(driver: EngineDriver) async throws {
        // Strict mode: a cookie that verifies but names no live session (planted by an attacker who got a
        // sealed value from another deployment with the same secret, or kept one past its expiry) never
        // becomes the key of the new session.
        let secrets = SessionSecrets(current: .generate())
        let (elsewhere, _, _) = try makeMemoryHarness(driver: driver, secrets: secrets)
        let planted = try await elsewhere.login(["attacker": true])
        let (harness, store, _) = try makeMemoryHarness(driver: driver, secrets: secrets)
        let outcome = try await harness.request(cookie: planted) { session async throws in
            #expect(try await session.get("attacker", as: Bool.self) == nil)
            try await session.insert("user_id", "victim")
        }
        let issued = try #require(outcome.cookieValue)
        #expect(issued != planted)
        #expect(store.calls == ["load", "hasTombstone", "save"], "a fresh key is generated and saved, the planted one is not written")
        try await harness.request(cookie: planted) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil, "the planted key leads nowhere")
        }
        try await harness.request(cookie: issued) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "victim")
        }
    }

    @Test(arguments: EngineDriver.allCases) func wrongSecretIsAnInvalidCookie(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let (other, _, _) = try makeMemoryHarness(driver: driver)
        let foreign = try await other.login()
        let outcome = try await harness.request(cookie: foreign) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil)
        }
        #expect(outcome.headers.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases) func updateOfASessionPurgedMeanwhileDropsTheChangesAndLeavesTheCookie(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let slow = harness.engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        _ = try await slow.get("user_id", as: String.self)
        try await harness.request(cookie: cookie) { try await $0.purge() }
        try await slow.insert("cart", ["book"])
        let headers = try await harness.engine.commit(slow, logger: harness.logger)
        #expect(headers.isEmpty, "the session's end is the purging request's to announce")
        let after = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "a logged-out session is never resurrected")
            try await session.insert("cart", ["pen"])
        }
        #expect(after.headers.isEmpty, "within the grace period the old key starts no new session")
    }

    @Test(arguments: EngineDriver.allCases) func concurrentRequestsChangingDifferentKeysBothPersist(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let first = harness.engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        let second = harness.engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        _ = try await first.entries()
        _ = try await second.entries()
        try await first.insert("theme", "dark")
        try await second.insert("cart", ["book"])
        _ = try await harness.engine.commit(first, logger: harness.logger)
        _ = try await harness.engine.commit(second, logger: harness.logger)
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries() == ["user_id": "ada", "theme": "dark", "cart": ["book"]])
        }
    }

    @Test func cookieSealedWithAPreviousSecretIsReissuedUnderTheCurrentOneWithANewKey() async throws {
        let old = SessionSecret.generate()
        let new = SessionSecret.generate()
        let clock = ManualSessionClock()
        let store = MemorySessionStore(clock: clock)
        let before = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: old), clock: clock))
        let cookie = try await before.login()

        let rotated = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: new, previous: [old]), clock: clock))
        let outcome = try await rotated.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
            try await session.renew(.keyRotation)
        }
        let reissued = try #require(outcome.cookieValue)
        #expect(reissued != cookie)

        let newOnly = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: new), clock: clock))
        try await newOnly.request(cookie: reissued) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "the re-issued cookie opens with the current secret")
        }
        let stale = try await newOnly.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "once the old secret is dropped, its cookies are invalid")
        }
        #expect(stale.headers.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases) func absoluteTimeoutEndsAnActiveSession(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(
            lifecycle: .persistent(ttl: .seconds(600)),
            ttlExtension: .onEveryRequest,
            absoluteTimeout: .seconds(1000)
        )
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        clock.advance(by: .seconds(500))
        let capped = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(capped.headers.setCookies[0].contains("Max-Age=500;"), "Max-Age never outlives the absolute timeout")
        clock.advance(by: .seconds(400))
        try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        clock.advance(by: .seconds(100))
        store.resetCalls()
        let ended = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil)
        }
        #expect(ended.headers.isEmpty)
        #expect(store.calls == ["load"], "the store's TTL was capped at the absolute deadline, so the store expired it itself")
    }

    @Test func absoluteTimeoutIsEnforcedEvenWhenTheStoreKeepsTheSessionLonger() async throws {
        let clock = ManualSessionClock()
        let store = RecordingSessionStore(TTLIgnoringSessionStore(base: MemorySessionStore(clock: clock)))
        let configuration = SessionConfiguration(absoluteTimeout: .seconds(1000))
        let harness = EngineHarness(
            engine: try SessionEngine(store: store, secrets: .init(current: .generate()), configuration: configuration, clock: clock))
        let cookie = try await harness.login()
        clock.advance(by: .seconds(1000))
        store.resetCalls()
        let ended = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil)
        }
        #expect(ended.headers.isEmpty)
        #expect(store.calls == ["load", "delete"], "the timed-out key is deleted from the store")
    }

    @Test(arguments: EngineDriver.allCases) func maxAgeIsClampedTo400Days(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(1000 * 86_400)))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let outcome = try await harness.request { try await $0.insert("a", 1) }
        #expect(outcome.headers.setCookies[0].contains("Max-Age=34560000;"))
        let expires = Int64(clock.now.timeIntervalSince1970) + 34_560_000
        #expect(outcome.headers.setCookies[0].contains("Expires=" + HTTPDateForTests.format(expires) + ";"), "Expires is clamped with Max-Age")
    }

    @Test(arguments: EngineDriver.allCases) func duplicateCookiesUseTheFirstValidOne(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let session = harness.engine.begin(cookieHeader: "id=stale; other=1; id=\(cookie)", logger: harness.logger)
        #expect(try await session.get("user_id", as: String.self) == "ada")
    }

    @Test func storeFailureWhileLoadingThrowsWithoutLeakingIntoTheError() async throws {
        let engine = try SessionEngine(store: FailingSessionStore(), secrets: .init(current: .generate()))
        let key = SessionKey.generate()
        let sealed = engine.codec.seal(key.rawValue)
        let session = engine.begin(cookieHeader: "id=\(sealed)", logger: Logger(label: "test"))
        let error = try #require(await #expect(throws: SessionError.self) { try await session.get("user_id", as: String.self) })
        #expect(error.kind == .loadFailed)
        #expect(error.isStoreFailure)
        #expect(error.httpStatus == 500, "adapters answer an empty 500: nothing of the cause reaches the client")
        let text = "\(error)"
        #expect(!text.contains(key.rawValue), "the error never carries the session key")
        #expect(!text.contains(sealed), "nor the cookie value")
        #expect(text.contains("connection refused"), "the store's cause stays in the error, for the log")
    }

    @Test func storeFailureWhileCommittingThrows() async throws {
        let engine = try SessionEngine(store: FailingSessionStore(loadFailure: nil), secrets: .init(current: .generate()))
        let session = engine.begin(cookieHeader: nil, logger: Logger(label: "test"))
        try await session.insert("a", 1)
        do {
            _ = try await engine.commit(session, logger: Logger(label: "test"))
            Issue.record("commit should have failed")
        } catch {
            #expect(error.kind == .commitFailed)
        }
    }

    @Test func unreadableStoredStateStartsAFreshSession() async throws {
        let clock = ManualSessionClock()
        let store = RecordingSessionStore(CorruptSessionStore())
        let engine = try SessionEngine(store: store, secrets: .init(current: .generate()), clock: clock)
        let harness = EngineHarness(engine: engine)
        let sealed = engine.codec.seal(SessionKey.generate().rawValue)
        let outcome = try await harness.request(cookie: sealed) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
        #expect(outcome.headers.isEmpty)
        #expect(store.calls == ["load", "delete"], "the unreadable entry is deleted")
    }

    @Test func cookieStoreStateTooLargeForACookieFailsNamingTheLimit() async throws {
        let engine = try SessionEngine(store: CookieSessionStore(), secrets: .init(current: .generate()))
        let session = engine.begin(cookieHeader: nil, logger: Logger(label: "test"))
        try await session.insert("blob", String(repeating: "x", count: 3500))
        do {
            _ = try await engine.commit(session, logger: Logger(label: "test"))
            Issue.record("an oversized cookie must not be sent")
        } catch {
            #expect(error.kind == .commitFailed)
            let saveError = try #require(error.underlying as? SaveError)
            #expect(saveError.kind == .serialization)
            #expect("\(saveError)".contains("4096"))
        }
    }

    @Test func aStoreThatAnswersImmediatelyIsLoadedAndCommittedWithoutAwaiting() throws {
        let (harness, store, _) = try makeMemoryHarness(driver: .immediate)
        let engine = harness.engine
        let first = engine.begin(cookieHeader: nil, logger: harness.logger)
        try #require(try first.loadImmediately()).insert("user_id", "ada")
        let set = EngineHarness.Outcome(
            headers: try #require(try engine.commitImmediately(first, logger: harness.logger))
        )
        let cookie = try #require(set.cookieValue)
        let second = engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        let loaded = try #require(try second.loadImmediately())
        #expect(try loaded.get("user_id", as: String.self) == "ada")
        try loaded.insert("counter", 1)
        #expect(try engine.commitImmediately(second, logger: harness.logger)?.isEmpty == true)
        #expect(store.calls == ["save", "load", "update"])
    }

    /// The engine keeps its store as an existential; `store` hands back the very instance it was given.
    @Test func theEngineHandsBackItsStore() throws {
        let store = MemorySessionStore()
        let engine = try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()))
        #expect(engine.store as? MemorySessionStore === store)
    }

    @Test func aStoreThatWaitsIsNeverCalledImmediately() async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: .awaiting)
        let engine = harness.engine
        let session = engine.begin(cookieHeader: nil, logger: harness.logger)
        #expect(try engine.commitImmediately(session, logger: harness.logger)?.isEmpty == true, "an untouched session needs no store")
        #expect(try session.loadImmediately() == nil)
        try await session.insert("user_id", "ada")
        #expect(try engine.commitImmediately(session, logger: harness.logger) == nil, "nothing done: the caller awaits commit")
        #expect(store.calls.isEmpty)
        let headers = try await engine.commit(session, logger: harness.logger)
        #expect(store.calls == ["save"])
        #expect(headers.setCookies.count == 1)
    }

    @Test func sessionErrorsNeverPrintKeysOrStoreInternalsAsKeys() async throws {
        let key = SessionKey.generate()
        #expect(!"\(key)".contains(key.rawValue))
        #expect("\(key)" == "SessionKey(\(key.fingerprint))")
        #expect(key.fingerprint.count == 8)
        // A commit failure of a session under a live key: its error names no key, only the store's cause.
        let clock = ManualSessionClock()
        let base = MemorySessionStore(clock: clock)
        let secrets = SessionSecrets(current: .generate())
        let working = EngineHarness(engine: try SessionEngine(store: base, secrets: secrets, clock: clock))
        let cookie = try await working.login()
        let failing = try SessionEngine(store: FailingSessionStore(loadFailure: nil, base: base), secrets: secrets, clock: clock)
        let session = failing.begin(cookieHeader: "id=\(cookie)", logger: working.logger)
        try await session.insert("cart", 1)
        let error = try #require(await #expect(throws: SessionError.self) { try await failing.commit(session, logger: working.logger) })
        let rawKey = try #require(working.engine.codec.open(Substring(cookie))?.payload)
        let text = "\(error)" + String(reflecting: error)
        #expect(!text.contains(rawKey), "no session key in a SessionError")
        #expect(!text.contains(cookie), "no cookie value in a SessionError")
    }
}

/// The HTTP date the engine should write, computed independently with the C library.
enum HTTPDateForTests {
    static func format(_ unixSeconds: Int64) -> String {
        var time = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A memory store whose saves fail.
struct SaveFailingSessionStore: SessionStore {
    let base: MemorySessionStore
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { throw .other(SessionStoreMessage("disk full")) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    { try await base.update(key, to: state, changes: changes, ttl: ttl) }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// Keeps every session a year, whatever TTL it is asked for: a store with coarse or lazy expiry.
struct TTLIgnoringSessionStore: SessionStore {
    let base: MemorySessionStore
    private let year = Duration.seconds(365 * 86_400)
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { try await base.load(key) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: year) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    { try await base.update(key, to: state, changes: changes, ttl: year) }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: year) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// A store whose stored bytes are always unreadable.
struct CorruptSessionStore: SessionStore {
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { throw .deserialization(PersistedSessionStateError.malformed) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { SessionKey.generate() }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    { .gone }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { .gone }
    func delete(_ key: SessionKey) async throws(DeleteError) {}
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
