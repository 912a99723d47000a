import NIOSSL
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
    /// - Throws: `SessionConfigurationError` naming the problem.
    public func validate() throws(SessionConfigurationError) {
        guard queryTimeout > .zero, queryTimeout <= .seconds(3600) else {
            throw .invalid("the PostgreSQL query timeout must be positive and at most 3600 seconds")
        }
    }
}

extension PostgresClient.Configuration {
    /// Gives every connection of the client the settings a session store relies on, as startup parameters:
    /// statements run under read committed whatever the database's default (teams that set repeatable read
    /// database-wide would otherwise see concurrent updates of one session fail), and the server itself
    /// gives up a statement, or its wait for a lock, at `queryTimeout`. Without that, a statement the
    /// store abandoned at its deadline runs on: during a stall the abandoned statements hold every pooled
    /// connection, and a timed-out write may still commit later.
    ///
    /// ```swift
    /// var configuration = try PostgresClient.Configuration(url: url)
    /// configuration.applySessionStoreSettings(queryTimeout: .seconds(3))
    /// let store = try PostgresSessionStore(client: PostgresClient(configuration: configuration), configuration: .init(queryTimeout: .seconds(3)))
    /// ```
    ///
    /// The settings apply to every query on the client: give the store a client of its own when the app's
    /// other queries need longer. A pooler in transaction mode (PgBouncer's) refuses startup parameters it
    /// does not know: there, set them on the database role instead (`ALTER ROLE app SET statement_timeout
    /// = '3s'`, and likewise `lock_timeout` and `default_transaction_isolation`).
    public mutating func applySessionStoreSettings(queryTimeout: Duration) {
        let milliseconds = String(max(1, queryTimeout.wholeMilliseconds))
        let settings = [("default_transaction_isolation", "read committed"), ("statement_timeout", milliseconds), ("lock_timeout", milliseconds)]
        options.additionalStartupParameters.removeAll { name, _ in settings.contains { $0.0 == name } }
        options.additionalStartupParameters += settings
    }

    /// A client configuration from a URL:
    /// `postgres://user:password@host:port/database?sslmode=...&sslrootcert=...`.
    ///
    /// | `sslmode` | TLS | what is verified |
    /// |---|---|---|
    /// | `disable` | never | nothing |
    /// | `prefer` (the default) | when the server offers it, else plaintext | the certificate chain and the host name, when TLS is used; a server (or a man in the middle) that offers no TLS gets plaintext |
    /// | `require` | always | the certificate chain and the host name (stricter than libpq's `require`, which verifies nothing) |
    /// | `verify-ca` | always | the certificate chain, not the host name |
    /// | `verify-full` | always | the certificate chain and the host name |
    ///
    /// `sslrootcert` names a PEM file of the certificate authorities to trust (managed databases sign with
    /// their own); without it, or with `sslrootcert=system`, the system's trust roots.
    ///
    /// ```swift
    /// let configuration = try PostgresClient.Configuration(url: "postgres://app@db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem")
    /// ```
    /// - Throws: `SessionConfigurationError` for a URL it cannot read, an unknown `sslmode`, or an
    ///   `sslrootcert` file that does not exist.
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
        var verified = TLSConfiguration.makeClientConfiguration()
        switch components.queryItems?.first(where: { $0.name == "sslrootcert" })?.value {
        case nil, "system":
            break
        case let path?:
            guard FileManager.default.fileExists(atPath: path) else {
                throw .invalid("the PostgreSQL URL's sslrootcert file '\(path)' does not exist")
            }
            verified.trustRoots = .file(path)
        }
        let tls: TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable":
            tls = .disable
        case "prefer":
            tls = .prefer(verified)
        case "require", "verify-full":
            tls = .require(verified)
        case "verify-ca":
            verified.certificateVerification = .noHostnameVerification
            tls = .require(verified)
        case let mode:
            throw .invalid("sslmode '\(mode)' is not one of disable, prefer, require, verify-ca, verify-full")
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
