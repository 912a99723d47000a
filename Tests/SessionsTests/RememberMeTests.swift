import FoundationEssentials
import Sessions
import SessionsTesting
import Testing

/// A lifecycle chosen by one session ("remember me"), held on every later request until a logout or a clear.
@Suite("Remember me: a lifecycle of the session's own")
struct RememberMeTests {
    /// Browser-session cookies whose state lives 100 seconds, unless a session chooses otherwise.
    static func harness(driver: EngineDriver, absoluteTimeout: Int? = nil) throws -> (
        EngineHarness, RecordingSessionStore<MemorySessionStore>, ManualSessionClock
    ) {
        let configuration = SessionConfiguration(
            lifecycle: .browserSession(stateTTL: .seconds(100)), absoluteTimeout: absoluteTimeout.map { .seconds($0) })
        return try makeMemoryHarness(driver: driver, configuration: configuration)
    }

    static let remembered = SessionLifecycle.persistent(ttl: .seconds(1000))

    @Test("a remembered session moves to a new key with a persistent cookie and outlives the configured TTL", arguments: EngineDriver.allCases)
    func aRememberedSessionOutlivesTheConfiguredTTL(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver)
        let anonymous = try await harness.login()
        let remember = try await harness.request(cookie: anonymous) { try await $0.setLifecycle(Self.remembered) }
        let cookie = try #require(remember.cookieValue)
        #expect(remember.headers.setCookies.count == 1)
        #expect(remember.headers.setCookies.first?.contains("Max-Age=1000") == true)
        #expect(cookie != anonymous, "a new choice moves the session to a new key")
        clock.advance(by: .seconds(400))
        let later = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "alive past the configured 100 seconds")
            try await session.insert("theme", "dark")
        }
        #expect(later.headers.setCookies.first?.contains("Max-Age=1000") == true, "every write re-sends the persistent cookie")
        clock.advance(by: .seconds(1001))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "idle past its own TTL, it ended")
        }
    }

    @Test("a request still carrying the key before the choice cannot write back the old lifecycle", arguments: EngineDriver.allCases)
    func aStaleRequestCannotUndoTheChoice(driver: EngineDriver) async throws {
        let (harness, _, _) = try Self.harness(driver: driver)
        let before = try await harness.login()
        let remember = try await harness.request(cookie: before) { try await $0.setLifecycle(Self.remembered) }
        let cookie = try #require(remember.cookieValue)
        let stale = try await harness.request(cookie: before) { try await $0.insert("theme", "dark") }
        #expect(stale.headers.setCookies.isEmpty, "the old key sends no cookie over the remembered one")
        #expect(stale.headers.changesDropped, "its write is dropped, as after a login")
        let write = try await harness.request(cookie: cookie) { try await $0.insert("theme", "light") }
        #expect(write.headers.setCookies.first?.contains("Max-Age=1000") == true, "the choice stands")
    }

    @Test("a login then remember me in one request: one new key, and its cookie is persistent", arguments: EngineDriver.allCases)
    func rememberedAtLogin(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver)
        let anonymous = try await harness.login(["theme": "dark"])
        let login = try await harness.request(cookie: anonymous) { session async throws in
            try await session.logIn(userID: "ada", userType: "user")
            try await session.setLifecycle(Self.remembered)
        }
        let cookie = try #require(login.cookieValue)
        #expect(cookie != anonymous, "the login renewed the key")
        #expect(login.headers.setCookies.count == 1)
        #expect(login.headers.setCookies.first?.contains("Max-Age=1000") == true)
        clock.advance(by: .seconds(600))
        let read = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.principal()?.userID == "ada")
        }
        #expect(read.headers.setCookies.first?.contains("Max-Age=1000") == true, "400 of 1000 seconds left: restarted, cookie re-sent")
    }

    @Test("back to the configuration's lifecycle; the same choice twice changes nothing; a clear drops it", arguments: EngineDriver.allCases)
    func forgetting(driver: EngineDriver) async throws {
        let (harness, store, _) = try Self.harness(driver: driver)
        let first = try await harness.login()
        let remembered = try #require(try await harness.request(cookie: first) { try await $0.setLifecycle(Self.remembered) }.cookieValue)
        store.resetCalls()
        let again = try await harness.request(cookie: remembered) { try await $0.setLifecycle(Self.remembered) }
        #expect(again.headers.setCookies.isEmpty, "the same choice again: no new key, no cookie")
        #expect(store.calls == ["load"], "and no write")
        let forget = try await harness.request(cookie: remembered) { try await $0.setLifecycle(nil) }
        let forgotten = try #require(forget.cookieValue)
        #expect(forgotten != remembered)
        #expect(forget.headers.setCookies.first?.contains("Max-Age") == false, "a browser-session cookie under the new key")
        let write = try await harness.request(cookie: forgotten) { try await $0.insert("theme", "dark") }
        #expect(write.headers.setCookies.isEmpty, "a browser-session cookie is not sent again")
        store.resetCalls()
        _ = try await harness.request(cookie: forgotten) { try await $0.setLifecycle(nil) }
        #expect(store.calls == ["load"], "forgetting a session with no choice writes nothing")

        let rememberedAgain = try #require(
            try await harness.request(cookie: forgotten) { try await $0.setLifecycle(Self.remembered) }.cookieValue)
        let cleared = try await harness.request(cookie: rememberedAgain) { try await $0.clear() }
        #expect(cleared.headers.setCookies.isEmpty, "a clear keeps the key and sends nothing: the browser keeps its cookie")
        let afterClear = try await harness.request(cookie: rememberedAgain) { try await $0.insert("theme", "dark") }
        #expect(afterClear.headers.setCookies.isEmpty, "the choice is gone: no persistent cookie is re-sent")
    }

    @Test("a handler that fails after choosing a lifecycle ends nothing", arguments: EngineDriver.allCases)
    func aFailureAfterTheChoiceKeepsTheSession(driver: EngineDriver) async throws {
        let (harness, _, _) = try Self.harness(driver: driver)
        let cookie = try await harness.login()
        let session = harness.engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        try await session.setLifecycle(Self.remembered)
        let abandoned = await harness.engine.abandon(session, logger: harness.logger)
        #expect(abandoned.setCookies.isEmpty)
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "the session and its key are as they were")
        }
    }

    @Test("forgetting after a clear still moves the key and sends a browser-session cookie", arguments: EngineDriver.allCases)
    func forgettingAfterAClear(driver: EngineDriver) async throws {
        let (harness, _, _) = try Self.harness(driver: driver)
        let anonymous = try await harness.login()
        let remembered = try #require(try await harness.request(cookie: anonymous) { try await $0.setLifecycle(Self.remembered) }.cookieValue)
        let forget = try await harness.request(cookie: remembered) { session async throws in
            try await session.clear()
            try await session.setLifecycle(nil)
        }
        let forgotten = try #require(forget.cookieValue)
        #expect(forgotten != remembered)
        #expect(forget.headers.setCookies.first?.contains("Max-Age") == false, "the persistent cookie is replaced")
    }

    @Test("the absolute timeout caps a remembered session", arguments: EngineDriver.allCases)
    func theAbsoluteTimeoutCapsIt(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver, absoluteTimeout: 300)
        let anonymous = try await harness.login()
        let remember = try await harness.request(cookie: anonymous) { try await $0.setLifecycle(Self.remembered) }
        #expect(remember.headers.setCookies.first?.contains("Max-Age=300") == true, "a key rotation keeps the window's start")
        let cookie = try #require(remember.cookieValue)
        clock.advance(by: .seconds(300))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
    }

    @Test("only setLifecycle writes the entry, and only a TTL from a second to ten years")
    func theEntryIsReserved() async throws {
        let (harness, _, _) = try Self.harness(driver: .immediate)
        _ = try await harness.request { session async throws in
            let reserved = await #expect(throws: SessionError.self) { try await session.insert(HTTPSession.lifecycleEntry, ["ttl_ms": 1]) }
            #expect(reserved?.kind == .reservedEntry)
            #expect(reserved?.httpStatus == 400)
            #expect(reserved?.description.contains("setLifecycle") == true)
            await #expect(throws: SessionError.self) { try await session.remove(HTTPSession.lifecycleEntry) }
            for ttl: Duration in [.zero, .seconds(-1), .milliseconds(999), .seconds(11 * 366 * 86_400)] {
                let invalid = await #expect(throws: SessionError.self) { try await session.setLifecycle(.persistent(ttl: ttl)) }
                #expect(invalid?.kind == .invalidLifecycle)
            }
        }
    }

    @Test(
        "a stored lifecycle that is none falls back to the configuration's",
        arguments: [
            JSONValue.string("forever"), ["persistent": true, "ttl_ms": -5], ["persistent": true, "ttl_ms": .integer(.max)],
            ["persistent": "yes", "ttl_ms": 1000],
        ])
    func aMalformedLifecycleIsIgnored(stored: JSONValue) async throws {
        let (harness, _, clock) = try Self.harness(driver: .immediate)
        let outcome = try await harness.request { session in try await session.load().insertUnchecked(HTTPSession.lifecycleEntry, stored) }
        let cookie = try #require(outcome.cookieValue)
        #expect(outcome.headers.setCookies.first?.contains("Max-Age") == false)
        clock.advance(by: .seconds(101))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "the configured 100 seconds applied")
        }
    }

    @Test("a logout ends a remembered session like any other", arguments: EngineDriver.allCases)
    func aLogoutEndsIt(driver: EngineDriver) async throws {
        let (harness, _, _) = try Self.harness(driver: driver)
        let anonymous = try await harness.login()
        let cookie = try #require(try await harness.request(cookie: anonymous) { try await $0.setLifecycle(Self.remembered) }.cookieValue)
        let logout = try await harness.request(cookie: cookie) { try await $0.logOut() }
        #expect(logout.headers.setCookies.first?.contains("Max-Age=0") == true)
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
    }

    @Test("a failed TTL restart is logged and the read still answers")
    func aFailedRestartDoesNotFailTheRead() async throws {
        let clock = ManualSessionClock()
        let memory = MemorySessionStore(clock: clock)
        let store = RestartRefusingStore(base: memory)
        let engine = try SessionEngine(
            store: store, secrets: .init(current: .generate()),
            configuration: SessionConfiguration(lifecycle: .persistent(ttl: .seconds(100))), clock: clock)
        let harness = EngineHarness(engine: engine)
        let cookie = try await harness.login()
        clock.advance(by: .seconds(60))
        let read = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
        #expect(read.headers.setCookies.isEmpty, "no restart, so no cookie; and no error")
    }

    /// The memory store, except that every TTL restart fails, as a store refusing writes would.
    struct RestartRefusingStore: MemoryForwardingStore {
        struct Refused: Error {}
        let base: MemorySessionStore
        func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? { try await base.loadRecord(key) }
        func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { throw .other(Refused()) }
    }
}
