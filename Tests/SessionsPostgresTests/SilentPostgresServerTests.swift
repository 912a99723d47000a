import Logging
import PostgresNIO
import Sessions
import SessionsPostgres
import TestSupport
import Testing

/// A "PostgreSQL server" that accepts connections and never answers: a hung database, or a proxy in
/// front of a dead one. Needs no real server.
@Suite(.tags(.postgres)) struct SilentPostgresServerTests {
    @Test func callsFailAtTheQueryTimeoutAndThePoolLeaksNoConnections() async throws {
        let server = try await MisbehavingServer.start(.neverAnswer)
        var configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: "postgres", tls: .disable
        )
        configuration.options.maximumConnections = 2
        var logger = Logger(label: "test-postgres-silent")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let store = try PostgresSessionStore(
            client: client,
            configuration: .init(tableName: TestPostgres.uniqueTable(), queryTimeout: .milliseconds(200)),
            logger: logger
        )
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let failures = await withTaskGroup(of: String.self) { calls in
                for _ in 0..<40 {
                    calls.addTask {
                        do throws(LoadError) {
                            _ = try await store.load(SessionKey.generate())
                            return "answered"
                        } catch {
                            return error.kind == .other ? "\(error.underlying)" : "\(error.kind)"
                        }
                    }
                }
                return await calls.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(failures.count == 40)
            #expect(
                failures.allSatisfy { $0.contains("did not answer within") },
                "every call ends at the query timeout, none hangs: \(Set(failures))"
            )
            #expect(server.mostOpenConnections <= configuration.options.maximumConnections, "the pool stays within its bound")
            group.cancelAll()
        }
        // Every connection closes once the pool has shut down (a bounded wait on a condition).
        let deadline = ContinuousClock.now + .seconds(10)
        while server.openConnections > 0 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(server.openConnections == 0, "no connection outlives the pool")
        await server.stop()
    }
}
