import NIOCore
import NIOTLS

/// Completes `done` when the TLS handshake in front of it completes, or fails it with the handshake's own
/// error (a certificate the client refuses, a protocol mismatch): the connect waits for it, so that such a
/// failure is reported by the connect, with its cause, rather than by the first command as a closed
/// connection. It removes itself once the handshake is over.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            done.succeed()
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.alreadyClosed)
        context.fireChannelInactive()
    }
}
