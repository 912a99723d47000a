import Logging
import SessionsTesting
import Testing

@testable import Sessions

/// Logout is final and a login sticks on the paths two tabs of one browser take: a logout carrying a key
/// another tab's login renewed, a read or write re-sealing a key a login retired, a clear racing a login,
/// a logout followed by an error.
@Suite struct EveryPathTests {
    @Test("a logout carrying a key another tab's login renewed ends the renewed session", arguments: EngineDriver.allCases)
    func logoutThroughARenewedKey(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(["cart": ["pen"]])
        // Tab A logs in: the session moves to a new key.
        let login = try await harness.request(cookie: old) { session async throws in
            try await session.logIn(userID: "ada", userType: "user")
        }
        let new = try #require(login.cookieValue)
        // Tab B still carries the old key; it loads after the renew committed, sees no user, and logs out.
        let logout = try await harness.request(cookie: old) { session async throws in
            #expect(try await session.principal()?.userID == nil)
            try await session.logOut()
        }
        #expect(logout.isRemoval, "a cookie came: the logout removes it")
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.entries().isEmpty, "the session the login moved to ended with the logout")
        }
    }

    @Test("a logout after a key rotation in another tab ends the rotated session", arguments: EngineDriver.allCases)
    func logoutThroughARotatedKey(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(EngineHarness.ada)
        let rotated = try #require(try await harness.request(cookie: old) { try await $0.renew(.keyRotation) }.cookieValue)
        try await harness.request(cookie: old) { try await $0.purge() }
        try await harness.request(cookie: rotated) { session async throws in
            #expect(try await session.principal()?.userID == nil)
        }
    }

    @Test("a cookie sealed with a previous secret is not sent again by a read or a write", arguments: EngineDriver.allCases)
    func noResealWithoutACookieToSet(driver: EngineDriver) async throws {
        let old = SessionSecret.generate()
        for ttlExtension: SessionConfiguration.TTLExtension in [.onStateChanges, .onEveryRequest, .whenRemainingBelow(0.5), .whenRemainingBelow(1)] {
            let configuration = SessionConfiguration(ttlExtension: ttlExtension)
            let (before, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration, secrets: .init(current: old))
            let cookie = try await before.login(EngineHarness.ada)
            let new = SessionSecret.generate()
            let after = EngineHarness(
                engine: try SessionEngine(store: store, secrets: .init(current: new, previous: [old]), configuration: configuration, clock: clock)
            )
            let read = try await after.request(cookie: cookie) { session async throws in
                #expect(try await session.principal()?.userID == "ada")
            }
            #expect(read.headers.setCookies.isEmpty, "a read sets no cookie (\(ttlExtension))")
            let write = try await after.request(cookie: cookie) { try await $0.insert("theme", "dark") }
            #expect(write.headers.setCookies.isEmpty, "a write under the same key sets no browser cookie (\(ttlExtension))")
            let login = try await after.request(cookie: cookie) { try await $0.renew(.newAuthentication) }
            let renewed = try #require(login.cookieValue, "a new key is sealed with the current secret")
            let newOnly = EngineHarness(
                engine: try SessionEngine(store: store, secrets: .init(current: new), configuration: configuration, clock: clock))
            try await newOnly.request(cookie: renewed) { session async throws in
                #expect(try await session.get("theme", as: String.self) == "dark")
            }
        }
    }

    @Test("a read with an old-secret cookie does not undo a login that answered first", arguments: EngineDriver.allCases)
    func aReadCannotUndoALogin(driver: EngineDriver) async throws {
        let old = SessionSecret.generate()
        let (before, store, clock) = try makeMemoryHarness(driver: driver, secrets: .init(current: old))
        let cookie = try await before.login(["cart": ["pen"]])
        let harness = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: .generate(), previous: [old]), clock: clock))
        // Tab B's read loads first; tab A's login commits; then B's response reaches the browser.
        let read = try await harness.loadedRequest(cookie: cookie)
        let login = try await harness.request(cookie: cookie) { try await $0.logIn(userID: "ada", userType: "user") }
        var jar = try #require(login.cookieValue)
        let readHeaders = try await harness.engine.commit(read, logger: harness.logger)
        if let value = EngineHarness.Outcome(headers: readHeaders).cookieValue { jar = value }
        try await harness.request(cookie: jar) { session async throws in
            #expect(try await session.principal()?.userID == "ada", "the browser is still logged in")
        }
    }

    @Test("clearing a session keeps its key and is not a logout", arguments: EngineDriver.allCases)
    func clearKeepsTheKey(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(["cart": ["pen"]])
        store.resetCalls()
        let cleared = try await harness.request(cookie: cookie) { try await $0.clear() }
        #expect(store.calls == ["load", "update"])
        #expect(cleared.headers.setCookies.isEmpty, "the browser keeps its cookie")
        let write = try await harness.request(cookie: cookie) { try await $0.insert("cart", ["ink"]) }
        #expect(write.headers.setCookies.isEmpty, "the next write lands under the same key")
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries() == ["cart": ["ink"]])
        }
    }

    @Test("a clear racing another tab's login leaves the login alone", arguments: EngineDriver.allCases)
    func clearRacingALogin(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(["cart": ["pen"]])
        let emptying = try await harness.loadedRequest(cookie: old)
        let login = try await harness.request(cookie: old) { try await $0.logIn(userID: "ada", userType: "user") }
        let new = try #require(login.cookieValue)
        try await emptying.clear()
        let headers = try await harness.engine.commit(emptying, logger: harness.logger)
        #expect(headers.setCookies.isEmpty, "no removal cookie: the browser may already hold the login's")
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.principal()?.userID == "ada", "the clear of the old key did not end the login")
        }
    }

    @Test("renewing an empty session moves it rather than ending it", arguments: EngineDriver.allCases)
    func renewOfAnEmptySession(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(["cart": ["pen"]])
        try await harness.request(cookie: old) { try await $0.clear() }
        store.resetCalls()
        let renewed = try await harness.request(cookie: old) { try await $0.renew(.keyRotation) }
        #expect(store.calls == ["load", "renew"])
        let new = try #require(renewed.cookieValue)
        #expect(new != old && !new.isEmpty)
        let write = try await harness.request(cookie: new) { try await $0.insert("cart", ["ink"]) }
        #expect(write.headers.setCookies.isEmpty, "the renewed key names a live session")
    }

    @Test("a logout followed by an error removes the cookie, on every built-in store")
    func logoutThenError() async throws {
        struct Failure: Error {}
        let clock = ManualSessionClock()
        let stores: [any SessionStore] = [MemorySessionStore(clock: clock), CookieSessionStore(clock: clock)]
        for store in stores {
            let harness = EngineHarness(engine: try SessionEngine(store: store, secrets: .init(current: .generate()), clock: clock))
            let cookie = try await harness.login(EngineHarness.ada)
            let session = harness.begin(cookie: cookie)
            try await session.logOut()
            let end = await harness.engine.end(session, after: .threw(Failure()), logger: harness.logger)
            guard case .replace(let status, let headers) = end else {
                Issue.record("expected an empty 500 carrying the removal cookie, got \(end) (\(type(of: store)))")
                continue
            }
            #expect(status == 500)
            #expect(EngineHarness.Outcome(headers: headers).isRemoval, "\(type(of: store))")
        }
    }

    @Test("a write whose session ended while it ran answers 409, unless the app opts out", arguments: EngineDriver.allCases)
    func droppedChangesAnswerConflict(driver: EngineDriver) async throws {
        for conflict in [true, false] {
            let configuration = SessionConfiguration(answersDroppedChangesWithConflict: conflict)
            let (harness, _, _) = try makeMemoryHarness(driver: driver, configuration: configuration)
            let cookie = try await harness.login(EngineHarness.ada)
            let slow = try await harness.loadedRequest(cookie: cookie)
            try await harness.request(cookie: cookie) { try await $0.logOut() }
            try await slow.insert("cart", ["pen"])
            let end = await harness.engine.end(slow, after: .answered(status: 200), logger: harness.logger)
            let dropped = SessionResponseHeaders(changesDropped: true)
            #expect(end == (conflict ? .replace(status: 409, adding: dropped) : .respond(adding: dropped)))
        }
    }

    @Test("a login whose session was renewed or logged out first answers 409", arguments: EngineDriver.allCases)
    func aLostRenewAnswersConflict(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(EngineHarness.ada)
        let slowLogin = try await harness.loadedRequest(cookie: cookie)
        try await harness.request(cookie: cookie) { try await $0.logIn(userID: "grace", userType: "user") }
        try await slowLogin.logIn(userID: "mallory", userType: "user")
        #expect(
            await harness.engine.end(slowLogin, after: .answered(status: 200), logger: harness.logger)
                == .replace(status: 409, adding: .init(changesDropped: true)))
        // A write with the old key after that, within the grace period: its tombstone drops it.
        let late = harness.begin(cookie: cookie)
        try await late.insert("cart", ["pen"])
        #expect(
            await harness.engine.end(late, after: .answered(status: 200), logger: harness.logger)
                == .replace(status: 409, adding: .init(changesDropped: true)))
    }

    @Test("an error response keeps its status, and a read or a TTL refresh of an ended session is no conflict", arguments: EngineDriver.allCases)
    func whatIsNoConflict(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(ttlExtension: .onEveryRequest)
        let (harness, _, _) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login(EngineHarness.ada)
        let forbidden = try await harness.loadedRequest(cookie: cookie)
        let reader = try await harness.loadedRequest(cookie: cookie)
        try await harness.request(cookie: cookie) { try await $0.logOut() }
        try await forbidden.insert("attempts", 1)
        #expect(
            await harness.engine.end(forbidden, after: .answered(status: 403), logger: harness.logger)
                == .respond(adding: .init(changesDropped: true)))
        #expect(await harness.engine.end(reader, after: .answered(status: 200), logger: harness.logger) == .respond(adding: .init()))
    }

    @Test("an error without a logout is passed on unchanged", arguments: EngineDriver.allCases)
    func errorWithoutLogout(driver: EngineDriver) async throws {
        struct Failure: Error {}
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(EngineHarness.ada)
        let session = harness.begin(cookie: cookie)
        try await session.insert("a", 1)
        #expect(await harness.engine.end(session, after: .threw(Failure()), logger: harness.logger) == .rethrow)
    }
}

