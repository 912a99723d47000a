public import PostgresNIO
public import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a ``PostgresSessionStore`` names its table, bounds its calls and reads the time.
///
/// ```swift
/// let configuration = PostgresSessionStoreConfiguration(tableName: "web_sessions", queryTimeout: .seconds(2))
/// ```
public struct PostgresSessionStoreConfiguration: Sendable {
    /// The sessions table; letters, digits and underscores, not starting with a digit.
    public var tableName: String
    /// The longest a store call may take before it fails (the engine then answers 500).
    public var queryTimeout: Duration
    /// Where "now" comes from: `nil` (the default) uses the database's clock, so app servers with
    /// skewed clocks agree; tests pass a `ManualSessionClock`.
    public var clock: (any SessionClock)?
    /// Whether the store may create or upgrade its tables on first use (the default). With `false` it only
    /// checks the schema version and fails every call with a message naming ``PostgresSessionStore/migrate()``
    /// until a deploy step has run it: for an app role granted data rights only.
    public var migrate: Bool

    /// Creates a configuration.
    public init(
        tableName: String = "sessions",
        queryTimeout: Duration = .seconds(5),
        clock: (any SessionClock)? = nil,
        migrate: Bool = true
    ) {
        self.tableName = tableName
        self.queryTimeout = queryTimeout
        self.clock = clock
        self.migrate = migrate
    }

    /// Checks the query timeout: positive and at most an hour.
    /// - Throws: ``SessionConfigurationError`` naming the problem.
    public func validate() throws(SessionConfigurationError) {
        guard queryTimeout > .zero, queryTimeout <= .seconds(3600) else {
            throw .invalid("the PostgreSQL query timeout must be positive and at most 3600 seconds")
        }
    }
}

extension PostgresClient.Configuration {
    /// A client configuration from a URL: `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    ///
    /// ```swift
    /// let client = PostgresClient(configuration: try .init(url: "postgres://app@127.0.0.1:5432/app"), backgroundLogger: logger)
    /// ```
    /// - Throws: ``SessionConfigurationError`` for a URL it cannot read.
    public init(url: String) throws(SessionConfigurationError) {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw .invalid("a PostgreSQL URL looks like postgres://user:password@host:5432/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalid("the PostgreSQL URL names no user")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let tls: TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let mode: throw .invalid("sslmode '\(mode)' is not one of disable, prefer, require")
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user,
            password: components.password,
            database: database.isEmpty ? nil : database,
            tls: tls
        )
    }
}
