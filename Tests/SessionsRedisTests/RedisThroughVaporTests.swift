import Sessions
import SessionsRedis
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

/// The Redis store on Vapor: its client starts and stops with the application (`SessionServices`).
@Suite(.tags(.redis, .vapor)) struct RedisThroughVaporTests {
    @Test("the Redis client serves while the app runs and is closed by the app's shutdown")
    func theClientFollowsTheApplication() async throws {
        let secrets = SessionSecrets(current: .generate())
        let client = try RedisClient(configuration: RedisClientConfiguration(url: try TestRedis.url()))
        let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
        let app = try await Application.make(.testing)
        app.lifecycle.use(SessionServices(client))  // closes the connections at shutdown
        app.middleware.use(HTTPSessionMiddleware(store: store, secrets: secrets))
        app.get("counter") { request async throws -> String in
            "\(try await request.httpSession.update("counter", default: 0) { $0 += 1 })"
        }
        do {
            try await app.asyncBoot()
            let first = try await app.testing().sendRequest(.GET, "counter")
            let cookie = try #require(first.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) })
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect([first.body.string, second.body.string] == ["1", "2"])
        } catch {
            try await app.asyncShutdown()
            await client.close()
            throw error
        }
        try await app.asyncShutdown()
        await #expect(throws: LoadError.self, "the client was closed with the application") {
            _ = try await store.load(SessionKey.generate())
        }
    }
}
