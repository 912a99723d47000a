/// Why a Redis command failed. Messages name the server and the reason, never keys, values or passwords.
///
/// ```swift
/// do { _ = try await client.send(["PING"]) } catch where error.kind == .timeout { ... }
/// ```
public struct RedisClientError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// No connection could be opened (refused, unreachable, TLS failure, connect timeout).
        case connectFailed
        /// `AUTH` or `SELECT` was refused.
        case handshakeFailed
        /// The connection closed before the reply arrived. The command may or may not have run, unless
        /// ``RedisClientError/reachedServer`` is `false`.
        case connectionClosed
        /// No reply within the command timeout.
        case timeout
        /// The server answered with an error reply.
        case server
        /// The server sent something that is not a valid reply to what was asked.
        case protocolViolation
        /// The client was closed.
        case closed
    }

    /// The kind of failure.
    public let kind: Kind
    /// What happened, for logs.
    public let message: String
    /// Whether the command may have reached the server, so that it may have run: `false` only for a
    /// command whose bytes never left this process (its connection closed before they were written).
    public let reachedServer: Bool

    public var description: String { message }

    init(_ kind: Kind, _ message: String, reachedServer: Bool = true) {
        self.kind = kind
        self.message = message
        self.reachedServer = reachedServer
    }

    static func connectFailed(_ server: String, _ reason: String) -> Self {
        .init(.connectFailed, "cannot connect to Redis at \(server): \(reason)")
    }
    static func handshakeFailed(_ step: String, _ reply: String) -> Self { .init(.handshakeFailed, "Redis refused \(step) (\(reply))") }
    static var connectionClosed: Self { .init(.connectionClosed, "the Redis connection closed before the reply arrived; the command may have run") }
    /// The connection broke for `cause` (a TLS failure, a reset) before the reply arrived.
    static func connectionBroken(_ cause: String) -> Self {
        .init(.connectionClosed, "the Redis connection broke before the reply arrived (\(cause)); the command may have run")
    }
    static var connectionClosedBeforeSending: Self {
        .init(.connectionClosed, "the Redis connection closed before the command was sent", reachedServer: false)
    }
    static func timeout(_ limit: Duration) -> Self { .init(.timeout, "Redis did not answer within \(limit)") }
    static func server(_ reply: String) -> Self { .init(.server, "Redis error: \(reply)") }
    static func protocolViolation(_ what: String) -> Self { .init(.protocolViolation, "Redis protocol violation: \(what)") }
    static var closed: Self { .init(.closed, "the Redis client is closed") }
}

extension RedisClientError {
    /// `EVALSHA` named a script the server does not have (it restarted, or `SCRIPT FLUSH` ran).
    var isMissingScript: Bool { kind == .server && message.hasPrefix("Redis error: NOSCRIPT") }
    /// The key holds something other than what the command expects: data we did not write.
    var isWrongType: Bool { kind == .server && message.hasPrefix("Redis error: WRONGTYPE") }
}
