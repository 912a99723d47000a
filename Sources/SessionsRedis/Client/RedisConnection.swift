import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Sessions

/// One connection to Redis: commands are written as they come and pipelined; each waits at most the
/// command timeout for its reply.
final class RedisConnection: Sendable {
    let channel: any Channel
    private let commandTimeout: TimeAmount
    private let commandLimit: Duration
    private let activity: RedisClientActivity

    private init(channel: any Channel, commandTimeout: Duration, activity: RedisClientActivity) {
        self.channel = channel
        self.activity = activity
        self.commandLimit = commandTimeout
        self.commandTimeout = .nanoseconds(commandTimeout.wholeNanoseconds)
    }

    var isActive: Bool { channel.isActive }

    /// Opens a connection and runs the handshake (`AUTH`, `SELECT`) before anyone may use it.
    static func connect(
        configuration: RedisClientConfiguration,
        sslContext: NIOSSLContext?,
        group: any EventLoopGroup,
        activity: RedisClientActivity,
        logger: Logger
    ) async throws(RedisClientError) -> RedisConnection {
        activity.connectStarted()
        defer { activity.connectEnded() }
        // One deadline for the whole connect: TCP, TLS and the AUTH/SELECT handshake share the timeout.
        let deadline = NIODeadline.now() + .nanoseconds(configuration.connectTimeout.wholeNanoseconds)
        let limits = configuration.replyLimits
        let serverHostname = configuration.host.isIPAddress ? nil : configuration.host
        let handshake = group.any().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(configuration.connectTimeout.wholeNanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    if let sslContext {
                        try handlers.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                        try handlers.addHandler(TLSHandshakeHandler(done: handshake))
                    }
                    try handlers.addHandler(ByteToMessageHandler(RESPReplyDecoder(limits: limits)))
                    try handlers.addHandler(RedisCommandHandler())
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            handshake.fail(error)
            throw .connectFailed("\(configuration.host):\(configuration.port)", reason(error))
        }
        if sslContext != nil {
            // The TLS handshake runs after the TCP connect returned: wait for it, within the connect timeout,
            // so that a certificate the client refuses fails the connect with its cause.
            let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
                handshake.fail(ChannelError.connectTimeout(.nanoseconds(configuration.connectTimeout.wholeNanoseconds)))
            }
            do {
                try await handshake.futureResult.get()
                timeout.cancel()
            } catch {
                timeout.cancel()
                channel.close(promise: nil)
                throw .connectFailed("\(configuration.host):\(configuration.port)", "TLS handshake failed: \(reason(error))")
            }
        } else {
            handshake.succeed()
        }
        // The handshake is bounded by what is left of the connect timeout, not the command timeout.
        let left = max(deadline - NIODeadline.now(), .milliseconds(1))
        let connection = RedisConnection(channel: channel, commandTimeout: .nanoseconds(left.nanoseconds), activity: activity)
        do throws(RedisClientError) {
            if let password = configuration.password {
                var arguments: [RESPArgument] = ["AUTH"]
                if let username = configuration.username { arguments.append(RESPArgument(username)) }
                arguments.append(RESPArgument(password))
                try await connection.expectOK(arguments, step: "AUTH")
            }
            if configuration.database != 0 {
                try await connection.expectOK(["SELECT", RESPArgument(Int64(configuration.database))], step: "SELECT \(configuration.database)")
            }
        } catch {
            channel.close(promise: nil)
            // A handshake the server refused keeps its kind; anything else (TLS, a reset) failed the connect.
            guard error.kind == .handshakeFailed || error.kind == .protocolViolation else {
                throw .connectFailed("\(configuration.host):\(configuration.port)", error.message)
            }
            throw error
        }
        logger.debug("redis connection opened", metadata: ["redis.server": "\(configuration.host):\(configuration.port)"])
        return RedisConnection(channel: channel, commandTimeout: configuration.commandTimeout, activity: activity)
    }

    /// The cause of a failed connect in a few words: NIO's own description nests every attempt.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return "\(first.error)" }
            if let dnsError = error.dnsAError ?? error.dnsAAAAError { return "the host name did not resolve (\(dnsError))" }
            return "no address to connect to"
        case ChannelError.connectTimeout(let limit):
            return "no connection within \(limit.nanoseconds / 1_000_000) ms"
        default:
            return "\(error)"
        }
    }

    private func encoded(_ arguments: [RESPArgument]) -> ByteBuffer {
        var bytes = channel.allocator.buffer(capacity: 64)
        RESPCommandEncoder.encode(arguments, into: &bytes)
        return bytes
    }

    private func expectOK(_ arguments: [RESPArgument], step: String) async throws(RedisClientError) {
        let bytes = encoded(arguments)
        do throws(RedisClientError) {
            guard try await send(bytes) == .simpleString("OK") else {
                throw RedisClientError.protocolViolation("unexpected reply to \(step)")
            }
        } catch  where error.kind == .server {
            throw .handshakeFailed(step, error.message)
        }
    }

    /// Sends one encoded command and waits for its reply; an error reply is thrown as `.server`.
    func send(_ bytes: ByteBuffer) async throws(RedisClientError) -> RESPValue {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let limit = commandLimit
        let timer = channel.eventLoop.scheduleTask(in: commandTimeout) { [channel] in
            reply.fail(RedisClientError.timeout(limit))
            // Later replies could no longer be matched to their commands.
            channel.close(promise: nil)
        }
        activity.replyAwaited()
        reply.futureResult.whenComplete { [activity] _ in
            timer.cancel()
            activity.replyArrived()
        }
        // A write to a connection that has just closed never reaches the handler, whose acceptance would
        // have succeeded this promise: fail at once, as a command that was never sent (which the client may
        // retry), rather than at the timeout. Once accepted, the handler alone says what was sent.
        let accepted = channel.eventLoop.makePromise(of: Void.self)
        accepted.futureResult.whenFailure { _ in reply.fail(RedisClientError.connectionClosedBeforeSending) }
        channel.write(RedisCommand(bytes: bytes, reply: reply), promise: accepted)
        let value: RESPValue
        do {
            value = try await reply.futureResult.get()
        } catch let error as RedisClientError {
            throw error
        } catch {
            throw .connectionClosed
        }
        if case .error(let message) = value { throw .server(message) }
        return value
    }

    func close() async {
        try? await channel.close()
    }
}

extension String {
    /// Whether this is a literal IPv4 or IPv6 address, which TLS must not send as a server name.
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
