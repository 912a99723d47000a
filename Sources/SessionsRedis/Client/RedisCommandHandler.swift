import NIOCore

/// One encoded command and the promise its reply completes.
struct RedisCommand: Sendable {
    let bytes: ByteBuffer
    let reply: EventLoopPromise<RESPValue>
}

/// Matches replies to commands in order, which is what makes pipelining work: any number of commands may
/// be in flight, and the n-th reply belongs to the n-th command. When the stream breaks (closed, error,
/// or a reply nobody asked for) every waiting command fails, because nothing after that can be matched.
///
/// It also knows which of those commands may have reached the server: those it has flushed. A command
/// written but not yet flushed when the stream breaks never left the process, and fails as such (the
/// client may send it again); a flushed one may have run. A write's own promise cannot tell the two apart:
/// TLS merges the writes of one flush into one, and a close fails the whole merged write.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>(initialCapacity: 16)
    /// How many of the last commands in `waiting` are written but not yet flushed.
    private var unflushed = 0
    private var failure: RedisClientError?
    private var flushScheduled = false

    /// Takes `command` into the pipeline. Its write promise succeeds as soon as the command is accepted
    /// here, so that a failed write promise always means "never reached this handler": nothing was sent.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        if failure != nil {
            command.reply.fail(RedisClientError.connectionClosedBeforeSending)
            promise?.fail(RedisClientError.connectionClosedBeforeSending)
            return
        }
        waiting.append(command.reply)
        unflushed += 1
        promise?.succeed()
        context.write(wrapOutboundOut(command.bytes), promise: nil)
        // One flush for every command written in this turn of the event loop: many callers pipelining on
        // one connection then share a syscall, here and in Redis.
        if !flushScheduled {
            flushScheduled = true
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                handler.flushScheduled = false
                guard handler.failure == nil else { return }
                handler.unflushed = 0
                context.flush()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let next = waiting.popFirst() else {
            failAll(.protocolViolation("a reply arrived that no command asked for"))
            context.close(promise: nil)
            return
        }
        next.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? RESPError {
            failAll(.protocolViolation(error.description))
        } else {
            // Keep the cause (a TLS handshake that failed, a reset): it is the first thing an operator needs.
            failAll(.connectionBroken("\(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    /// Fails every waiting command: with `error` those flushed, which may have run, and as never sent
    /// those still waiting for their flush.
    private func failAll(_ error: RedisClientError) {
        if failure == nil { failure = error }
        let flushed = waiting.count - unflushed
        var index = 0
        while let next = waiting.popFirst() {
            next.fail(index < flushed ? error : RedisClientError.connectionClosedBeforeSending)
            index += 1
        }
        unflushed = 0
    }
}
