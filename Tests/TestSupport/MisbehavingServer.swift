import NIOCore
import NIOPosix
import Synchronization

/// A loopback server that misbehaves on purpose: one that accepts connections and never answers, or
/// one that drops its first connections on their first message and sends a fixed answer on later ones.
public final class MisbehavingServer: Sendable {
    public enum Behaviour: Sendable {
        case neverAnswer
        /// Closes each of the first `count` connections when it reads from it; answers on later ones.
        case dropConnections(Int, thenAnswer: String)
    }

    private let channel: any Channel
    private let accepted: Counter
    private let open: Counter
    private let mostOpen: Counter

    public var port: Int { channel.localAddress!.port! }
    /// How many connections the server has accepted so far.
    public var connections: Int { accepted.value }
    /// How many connections are open now.
    public var openConnections: Int { open.value }
    /// The most connections that were open at once.
    public var mostOpenConnections: Int { mostOpen.value }

    private init(channel: any Channel, accepted: Counter, open: Counter, mostOpen: Counter) {
        self.channel = channel
        self.accepted = accepted
        self.open = open
        self.mostOpen = mostOpen
    }

    public static func start(_ behaviour: Behaviour) async throws -> MisbehavingServer {
        let accepted = Counter()
        let open = Counter()
        let mostOpen = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let number = accepted.increment()
                mostOpen.raise(to: open.increment())
                channel.closeFuture.whenComplete { _ in _ = open.decrement() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, connectionNumber: number))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return MisbehavingServer(channel: channel, accepted: accepted, open: open, mostOpen: mostOpen)
    }

    public func stop() async {
        try? await channel.close()
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func increment() -> Int { count.add(1, ordering: .relaxed).newValue }
        func decrement() -> Int { count.subtract(1, ordering: .relaxed).newValue }
        func raise(to value: Int) { _ = count.max(value, ordering: .relaxed) }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let connectionNumber: Int

        init(behaviour: Behaviour, connectionNumber: Int) {
            self.behaviour = behaviour
            self.connectionNumber = connectionNumber
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch behaviour {
            case .neverAnswer:
                break
            case .dropConnections(let count, _) where connectionNumber <= count:
                context.close(promise: nil)
            case .dropConnections(_, let answer):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            }
        }
    }
}
