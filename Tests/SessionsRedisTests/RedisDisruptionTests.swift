import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import SessionsRedis
import TestSupport
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Tests that disturb their Redis server (stop it, flush its script cache) run one at a time against the
/// outage server, never the shared one: a flushed script cache costs every other test's next script an
/// extra round trip, which the round-trip counting test would see.
@Suite(.serialized) struct RedisDisruptionTests {
    @Test func updatesSurviveAFlushedScriptCache() async throws {
        try await TestRedis.withClient(.outage) { client async throws in
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            let key = try await store.save(SessionState(["a": 1], createdAt: .now), ttl: .seconds(60))
            _ = try await client.send(["SCRIPT", "FLUSH"])
            var state = SessionState(["a": 1, "b": 2], createdAt: .now)
            #expect(try await store.update(key, to: state, changes: .init(setKeys: ["b"]), ttl: .seconds(60)) == .updated(key))
            _ = try await client.send(["SCRIPT", "FLUSH"])
            state["a"] = nil
            #expect(try await store.update(key, to: state, changes: .init(removedKeys: ["a"]), ttl: .seconds(60)) == .updated(key))
            #expect(try await store.load(key)?.entries == ["b": 2])
            try await store.delete(key)
        }
    }

    @Test func aStoppedRedisIsAnEmpty500AndTheAppRecoversWhenItReturns() async throws {
        try await TestRedis.withClient(.outage, configure: { $0.commandTimeout = .seconds(2); $0.connectTimeout = .seconds(2) }) {
            client async throws in
            try await RedisThroughHummingbirdTests.withApp(client: client) { http async throws in
                let browser = TestBrowser()
                #expect(try await browser.send(.get, "/count", client: http).body == "1")
                #expect(try await browser.send(.get, "/count", client: http).body == "2")

                try await TestRedis.control(.outage, "STOP")
                let failed = try await browser.send(.get, "/count", client: http)
                #expect(failed.status == .internalServerError)
                #expect(failed.body.isEmpty, "the store's failure is not shown to the client")
                #expect(failed.setCookies.isEmpty, "a failed request leaves the cookie alone")

                try await TestRedis.control(.outage, "START")
                let recovered = try await browser.send(.get, "/count", client: http)
                #expect(recovered.status == .ok, "the pool reconnects by itself")
                #expect(recovered.body == "3", "the session written before the outage survived it")
            }
        }
    }
}
