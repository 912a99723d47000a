import Crypto
import FoundationEssentials
import Sessions
import SessionsTesting
import Testing

@Suite struct MemorySessionStoreTests {
    @Test func keysAreStoredHashedNeverRaw() async throws {
        let store = MemorySessionStore()
        let key = try await store.save(SessionState(["user_id": "ada"], createdAt: .now), ttl: .seconds(60))
        #expect(store.storedKeys == [Array(SHA256.hash(data: Array(key.rawValue.utf8)))], "filed under the SHA-256 of the key")
        #expect(store.storedKeys.allSatisfy { !$0.starts(with: Array(key.rawValue.utf8).prefix(16)) }, "the raw key is nowhere")
    }

    @Test func sweepRemovesOnlyExpiredSessions() async throws {
        let clock = ManualSessionClock()
        let store = MemorySessionStore(clock: clock)
        _ = try await store.save(SessionState(["a": 1], createdAt: clock.now), ttl: .seconds(10))
        let kept = try await store.save(SessionState(["b": 2], createdAt: clock.now), ttl: .seconds(100))
        clock.advance(by: .seconds(11))
        #expect(store.count == 2, "expired entries linger until read or swept")
        #expect(store.sweep() == 1)
        #expect(store.count == 1)
        #expect(try await store.load(kept)?["b"] == 2)
    }

    @Test func capacityBoundsTheStoreAndExpiredEntriesMakeRoom() async throws {
        let clock = ManualSessionClock()
        let store = MemorySessionStore(configuration: .init(capacity: 2), clock: clock)
        let state = SessionState(["a": 1], createdAt: clock.now)
        _ = try await store.save(state, ttl: .seconds(10))
        _ = try await store.save(state, ttl: .seconds(100))
        do {
            _ = try await store.save(state, ttl: .seconds(100))
            Issue.record("a full store must refuse a new session")
        } catch {
            #expect(error.kind == .other)
            #expect("\(error)".contains("capacity 2"))
        }
        clock.advance(by: .seconds(11))
        _ = try await store.save(state, ttl: .seconds(100))
        #expect(store.count == 2)
    }

    @Test func theSweeperServiceStopsWhenCancelled() async throws {
        let clock = ManualSessionClock()
        let store = MemorySessionStore(configuration: .init(sweepInterval: .milliseconds(1)), clock: clock)
        _ = try await store.save(SessionState(["a": 1], createdAt: clock.now), ttl: .seconds(1))
        clock.advance(by: .seconds(2))
        let sweeper = Task { try await store.run() }
        // The sweeper works in the background on its own schedule: wait for its effect, bounded.
        let deadline = ContinuousClock.now + .seconds(30)
        while store.count > 0 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(store.count == 0, "the background sweeper removed the expired session")
        sweeper.cancel()
        try await sweeper.value
    }
}

@Suite struct CookieSessionStoreTests {
    @Test func aCopiedCookieDiesWithItsEmbeddedTTL() async throws {
        let clock = ManualSessionClock()
        let engine = try SessionEngine(
            store: CookieSessionStore(clock: clock),
            secrets: .init(current: .generate()),
            configuration: .init(lifecycle: .persistent(ttl: .seconds(600))),
            clock: clock
        )
        let harness = EngineHarness(engine: engine)
        let cookie = try await harness.login()
        clock.advance(by: .seconds(599))
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
        clock.advance(by: .seconds(2))
        let replay = try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == nil, "the server refuses the copy even if a browser kept it")
        }
        #expect(replay.headers.isEmpty, "an expired cookie merely fails to resolve: no removal cookie")
    }

    @Test func everyChangeIssuesANewCookieHoldingTheState() async throws {
        let engine = try SessionEngine(store: CookieSessionStore(), secrets: .init(current: .generate()))
        let harness = EngineHarness(engine: engine)
        let first = try await harness.login()
        let changed = try await harness.request(cookie: first) { try await $0.insert("counter", 1) }
        let second = try #require(changed.cookieValue)
        #expect(second != first)
        try await harness.request(cookie: second) { session async throws in
            #expect(try await session.entries() == ["user_id": "ada", "counter": 1])
        }
    }

    @Test func signedCookiesWorkToo() async throws {
        let engine = try SessionEngine(store: CookieSessionStore(), secrets: .init(current: .generate()), configuration: .init(security: .signed))
        let harness = EngineHarness(engine: engine)
        let cookie = try await harness.login(["user_id": "ada"])
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("user_id", as: String.self) == "ada")
        }
    }
}
