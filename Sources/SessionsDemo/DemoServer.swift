import ArgumentParser
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import Sessions
import SessionsPostgres
import SessionsRedis
import SessionsSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sessions-demo`: parses the flags, builds the store and the engine, and serves until SIGINT/SIGTERM.
public enum DemoServer {
    /// Runs the demo with the process's arguments; returns the exit status.
    public static func main(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Int32 {
        let options: DemoOptions
        do {
            options = try DemoOptions.parse(arguments)
        } catch {
            if DemoOptions.exitCode(for: error) == .success { DemoOptions.exit(withError: error) }
            return fail(DemoOptions.message(for: error))
        }
        do {
            try await serve(options)
            return 0
        } catch {
            return fail("\(error)")
        }
    }

    private static func serve(_ options: DemoOptions) async throws {
        let configuration = try options.sessionConfiguration()
        let (secrets, note) = try DemoSecrets.resolve(options: options, environment: ProcessInfo.processInfo.environment)
        if let note { printError("sessions-demo: \(note)") }
        switch options.store {
        case .sqlite:
            let store: SQLiteSessionStore
            do {
                store = try await SQLiteSessionStore.open(path: options.sqlitePath)
            } catch {
                throw DemoStartupError("cannot open the SQLite session database at \(options.sqlitePath): \(error)")
            }
            let engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration)
            do {
                try await serve(
                    options, engine: engine, services: [SessionExpirySweeper(store: store, configuration: try sweeperConfiguration(options))])
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        case .postgres:
            try await servePostgres(options, secrets: secrets, configuration: configuration)
        case .redis:
            try await serveRedis(options, secrets: secrets, configuration: configuration)
        case .memory:
            let store = MemorySessionStore(configuration: try options.memoryStoreConfiguration())
            try await serve(options, engine: try SessionEngine(store: store, secrets: secrets, configuration: configuration), services: [store])
        case .cookie:
            let store = CookieSessionStore()
            try await serve(options, engine: try SessionEngine(store: store, secrets: secrets, configuration: configuration), services: [])
        }
    }

    private static func sweeperConfiguration<Store>(_ options: DemoOptions) throws -> SessionExpirySweeper<Store>.Configuration {
        var configuration = SessionExpirySweeper<Store>.Configuration()
        if let interval = try options.sweepIntervalDuration() { configuration.interval = interval }
        return configuration
    }

    /// Runs the PostgreSQL pool beside the app, and refuses to start when the database cannot be reached.
    private static func servePostgres(_ options: DemoOptions, secrets: SessionSecrets, configuration: SessionConfiguration) async throws {
        var logger = Logger(label: "sessions-demo.postgres")
        logger.logLevel = .warning
        var clientConfiguration = try PostgresClient.Configuration(url: options.postgresUrl)
        clientConfiguration.options.connectTimeout = .seconds(5)
        // No minimum: PostgresNIO 1.33's pool stops the process (a precondition) when a query arrives while
        // connections it must keep are closing, as they all do when the server restarts. A short idle timeout:
        // each connection going back to the pool starts one, and a cancelled timer holds its memory until its
        // deadline. See "Pool configuration" on PostgresSessionStore.
        clientConfiguration.options.minimumConnections = 0
        clientConfiguration.options.maximumConnections = 8
        clientConfiguration.options.connectionIdleTimeout = .seconds(5)
        let storeConfiguration = PostgresSessionStoreConfiguration()
        clientConfiguration.applySessionStoreSettings(queryTimeout: storeConfiguration.queryTimeout)
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let store = try PostgresSessionStore(client: client, configuration: storeConfiguration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await store.migrate()
            } catch {
                throw DemoStartupError("cannot reach PostgreSQL at \(redacted(options.postgresUrl)): \(error)")
            }
            let engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration)
            try await serve(options, engine: engine, services: [SessionExpirySweeper(store: store, configuration: try sweeperConfiguration(options))])
        }
    }

    /// Runs the Redis client beside the app (it closes its connections on shutdown), and refuses to start
    /// when Redis cannot be reached.
    private static func serveRedis(_ options: DemoOptions, secrets: SessionSecrets, configuration: SessionConfiguration) async throws {
        var logger = Logger(label: "sessions-demo.redis")
        logger.logLevel = .warning
        let client = try RedisClient(configuration: try RedisClientConfiguration(url: options.redisUrl), logger: logger)
        do {
            _ = try await client.send(["PING"])
        } catch {
            await client.close()
            throw DemoStartupError("cannot reach Redis at \(client.configuration): \(error)")
        }
        let engine = try SessionEngine(store: RedisSessionStore(client: client), secrets: secrets, configuration: configuration)
        try await serve(options, engine: engine, services: [client])
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    private static func serve(_ options: DemoOptions, engine: SessionEngine, services: [any Service]) async throws {
        switch options.framework {
        case .hummingbird: try await serveWithHummingbird(options, engine: engine, services: services)
        case .vapor: try await serveWithVapor(options, engine: engine, services: services)
        }
    }

    private static func serveWithHummingbird(
        _ options: DemoOptions,
        engine: SessionEngine,
        services: [any Service]
    ) async throws {
        var logger = Logger(label: "sessions-demo")
        logger.logLevel = .info
        var app = Application(
            router: HummingbirdDemo.router(engine: engine),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "sessions-demo"),
            logger: logger
        )
        app.addServices(services)
        try await app.runService()
    }

    struct DemoStartupError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func fail(_ message: String) -> Int32 {
        printError("sessions-demo: error: \(message)")
        return 1
    }

    static func printError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