extension EveryPathTests {
    @Test("a slow logout follows a login made 2 s earlier however short the grace period", arguments: EngineDriver.allCases)
    func aShortGraceKeepsTombstonesForTheLongestRequest(driver: EngineDriver) async throws {
        let configuration = SessionConfiguration(staleCookieGracePeriod: .seconds(1))
        #expect(configuration.tombstoneLifetime == .seconds(60))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let old = try await harness.login(EngineHarness.ada)
        let slowLogout = try await harness.loadedRequest(cookie: old)
        let login = try await harness.request(cookie: old) { try await $0.logIn(userID: "ada", userType: "user") }
        let new = try #require(login.cookieValue)
        clock.advance(by: .seconds(2))
        try await slowLogout.logOut()
        _ = try await harness.engine.commit(slowLogout, logger: harness.logger)
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.principal()?.userID == nil, "the logout followed the renew")
        }
    }

    @Test("a longest request outside 1 s to a day is refused at startup")
    func longestRequestIsValidated() throws {
        for bad in [Duration.zero, .milliseconds(500), .seconds(86_401)] {
            #expect(throws: SessionConfigurationError.self) { try SessionConfiguration(longestRequest: bad).validate() }
        }
        try SessionConfiguration(staleCookieGracePeriod: .seconds(1), longestRequest: .seconds(1)).validate()
    }
}

