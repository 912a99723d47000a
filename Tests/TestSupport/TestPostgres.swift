import Foundation
import Logging
public import PostgresNIO
import SessionsPostgres

/// The private PostgreSQL servers that `scripts/test` starts for this run.
public enum TestPostgres {
    /// The server the tests share, the one a test stops and starts, and the one a test kills under load.
    public enum Server: String, Sendable {
        case shared = "SESSIONS_TEST_POSTGRES"
        case outage = "SESSIONS_TEST_POSTGRES_OUTAGE"
        /// Killed (not stopped) in the middle of a load run; durable through the kill.
        case crash = "SESSIONS_TEST_POSTGRES_CRASH"
    }

    /// Runs `body` with a running client of `server` (as `user`, or the superuser), then shuts the client down.
    public static func withClient(_ server: Server = .shared, user: String? = nil, _ body: (PostgresClient) async throws -> Void) async throws {
        var configuration = try PostgresClient.Configuration(url: try TestServices.environment(server.rawValue + "_URL"))
        if let user { configuration.username = user }
        // Warnings and up: the outage tests make the pool log every refused reconnect at info.
        var logger = Logger(label: "test-postgres")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            do {
                try await body(client)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    /// The query timeout for stores in tests that are not about timeouts. A store's deadline is wall-clock
    /// time, and on two cores the suite's CPU-heavy tests can keep the concurrency pool busy for seconds,
    /// so such tests give it a wide margin rather than the 5-second default.
    public static let patientTimeout: Duration = .seconds(60)

    /// A table name no other test uses.
    public static func uniqueTable() -> String {
        "sessions_" + String(UInt64.random(in: 0 ... .max), radix: 36)
    }

    /// Stops or starts `server` with the commands `scripts/test` exported, and waits until done.
    public static func control(_ server: Server, _ action: String) async throws {
        try await TestServices.control(server.rawValue + "_" + action)
    }
}
