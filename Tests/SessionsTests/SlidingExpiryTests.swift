import FoundationEssentials
import Sessions
import SessionsTesting
import Testing

/// The default TTL extension: a session that is only read stays alive, at one store write per half TTL.
@Suite("Sliding expiry, restarted when less than a fraction of the TTL is left")
struct SlidingExpiryTests {
    static let ttl = 100

    static func configuration(
        persistent: Bool = false, _ ttlExtension: SessionConfiguration.TTLExtension = .default, absoluteTimeout: Int? = nil
    ) -> SessionConfiguration {
        SessionConfiguration(
            lifecycle: persistent ? .persistent(ttl: .seconds(ttl)) : .browserSession(stateTTL: .seconds(ttl)),
            ttlExtension: ttlExtension,
            absoluteTimeout: absoluteTimeout.map { .seconds($0) }
        )
    }

    @Test("a session that is only read stays alive, restarted once per half TTL", arguments: EngineDriver.allCases)
    func aReaderStaysLoggedIn(driver: EngineDriver) async throws {
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration())
        let cookie = try await harness.login()
        var restarts = 0
        // Ten minutes of a read every 20 seconds: six TTLs, none of them without a request.
        for _ in 0..<30 {
            clock.advance(by: .seconds(20))
            store.resetCalls()
            let outcome = try await harness.request(cookie: cookie) { session async throws in
                #expect(try await session.get("user_id", as: String.self) == "ada")
            }
            #expect(outcome.headers.isEmpty, "a browser-session cookie is never sent again")
            if store.calls == ["load", "updateTTL"] { restarts += 1 } else { #expect(store.calls == ["load"]) }
        }
        // Restarts come at 60, 120, ... seconds: the first read to find less than 50 of 100 seconds left.
        #expect(restarts == 10, "one TTL restart per 60 seconds of reads at 20-second intervals")
        clock.advance(by: .seconds(Self.ttl + 1))
        let expired = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "a session nobody reads still expires")
        }
        #expect(expired.headers.isEmpty)
    }

    @Test("the first read past half the TTL restarts it; the next does not", arguments: EngineDriver.allCases)
    func theRestartComesPastHalfway(driver: EngineDriver) async throws {
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration())
        let cookie = try await harness.login()
        clock.advance(by: .seconds(50))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load"], "exactly half left is not less than half")
        clock.advance(by: .seconds(1))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load", "updateTTL"])
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load"], "the restart is what the next read sees")
        clock.advance(by: .seconds(99))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada", "alive 150 seconds after its last write")
        }
    }

    @Test("a write restarts the TTL, so no read restarts it again before half of it has passed", arguments: EngineDriver.allCases)
    func aWriteCountsAsARestart(driver: EngineDriver) async throws {
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration())
        let cookie = try await harness.login()
        clock.advance(by: .seconds(45))
        _ = try await harness.request(cookie: cookie) { try await $0.insert("theme", "dark") }
        clock.advance(by: .seconds(45))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load"], "55 of 100 seconds are left since the write")
    }

    @Test("a request that never reads its session restarts nothing", arguments: EngineDriver.allCases)
    func anUntouchedSessionIsNotRestarted(driver: EngineDriver) async throws {
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration())
        let cookie = try await harness.login()
        clock.advance(by: .seconds(90))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie)
        #expect(store.calls.isEmpty)
    }

    @Test("a persistent cookie's Max-Age is sent again with each restart, and only then", arguments: EngineDriver.allCases)
    func aPersistentCookieFollowsTheRestart(driver: EngineDriver) async throws {
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration(persistent: true))
        let cookie = try await harness.login()
        clock.advance(by: .seconds(30))
        let early = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(early.headers.setCookies.isEmpty)
        clock.advance(by: .seconds(30))
        let restarted = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(restarted.headers.setCookies.count == 1)
        #expect(restarted.headers.setCookies.first?.contains("Max-Age=100") == true)
        #expect(restarted.cookieValue == cookie, "the same key, sent again with a new Max-Age")
    }

    @Test("a persistent TTL over 400 days restarts by what the cookie has left, before the browser drops it", arguments: EngineDriver.allCases)
    func aLongTTLFollowsTheCookiesCap(driver: EngineDriver) async throws {
        let day = 86_400
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(1000 * day)))
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        clock.advance(by: .seconds(150 * day))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load"], "250 of the cookie's 400 days left")
        clock.advance(by: .seconds(60 * day))
        let restarted = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(restarted.headers.setCookies.first?.contains("Max-Age=34560000") == true, "190 days left: sent again for 400 days")
    }

    @Test("a persistent TTL over 400 days cut by the absolute timeout still restarts before the cookie dies", arguments: EngineDriver.allCases)
    func aLongTTLCutByTheAbsoluteTimeout(driver: EngineDriver) async throws {
        let day = 86_400
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(730 * day)), absoluteTimeout: .seconds(1095 * day))
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: configuration)
        let cookie = try await harness.login()
        clock.advance(by: .seconds(365 * day))
        let first = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(first.headers.setCookies.count == 1, "35 of the cookie's days left: restarted up to the deadline")
        clock.advance(by: .seconds(235 * day))
        let second = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(second.headers.setCookies.count == 1, "the cookie sent on day 365 dies on day 765: sent again on day 600")
    }

    @Test("near the absolute timeout a restart reaches only the deadline, and reads past it restart nothing", arguments: EngineDriver.allCases)
    func theAbsoluteTimeoutBoundsTheRestart(driver: EngineDriver) async throws {
        let (harness, store, clock) = try makeMemoryHarness(driver: driver, configuration: Self.configuration(absoluteTimeout: 150))
        let cookie = try await harness.login()
        clock.advance(by: .seconds(60))
        store.resetCalls()
        _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
        #expect(store.calls == ["load", "updateTTL"], "40 of 100 seconds left: restarted, up to the deadline at 150")
        for _ in 0..<8 {
            clock.advance(by: .seconds(10))
            store.resetCalls()
            _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
            #expect(store.calls == ["load"], "what is left is all a restart could give: no write")
        }
        clock.advance(by: .seconds(10))
        _ = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.entries().isEmpty, "the absolute timeout ends it")
        }
    }

    @Test("a store that cannot say when a session expires gets the TTL restarted on every read")
    func anUnknownExpiryRestartsEveryRead() async throws {
        let clock = ManualSessionClock()
        let store = RecordingSessionStore(ExpiryHidingStore(base: MemorySessionStore(clock: clock)))
        let harness = EngineHarness(
            engine: try SessionEngine(store: store, secrets: .init(current: .generate()), configuration: Self.configuration(), clock: clock))
        let cookie = try await harness.login()
        for _ in 0..<3 {
            clock.advance(by: .seconds(1))
            store.resetCalls()
            _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
            #expect(store.calls == ["load", "updateTTL"])
        }
    }

    @Test("on-state-changes never restarts a read session; on-every-request always does")
    func theOtherPoliciesAreUnchanged() async throws {
        for (policy, expected) in [(SessionConfiguration.TTLExtension.onStateChanges, ["load"]), (.onEveryRequest, ["load", "updateTTL"])] {
            let (harness, store, clock) = try makeMemoryHarness(driver: .immediate, configuration: Self.configuration(policy))
            let cookie = try await harness.login()
            for seconds in [1, 80] {
                clock.advance(by: .seconds(seconds))
                store.resetCalls()
                _ = try await harness.request(cookie: cookie) { _ = try await $0.entries() }
                #expect(store.calls == expected, "\(policy) after \(seconds) s")
            }
        }
    }

    @Test("a fraction outside (0, 1] is refused at startup", arguments: [0, -0.5, 1.5, .nan, .infinity])
    func aFractionOutsideTheRangeIsRefused(fraction: Double) {
        #expect(throws: SessionConfigurationError.self) { try Self.configuration(.whenRemainingBelow(fraction)).validate() }
    }

    @Test("the default is half, and one is accepted")
    func theDefaultIsHalf() throws {
        #expect(SessionConfiguration().ttlExtension == .whenRemainingBelow(0.5))
        try Self.configuration(.whenRemainingBelow(1)).validate()
        #expect("\(SessionConfiguration.TTLExtension.whenRemainingBelow(0.25))" == "whenRemainingBelow(0.25)")
    }
}

/// The memory store behind the five calls alone: ``SessionStore/loadRecord(_:)``'s default reports no expiry.
struct ExpiryHidingStore: MemoryForwardingStore {
    let base: MemorySessionStore
}
