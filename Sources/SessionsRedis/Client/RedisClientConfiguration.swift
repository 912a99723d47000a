public import NIOSSL
public import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a ``RedisClient`` connects, how it authenticates, and how long it waits.
///
/// ```swift
/// var configuration = try RedisClientConfiguration(url: "redis://:secret@127.0.0.1:6379/2")
/// configuration.commandTimeout = .seconds(1)
/// let client = try RedisClient(configuration: configuration)
/// ```
public struct RedisClientConfiguration: Sendable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The ACL user for `AUTH`; `nil` authenticates as the default user when a password is set.
    public var username: String?
    /// The password for `AUTH`; `nil` sends no `AUTH`.
    public var password: String?
    /// The database `SELECT`ed on every new connection.
    public var database: Int
    /// TLS for `rediss://`; `nil` speaks plain TCP.
    public var tls: TLSConfiguration?
    /// How many connections the pool opens at most; commands are pipelined on each.
    public var maximumConnections: Int
    /// The longest a new connection (TCP, TLS and the AUTH/SELECT handshake) may take.
    public var connectTimeout: Duration
    /// The longest one command may wait for its reply; the connection is then closed, because later
    /// replies could no longer be matched to their commands.
    public var commandTimeout: Duration
    /// Bounds on the replies the client accepts.
    public var replyLimits: RESPParser.Limits
    /// How long the pool waits before it tries to connect again after a connect failed: doubled after each
    /// failure up to ``reconnectDelayLimit``, with jitter. Commands in between fail at once with the last
    /// failure's cause rather than each trying to connect to a server that is down.
    public var reconnectDelay: Duration = .milliseconds(50)
    /// The longest wait between connect attempts while a server stays down.
    public var reconnectDelayLimit: Duration = .seconds(2)

    /// A configuration for `host:port`, plain TCP, no authentication, database 0.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        tls: TLSConfiguration? = nil,
        maximumConnections: Int = 4,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        replyLimits: RESPParser.Limits = .init()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.maximumConnections = maximumConnections
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.replyLimits = replyLimits
    }

    /// A configuration from `redis://[user:password@]host[:port][/database]`, or `rediss://` for TLS with
    /// the system's trust roots. Percent-encoded user names and passwords are decoded.
    ///
    /// ```swift
    /// let configuration = try RedisClientConfiguration(url: "rediss://app:secret@cache.internal:6380/1")
    /// ```
    /// - Throws: `SessionConfigurationError` for a URL it cannot read; the message never repeats the password.
    public init(url: String) throws(SessionConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme, scheme == "redis" || scheme == "rediss",
            let host = components.host, !host.isEmpty
        else {
            throw .invalid("a Redis URL looks like redis://[user:password@]host:6379[/database] or rediss://...")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var database = 0
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw .invalid("the Redis URL's path must be a database number, not '\(path)'")
            }
            database = number
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw .invalid("the Redis URL's port \(port) is out of range")
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
        let password = components.password
        self.init(
            host: host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 6379,
            username: user,
            password: password,
            database: database,
            tls: scheme == "rediss" ? .makeClientConfiguration() : nil
        )
    }

    /// The server and options, without the password.
    public var description: String {
        var text = tls == nil ? "redis://" : "rediss://"
        if let username { text += username + (password == nil ? "@" : ":***@") } else if password != nil { text += ":***@" }
        text += "\(host):\(port)/\(database)"
        return text
    }

    func validate() throws(SessionConfigurationError) {
        guard maximumConnections >= 1 else { throw .invalid("a Redis pool needs at least one connection") }
        guard connectTimeout > .zero, commandTimeout > .zero else { throw .invalid("Redis timeouts must be positive") }
        guard connectTimeout <= .seconds(3600), commandTimeout <= .seconds(3600) else {
            throw .invalid("Redis timeouts must be at most 3600 seconds")
        }
        guard reconnectDelay >= .zero, reconnectDelay <= reconnectDelayLimit, reconnectDelayLimit <= .seconds(3600) else {
            throw .invalid("the Redis reconnect delay must be from 0 to its limit, and the limit at most 3600 seconds")
        }
    }
}
