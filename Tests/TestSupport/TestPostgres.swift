import Foundation
import Logging
public import PostgresNIO
import SessionsPostgres

/// The private PostgreSQL that `scripts/test` starts for this run.
public enum TestPostgres {
    public struct NotConfigured: Error, CustomStringConvertible {
        let variable: String
        public var description: String {
            "\(variable) is not set: run the suite with scripts/test, which starts a private PostgreSQL (a missing server is a failure, never a skip)"
        }
    }

    public static func environment(_ variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { throw NotConfigured(variable: variable) }
        return value
    }

    /// The server the tests share, and the one a test stops and starts.
    public enum Server: String, Sendable {
        case shared = "SESSIONS_TEST_POSTGRES"
        case outage = "SESSIONS_TEST_POSTGRES_OUTAGE"
    }

    /// Runs `body` with a running client of `server`, then shuts the client down.
    public static func withClient(_ server: Server = .shared, _ body: (PostgresClient) async throws -> Void) async throws {
        let configuration = try PostgresClient.Configuration(url: try environment(server.rawValue + "_URL"))
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test-postgres"))
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

    /// A table name no other test uses.
    public static func uniqueTable() -> String {
        "sessions_" + String(UInt64.random(in: 0 ... .max), radix: 36)
    }

    /// Stops or starts `server` with the commands `scripts/test` exported, and waits until done.
    public static func control(_ server: Server, _ action: String) throws {
        let variable = server.rawValue + "_" + action
        // system() waits on exactly its own child; Foundation's Process can miss the exit of a command
        // whose daemon child (the postmaster) lives on.
        let status = system(try environment(variable) + " >/dev/null")
        guard status == 0 else {
            throw NotConfigured(variable: "\(variable) (exit status \(status))")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
