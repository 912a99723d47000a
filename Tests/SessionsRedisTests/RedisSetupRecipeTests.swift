import Sessions
import SessionsRedis
import TestSupport
import Testing

/// The Redis setup of the article "Choosing a store", kept compiling: it builds the client without
/// connecting (the pool connects on the first command), so it runs with no server at that address.
@Suite(.tags(.redis)) struct RedisSetupRecipeTests {
    @Test("the article's Redis setup builds a store on a client with its timeouts")
    func theSetupBuilds() async throws {
        let secrets = SessionSecrets(current: .generate())
        // README: Choosing a store, Redis
        var redis = try RedisClientConfiguration(url: "redis://:password@127.0.0.1:6379/0")  // rediss:// for TLS
        redis.commandTimeout = .seconds(2)  // also connectTimeout, maximumConnections (4)
        let client = try RedisClient(configuration: redis)
        let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: "myapp:session:"))
        let engine = try SessionEngine(store: store, secrets: secrets)
        // README: end
        #expect(engine.store is RedisSessionStore)
        #expect(redis.commandTimeout == .seconds(2))
        await client.close()
    }
}
