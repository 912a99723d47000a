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

    @Test("a remembered session gets a persistent cookie and outlives the configured TTL", arguments: EngineDriver.allCases)
    func aRememberedSessionOutlivesTheConfiguredTTL(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver)
        let cookie = try await harness.login()
        let remember = try await harness.request(cookie: cookie) { try await $0.setLifecycle(Self.remembered) }
        #expect(remember.headers.setCookies.count == 1, "the same key, sent again with a Max-Age")
        #expect(remember.headers.setCookies.first?.contains("Max-Age=1000") == true)
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

    @Test("a login then remember me in one request: the new key's cookie is persistent", arguments: EngineDriver.allCases)
    func rememberedAtLogin(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver)
        let anonymous = try await harness.login(["theme": "dark"])
        let login = try await harness.request(cookie: anonymous) { session async throws in
            try await session.logIn(userID: "ada", userType: "user")
            try await session.setLifecycle(Self.remembered)
        }
        let cookie = try #require(login.cookieValue)
        #expect(cookie != anonymous, "the login renewed the key")
        #expect(login.headers.setCookies.first?.contains("Max-Age=1000") == true)
        clock.advance(by: .seconds(600))
        let read = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.principal()?.userID == "ada")
        }
        #expect(read.headers.setCookies.first?.contains("Max-Age=1000") == true, "400 of 1000 seconds left: restarted, cookie re-sent")
    }

    @Test("back to a browser-session cookie, by a call or by a clear", arguments: EngineDriver.allCases)
    func forgettingSendsABrowserSessionCookie(driver: EngineDriver) async throws {
        let (harness, _, _) = try Self.harness(driver: driver)
        let cookie = try await harness.login()
        _ = try await harness.request(cookie: cookie) { try await $0.setLifecycle(Self.remembered) }
        let forget = try await harness.request(cookie: cookie) { try await $0.setLifecycle(.browserSession(stateTTL: .seconds(100))) }
        #expect(forget.headers.setCookies.count == 1)
        #expect(forget.headers.setCookies.first?.contains("Max-Age") == false, "a cookie without Max-Age replaces the persistent one")
        let write = try await harness.request(cookie: cookie) { try await $0.insert("theme", "dark") }
        #expect(write.headers.setCookies.isEmpty, "a browser-session cookie is not sent again")

        _ = try await harness.request(cookie: cookie) { try await $0.setLifecycle(Self.remembered) }
        let cleared = try await harness.request(cookie: cookie) { try await $0.clear() }
        #expect(cleared.headers.setCookies.first?.contains("Max-Age") == false, "a clear drops the session's own lifecycle")
        let plainClear = try await harness.request(cookie: cookie) { try await $0.clear() }
        #expect(plainClear.headers.setCookies.isEmpty, "a clear of a session without its own lifecycle sets no cookie")
    }

    @Test("the absolute timeout caps a remembered session", arguments: EngineDriver.allCases)
    func theAbsoluteTimeoutCapsIt(driver: EngineDriver) async throws {
        let (harness, _, clock) = try Self.harness(driver: driver, absoluteTimeout: 300)
        let cookie = try await harness.login()
        let remember = try await harness.request(cookie: cookie) { try await $0.setLifecycle(Self.remembered) }
        #expect(remember.headers.setCookies.first?.contains("Max-Age=300") == true)
        clock.advance(by: .seconds(300))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
    }

    @Test("only setLifecycle writes the entry, and only a valid TTL")
    func theEntryIsReserved() async throws {
        let (harness, _, _) = try Self.harness(driver: .immediate)
        _ = try await harness.request { session async throws in
            let reserved = await #expect(throws: SessionError.self) { try await session.insert(HTTPSession.lifecycleEntry, ["ttl_ms": 1]) }
            #expect(reserved?.kind == .reservedEntry)
            #expect(reserved?.httpStatus == 400)
            #expect(reserved?.description.contains("setLifecycle") == true)
            await #expect(throws: SessionError.self) { try await session.remove(HTTPSession.lifecycleEntry) }
            for ttl: Duration in [.zero, .seconds(-1), .seconds(11 * 366 * 86_400)] {
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
        let cookie = try await harness.login()
        _ = try await harness.request(cookie: cookie) { try await $0.setLifecycle(Self.remembered) }
        let logout = try await harness.request(cookie: cookie) { try await $0.logOut() }
        #expect(logout.headers.setCookies.first?.contains("Max-Age=0") == true)
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty)
        }
    }
}
