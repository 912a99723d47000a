import FoundationEssentials
import Logging
import SessionsTesting
import Testing

@testable import Sessions

/// Requests of one session that overlap: renew against logout, expiry and updates, and responses that
/// must not undo a login that happened while they ran ("logout is final", and the stale-cookie rule).
@Suite struct ConcurrentRequestTests {
    // MARK: 1. A renew never brings back a session that ended meanwhile

    @Test(arguments: EngineDriver.allCases) func aRenewAfterALogoutMeanwhileWritesNothing(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(["user_id": "ada", "cart": 3])
        let login = try await harness.loadedRequest(cookie: cookie)
        let logout = try await harness.request(cookie: cookie) { try await $0.purge() }
        #expect(logout.isRemoval)
        try await login.insert("user_id", "mallory")
        try await login.renew(.newAuthentication)
        let headers = try await harness.engine.commit(login, logger: harness.logger)
        #expect(headers.isEmpty, "no cookie: the renew found the session gone")
        #expect(store.base.count == 0, "the logged-out state lives on under no key")
    }

    @Test(arguments: EngineDriver.allCases) func aRenewAfterExpiryMeanwhileWritesNothing(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .browserSession(stateTTL: .seconds(600)))
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        let login = try await harness.loadedRequest(cookie: cookie)
        clock.advance(by: .seconds(601))
        try await login.renew(.keyRotation)
        let headers = try await harness.engine.commit(login, logger: harness.logger)
        #expect(headers.isEmpty)
        store.base.sweep()
        #expect(store.base.count == 0, "the expired state was not written under a new key")
    }

    @Test(arguments: EngineDriver.allCases) func aRenewCarriesOverAnUpdateThatLandedFirst(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(["user_id": "ada"])
        let login = try await harness.loadedRequest(cookie: cookie)
        try await harness.request(cookie: cookie) { try await $0.insert("cart", 2) }
        try await login.insert("role", "admin")
        try await login.renew(.newAuthentication)
        let renewed = EngineHarness.Outcome(headers: try await harness.engine.commit(login, logger: harness.logger))
        let renewedCookie = try #require(renewed.cookieValue)
        try await harness.request(cookie: renewedCookie) { session async throws in
            #expect(try await session.entries() == ["user_id": "ada", "cart": 2, "role": "admin"])
        }
    }

    // MARK: 2. A request still carrying the pre-login cookie leaves the fresh login alone

    @Test(arguments: EngineDriver.allCases) func aWriteWithThePreLoginKeyNeitherRemovesNorReplacesTheNewCookie(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let anonymous = try await harness.login(["counter": 1])
        // B loaded before the login and writes after it: its update finds the key renewed away.
        let loadedBefore = try await harness.loadedRequest(cookie: anonymous)
        let login = try await harness.request(cookie: anonymous) { session async throws in
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
        }
        let fresh = try #require(login.cookieValue)
        try await loadedBefore.insert("counter", 2)
        #expect(try await harness.engine.commit(loadedBefore, logger: harness.logger).isEmpty, "no removal cookie for a key found gone")
        // C carries the old cookie but loads after the login: the old key reads empty, its writes are dropped.
        store.resetCalls()
        let loadedAfter = try await harness.request(cookie: anonymous) { session async throws in
            #expect(try await session.entries().isEmpty, "the old key never leads to the new login")
            try await session.insert("counter", 7)
        }
        #expect(loadedAfter.headers.isEmpty, "no new anonymous session replaces the login")
        #expect(store.calls == ["load", "hasTombstone"])
        #expect(store.base.count == 1, "nothing was saved for the old key")
        try await harness.request(cookie: fresh) { session async throws in
            #expect(try await session.entries() == ["user_id": "ada", "counter": 1], "the login and what came before it survive")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aWriteWithALoggedOutKeyStartsNoSessionWithinTheGracePeriod(driver: EngineDriver) async throws {
        // The tombstone lasts the longer of the grace period and the longest request: both 30 s here.
        let configuration = SessionConfiguration(staleCookieGracePeriod: .seconds(30), longestRequest: .seconds(30))
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        try await harness.request(cookie: cookie) { try await $0.purge() }
        clock.advance(by: .seconds(29))
        let late = try await harness.request(cookie: cookie) { try await $0.insert("cart", 1) }
        #expect(late.headers.isEmpty)
        #expect(store.base.count == 0)
        clock.advance(by: .seconds(2))
        let afterGrace = try await harness.request(cookie: cookie) { try await $0.insert("cart", 1) }
        #expect(afterGrace.cookieValue.map { !$0.isEmpty } == true, "once the grace period is over, a stale cookie is replaced as any other")
        #expect(store.base.count == 1)
    }

    @Test(arguments: EngineDriver.allCases) func aLogoutThatLoadedBeforeARenewStillEndsTheRenewedSession(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let logout = try await harness.loadedRequest(cookie: cookie)
        // Two renews land while the logout runs: the session now lives two keys on.
        let first = try #require(try await harness.request(cookie: cookie) { try await $0.renew(.keyRotation) }.cookieValue)
        let second = try #require(try await harness.request(cookie: first) { try await $0.renew(.newAuthentication) }.cookieValue)
        try await logout.purge()
        let headers = try await harness.engine.commit(logout, logger: harness.logger)
        #expect(headers.setCookies.first?.contains("Max-Age=0") == true)
        #expect(store.base.count == 0, "the logout followed both renews")
        try await harness.request(cookie: second) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil, "the renewed key is logged out too")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aKeyRotationOfASessionThatEndedMeanwhileIsAWriteLikeAnyOther(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let anonymous = try await harness.login(["counter": 1])
        try await harness.request(cookie: anonymous) { session async throws in
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
        }
        let rotated = try await harness.request(cookie: anonymous) { session async throws in
            try await session.insert("theme", "dark")
            try await session.renew(.keyRotation)
        }
        #expect(rotated.headers.isEmpty, "no session to rotate: the stale-cookie rule applies, no cookie replaces the login")
        #expect(store.base.count == 1)
    }

    @Test(arguments: EngineDriver.allCases) func everyKeyTheCookiesNamedIsAskedAboutItsTombstone(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let loggedOut = try await harness.login()
        try await harness.request(cookie: loggedOut) { try await $0.purge() }
        let expired = harness.engine.codec.seal(SessionKey.generate().rawValue)
        let session = harness.engine.begin(cookieHeader: "id=\(expired); id=\(loggedOut)", logger: harness.logger)
        try await session.insert("cart", 1)
        store.resetCalls()
        #expect(try await harness.engine.commit(session, logger: harness.logger).isEmpty)
        #expect(store.calls == ["hasTombstone", "hasTombstone"], "the second cookie's tombstone is found too")
    }

    @Test(arguments: EngineDriver.allCases) func aLoginWithAStaleKeyStillLogsIn(driver: EngineDriver) async throws {
        // A renew is a decision to change the cookie: a second login from a tab with the pre-login cookie
        // gets a session of its own, under a fresh key (never the old one).
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let anonymous = try await harness.login(["counter": 1])
        try await harness.request(cookie: anonymous) { session async throws in
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
        }
        let second = try await harness.request(cookie: anonymous) { session async throws in
            try await session.insert("user_id", "grace")
            try await session.renew(.newAuthentication)
        }
        let cookie = try #require(second.cookieValue)
        #expect(cookie != anonymous)
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries() == ["user_id": "grace"], "nothing of the old key is forwarded")
        }
    }

    @Test(arguments: EngineDriver.allCases) func aPurgeByAStaleRequestStillRemovesTheCookie(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        try await harness.request(cookie: cookie) { try await $0.purge() }
        let again = try await harness.request(cookie: cookie) { try await $0.purge() }
        #expect(again.isRemoval, "the request that logs out announces it, even twice")
    }

    // MARK: 5. A logout is carried out whatever the handler does next

    @Test(arguments: EngineDriver.allCases) func abandoningAfterAPurgeStillEndsTheSession(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let session = try await harness.loadedRequest(cookie: cookie)
        try await session.purge()
        store.resetCalls()
        await harness.engine.abandon(session, logger: harness.logger)
        #expect(store.calls == ["purge"])
        #expect(store.base.count == 0, "the logout happened although the handler failed")
    }

    @Test(arguments: EngineDriver.allCases) func abandoningAfterARenewEndsTheOldKeyAndWritesNothingElse(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let session = try await harness.loadedRequest(cookie: cookie)
        try await session.insert("user_id", "mallory")
        try await session.renew(.newAuthentication)
        store.resetCalls()
        await harness.engine.abandon(session, logger: harness.logger)
        #expect(store.calls == ["delete"])
        #expect(store.base.count == 0)
    }

    @Test(arguments: EngineDriver.allCases) func aFailedRenewDoesNotEndTheLoginOfAConcurrentRequest(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(["counter": 1])
        let failing = try await harness.loadedRequest(cookie: cookie)
        let login = try await harness.request(cookie: cookie) { session async throws in
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
        }
        try await failing.renew(.keyRotation)
        await harness.engine.abandon(failing, logger: harness.logger)
        #expect(store.base.count == 1, "the other request's login survives this request's failure")
        let loggedIn = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
    }

    @Test(arguments: EngineDriver.allCases) func afterAFailedLoginTheBrowsersNextWriteStartsASession(driver: EngineDriver) async throws {
        // The failed request set no cookie, so the browser keeps the old one: it must not be treated as stale.
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(["csrf": "t1"])
        let login = try await harness.loadedRequest(cookie: cookie)
        try await login.renew(.newAuthentication)
        await harness.engine.abandon(login, logger: harness.logger)
        #expect(store.base.count == 0)
        let next = try await harness.request(cookie: cookie) { try await $0.insert("csrf", "t2") }
        #expect(next.cookieValue.map { !$0.isEmpty } == true, "a new session, not a dropped write")
    }

    @Test(arguments: EngineDriver.allCases) func abandoningAnyOtherChangeWritesNothing(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let session = try await harness.loadedRequest(cookie: cookie)
        try await session.insert("cart", 1)
        store.resetCalls()
        await harness.engine.abandon(session, logger: harness.logger)
        let fresh = harness.engine.begin(cookieHeader: nil, logger: harness.logger)
        try await fresh.insert("cart", 1)
        await harness.engine.abandon(fresh, logger: harness.logger)
        #expect(store.calls.isEmpty)
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("cart", as: Int.self) == nil)
        }
    }

    @Test func abandoningImmediatelyReportsWhetherItCouldAnswerOnTheCallingThread() async throws {
        let (immediate, immediateStore, _) = try makeMemoryHarness(driver: .immediate)
        let cookie = try await immediate.login()
        let session = try await immediate.loadedRequest(cookie: cookie)
        try await session.purge()
        #expect(immediate.engine.abandonImmediately(session, logger: immediate.logger)?.setCookies.count == 1, "a purge removes the cookie")
        #expect(immediateStore.base.count == 0)

        let (awaiting, awaitingStore, _) = try makeMemoryHarness(driver: .awaiting)
        let awaitedCookie = try await awaiting.login()
        let awaited = try await awaiting.loadedRequest(cookie: awaitedCookie)
        try await awaited.purge()
        awaitingStore.resetCalls()
        #expect(awaiting.engine.abandonImmediately(awaited, logger: awaiting.logger) == nil)
        #expect(awaitingStore.calls.isEmpty, "nothing was done: the caller awaits abandon")
    }

    // MARK: 6. The size cap

    @Test(arguments: EngineDriver.allCases) func aWriteThatLeavesTheStateOverItsCapIsRefusedAsTheRequestsFault(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(maximumStateSize: 1024)
        let (harness, store, _) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login(["small": "x"])
        store.resetCalls()
        for (label, begin) in [("existing", Optional(cookie)), ("new", nil)] {
            let session = harness.engine.begin(cookieHeader: begin.map { "id=\($0)" }, logger: harness.logger)
            try await session.insert("big", String(repeating: "y", count: 1100))
            let error = await #expect(throws: SessionError.self, "\(label) session") {
                try await harness.engine.commit(session, logger: harness.logger)
            }
            #expect(error?.isStateRefused == true, "\(label) session: 422, not 500")
        }
        #expect(store.calls == ["load"], "nothing over the cap reaches the store")
        try await harness.request(cookie: cookie) { try await $0.insert("fits", String(repeating: "z", count: 900)) }
    }

    @Test func theSizeEstimateMatchesTheEncoderWithinAByteAContainer() throws {
        let samples: [[String: JSONValue]] = [
            [:], ["a": 1], ["counter": .integer(-1_234_567_890_123)], ["t": true, "f": false, "n": nil],
            ["s": "plain"], ["s": "quote\" back\\ slash/ newline\n tab\t nul\u{0} bell\u{7} é 日本 🇺🇦"],
            ["nested": ["a": [1, 2, ["b": "c"]], "d": [:], "e": []]], ["whole": 3.0],
        ]
        for entries in samples {
            let encoded = try JSONEncoder().encode(entries).count
            let estimate = SessionState(entries, createdAt: Date()).encodedSizeEstimate(upTo: .max)
            #expect(estimate >= encoded && estimate <= encoded + 8, "\(entries): \(estimate) vs \(encoded)")
        }
        let large = SessionState(["big": .string(String(repeating: "x", count: 1_000_000))], createdAt: Date())
        #expect(large.encodedSizeEstimate(upTo: 100) > 100)
    }

    @Test(arguments: EngineDriver.allCases) func aSessionOverALoweredCapCanStillShrinkAndLogOut(driver: EngineDriver) async throws {
        let secrets = SessionSecrets(current: .generate())
        let (uncapped, store, clock) = try makeMemoryHarness(driver: driver, secrets: secrets)
        let cookie = try await uncapped.login(["big": .string(String(repeating: "y", count: 3000)), "user_id": "ada"])
        let capped = EngineHarness(
            engine: try SessionEngine(store: store, secrets: secrets, configuration: .init(maximumStateSize: 1024), clock: clock)
        )
        let adding = capped.engine.begin(cookieHeader: "id=\(cookie)", logger: capped.logger)
        try await adding.insert("more", 1)
        let error = await #expect(throws: SessionError.self) { try await capped.engine.commit(adding, logger: capped.logger) }
        #expect(error?.isStateRefused == true)
        try await capped.request(cookie: cookie) { _ = try await $0.remove("big") }
        try await capped.request(cookie: cookie) { session async throws in
            #expect(try await session.entries() == ["user_id": "ada"], "a removal is never refused")
        }
        let logout = try await capped.request(cookie: cookie) { try await $0.purge() }
        #expect(logout.isRemoval)
    }

    // MARK: 7. Re-issuing a cookie, and cookie tossing

    @Test(arguments: EngineDriver.allCases) func reissuingTheSameKeySendsTheSameValueBack(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(600)), ttlExtension: .onEveryRequest)
        let (harness, _, _) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        let read = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(read.cookieValue == cookie, "a read re-issues the cookie it got, not a fresh seal")
        let write = try await harness.request(cookie: cookie) { try await $0.insert("n", 1) }
        #expect(write.cookieValue == cookie, "an update under the same key re-issues the same value")
        let renewed = try await harness.request(cookie: cookie) { try await $0.renew(.keyRotation) }
        #expect(renewed.cookieValue != cookie, "a new key is sealed anew")
    }

    @Test func aCookieOpenedWithAPreviousSecretIsSealedAnew() async throws {
        let old = SessionSecret.generate()
        let clock = ManualSessionClock()
        let store = MemorySessionStore(clock: clock)
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(600)), ttlExtension: .onEveryRequest)
        let before = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: old), configuration: configuration, clock: clock))
        let cookie = try await before.login()
        let after = EngineHarness(
            engine: try SessionEngine(store: store, secrets: .init(current: .generate(), previous: [old]), configuration: configuration, clock: clock)
        )
        let read = try await after.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(read.cookieValue != cookie)
    }

    @Test(arguments: EngineDriver.allCases) func aValidCookieBehindForgedOnesIsFoundUpToTheLimit(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        let forged = (0..<CookieHeader.maximumCandidates - 1).map { "id=forged\($0)" }.joined(separator: "; ")
        let found = harness.engine.begin(cookieHeader: forged + "; id=\(cookie)", logger: harness.logger)
        #expect(try await found.get("user_id", as: String.self) == "ada", "tossed cookies ahead of the real one do not hide it")
        let pushedOut = harness.engine.begin(cookieHeader: forged + "; id=forged-last; id=\(cookie)", logger: harness.logger)
        #expect(try await pushedOut.get("user_id", as: String.self) == nil, "past the documented limit the real cookie is not tried")
    }
}
