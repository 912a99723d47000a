import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Sessions
import SessionsHummingbird
import SessionsRedis
import TestSupport
import Testing

/// The Redis store seen through the Hummingbird adapter: how many round trips a request costs
/// (`RedisDisruptionTests` covers Redis going away and coming back).
@Suite(.tags(.redis, .hummingbird)) struct RedisThroughHummingbirdTests {
    static func withApp(
        client: RedisClient,
        _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware {
            HTTPSessionMiddleware(store: store, secrets: SessionSecrets(current: .generate()))
        }
        router.get("/count") { _, context -> String in
            String(
                try await context.httpSession.update("n", as: Int.self) { count in
                    count = (count ?? 0) + 1
                    return count!
                })
        }
        router.get("/read") { _, context -> String in
            String(try await context.httpSession.get("n", as: Int.self) ?? 0)
        }
        router.get("/plain") { _, _ -> String in "ok" }
        let app = Application(router: router, logger: Logger(label: "redis-hummingbird-test"))
        try await app.test(.router) { http in try await test(http) }
    }

    @Test func aReadCostsOneRoundTripAndAChangeTwo() async throws {
        try await TestRedis.withClient { client async throws in
            try await Self.withApp(client: client) { http async throws in
                // The scripts cached first: on a server that has not seen them yet, a script's first use is an
                // `EVALSHA` answered `NOSCRIPT`, then an `EVAL`.
                let warmUp = TestBrowser()
                for _ in 0..<2 { _ = try await warmUp.send(.get, "/count", client: http) }
                let browser = TestBrowser()
                func roundTrips(_ path: String) async throws -> Int {
                    let before = client.commandsSent
                    let reply = try await browser.send(.get, path, client: http)
                    #expect(reply.status == .ok)
                    return client.commandsSent - before
                }
                #expect(try await roundTrips("/count") == 1, "a new session is one save")
                #expect(try await roundTrips("/count") == 2, "a change is a load and an update")
                #expect(try await roundTrips("/read") == 1, "a read is one load")
                #expect(try await roundTrips("/plain") == 0, "a request that never touches the session costs nothing")
                #expect(try await browser.send(.get, "/read", client: http).body == "2")
            }
        }
    }
}