extension EveryPathTests {
    @Test("a bare key rotation that lost to another request's renew is no conflict", arguments: EngineDriver.allCases)
    func aLostBareRotationIsNoConflict(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(EngineHarness.ada)
        let loser = try await harness.loadedRequest(cookie: cookie)
        try await harness.request(cookie: cookie) { try await $0.renew(.keyRotation) }
        try await loser.renew(.keyRotation)
        #expect(await harness.engine.end(loser, after: .answered(status: 200), logger: harness.logger) == .respond(adding: .init()))
    }

    @Test("a clear carrying a key a login renewed moments ago answers 409", arguments: EngineDriver.allCases)
    func aStaleClearAnswersConflict(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let old = try await harness.login(["cart": ["pen"]])
        let new = try #require(try await harness.request(cookie: old) { try await $0.logIn(userID: "ada", userType: "user") }.cookieValue)
        let stale = harness.begin(cookie: old)
        try await stale.clear()
        #expect(
            await harness.engine.end(stale, after: .answered(status: 200), logger: harness.logger)
                == .replace(status: 409, adding: .init(changesDropped: true)))
        try await harness.request(cookie: new) { session async throws in
            #expect(try await session.get("cart", as: [String].self) == ["pen"], "the login's session kept its cart")
        }
    }

    @Test("a logout followed by an error leaves tombstones: a write with the old key is dropped", arguments: EngineDriver.allCases)
    func anAbandonedLogoutLeavesTombstones(driver: EngineDriver) async throws {
        struct Failure: Error {}
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login(EngineHarness.ada)
        let logout = harness.begin(cookie: cookie)
        try await logout.logOut()
        _ = await harness.engine.end(logout, after: .threw(Failure()), logger: harness.logger)
        let late = harness.begin(cookie: cookie)
        try await late.insert("cart", ["pen"])
        #expect(
            await harness.engine.end(late, after: .answered(status: 200), logger: harness.logger)
                == .replace(status: 409, adding: .init(changesDropped: true)))
    }
}
