import NIOCore

/// One encoded command and the promise its reply completes.
struct RedisCommand: Sendable {
    let bytes: ByteBuffer
    let reply: EventLoopPromise<RESPValue>
}

/// Matches replies to commands in order, which is what makes pipelining work: any number of commands may
/// be in flight, and the n-th reply belongs to the n-th command. When the stream breaks (closed, error,
/// or a reply nobody asked for) every waiting command fails, because nothing after that can be matched.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>(initialCapacity: 16)
    private var failure: RedisClientError?
    private var flushScheduled = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        if let failure {
            command.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append(command.reply)
        context.write(wrapOutboundOut(command.bytes), promise: promise)
        // One flush for every command written in this turn of the event loop: many callers pipelining on
        // one connection then share a syscall, here and in Redis.
        if !flushScheduled {
            flushScheduled = true
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (handler, context) = bound.value
                handler.flushScheduled = false
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
            failAll(.connectionClosed)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: RedisClientError) {
        if failure == nil { failure = error }
        while let next = waiting.popFirst() {
            next.fail(error)
        }
    }
}
