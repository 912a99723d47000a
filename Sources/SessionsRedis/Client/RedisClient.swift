public import Logging
public import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle
public import Sessions

/// A small Redis client: a bounded pool of pipelined connections, strict RESP parsing, a timeout on
/// every connect and every command, and one retry of a command whose connection dropped before it was
/// sent (or, for a command the caller declares idempotent, before its reply).
///
/// ```swift
/// let client = try RedisClient(configuration: .init(url: "redis://127.0.0.1:6379"))
/// let pong = try await client.send(["PING"])        // .simpleString("PONG")
/// app.addServices(client)                           // closes the connections on shutdown
/// ```
///
/// It carries what the session store needs and no more; it is not a general-purpose Redis client
/// (no pub/sub, no cluster, no sentinel).
public final class RedisClient: Service {
    /// What the client connects to and how it waits.
    public let configuration: RedisClientConfiguration
    private let pool: RedisConnectionPool
    private let allocator = ByteBufferAllocator()

    /// How many commands this client has sent, retries included: lets tests count round trips.
    package var commandsSent: Int { pool.activity.commandsSent }
    /// Commands awaiting their reply or timeout now: zero once every caller has its answer.
    package var pendingReplies: Int { pool.activity.pendingReplies }
    /// Connects under way now.
    package var connectsInFlight: Int { pool.activity.connectsInFlight }
    /// Connects started so far: lets tests check that a server that is down is not asked once per command.
    package var connectAttempts: Int { pool.activity.connectAttempts }

    /// A client for `configuration`; connections open on first use.
    /// - Throws: `SessionConfigurationError` for an invalid pool size, timeout or TLS configuration.
    public init(
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-sessions.redis")
    ) throws(SessionConfigurationError) {
        try configuration.validate()
        var sslContext: NIOSSLContext?
        if let tls = configuration.tls {
            do {
                sslContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw .invalid("the Redis TLS configuration is unusable: \(error)")
            }
        }
        self.configuration = configuration
        pool = RedisConnectionPool(configuration: configuration, sslContext: sslContext, group: eventLoopGroup, logger: logger)
    }

    /// Sends one command and returns its reply.
    ///
    /// A command whose connection closed before it was written is sent once more on a fresh connection
    /// (the server may have restarted). One that may have reached the server is sent again only when
    /// `idempotent` says running it twice does no harm: when a neighbour on the same pipelined connection
    /// times out, the connection closes under commands that Redis may already have run, and running a
    /// script that clears, sets or creates a second time could undo a concurrent request's acknowledged
    /// write. A timeout is never retried.
    ///
    /// ```swift
    /// let state = try await client.send(["HGETALL", key], idempotent: true)
    /// ```
    /// - Throws: ``RedisClientError``; an error reply is `.server` with the server's message, and a
    ///   command whose outcome is unknown is `.connectionClosed` with ``RedisClientError/reachedServer``.
    public func send(_ arguments: [RESPArgument], idempotent: Bool = false) async throws(RedisClientError) -> RESPValue {
        var bytes = allocator.buffer(capacity: arguments.reduce(16) { $0 + $1.bytes.readableBytes + 16 })
        RESPCommandEncoder.encode(arguments, into: &bytes)
        return try await send(encoded: bytes, idempotent: idempotent)
    }

    func send(encoded bytes: ByteBuffer, idempotent: Bool) async throws(RedisClientError) -> RESPValue {
        pool.activity.commandSent()
        do {
            return try await pool.connection().send(bytes)
        } catch  where error.kind == .connectionClosed && (idempotent || !error.reachedServer) {
            pool.activity.commandSent()
            return try await pool.connection().send(bytes)
        }
    }

    /// Keeps the client until the service group shuts down, then closes its connections.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes every connection; later commands fail with ``RedisClientError/Kind/closed``.
    public func close() async {
        await pool.close()
    }
}
