import NIOSSL
public import SessionsRedis

/// The private Redis servers that `scripts/test` starts for this run.
public enum TestRedis {
    /// The server the tests share, the one a test stops and starts, and the one a test kills under load.
    public enum Server: String, Sendable {
        case shared = "SESSIONS_TEST_REDIS"
        case outage = "SESSIONS_TEST_REDIS_OUTAGE"
        /// Killed (not stopped) in the middle of a load run; durable through the kill.
        case crash = "SESSIONS_TEST_REDIS_CRASH"
    }

    public static func url(_ server: Server = .shared) throws -> String {
        try TestServices.environment(server.rawValue + "_URL")
    }

    /// The shared server's TLS port, trusting the run's throwaway CA.
    public static func tlsConfiguration() throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration(url: try TestServices.environment(Server.shared.rawValue + "_TLS_URL"))
        configuration.tls?.trustRoots = .file(try TestServices.environment(Server.shared.rawValue + "_TLS_CA"))
        return configuration
    }

    /// Runs `body` with a client of `server` (adjusted by `configure`), then closes the client.
    public static func withClient(
        _ server: Server = .shared,
        configure: (inout RedisClientConfiguration) -> Void = { _ in },
        _ body: (RedisClient) async throws -> Void
    ) async throws {
        var configuration = try RedisClientConfiguration(url: try url(server))
        configure(&configuration)
        try await withClient(configuration, body)
    }

    /// Runs `body` with a client for `configuration`, then closes the client.
    public static func withClient(_ configuration: RedisClientConfiguration, _ body: (RedisClient) async throws -> Void) async throws {
        let client = try RedisClient(configuration: configuration)
        do {
            try await body(client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    /// A key prefix no other test uses.
    public static func uniquePrefix() -> String {
        "test-" + String(UInt64.random(in: 0 ... .max), radix: 36) + ":"
    }

    /// Stops (saving its data) or starts `server` with the commands `scripts/test` exported.
    public static func control(_ server: Server, _ action: String) async throws {
        try await TestServices.control(server.rawValue + "_" + action)
    }
}
