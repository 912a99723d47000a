import NIOCore
import NIOEmbedded
import Synchronization
import TestSupport
import Testing

@testable import SessionsRedis

/// Which pipelined commands may have reached the server when the connection breaks: the handler's own
/// record of what it flushed, since a write's promise cannot tell (TLS merges the writes of one flush).
@Suite(.tags(.redis)) struct RedisCommandHandlerTests {
    @Test func onlyFlushedCommandsMayHaveRun() throws {
        let channel = EmbeddedChannel(handler: RedisCommandHandler())
        let loop = channel.embeddedEventLoop
        // As RedisConnection.send does: a write the handler never accepted fails its reply as never sent.
        func send() -> EventLoopFuture<RESPValue> {
            let reply = loop.makePromise(of: RESPValue.self)
            let accepted = loop.makePromise(of: Void.self)
            accepted.futureResult.whenFailure { _ in reply.fail(RedisClientError.connectionClosedBeforeSending) }
            channel.write(RedisCommand(bytes: ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"), reply: reply), promise: accepted)
            return reply.futureResult
        }
        let flushed = send()
        loop.run()  // the handler's flush for that turn of the loop
        let unflushed = send()
        _ = try channel.finish(acceptAlreadyClosed: true)
        let late = send()
        for (reply, reachedServer) in [(flushed, true), (unflushed, false), (late, false)] {
            let box = Mutex<Result<RESPValue, any Error>?>(nil)
            reply.whenComplete { result in box.withLock { $0 = result } }
            loop.run()
            let outcome = box.withLock { $0 }
            guard case .failure(let error as RedisClientError)? = outcome else {
                Issue.record("expected a client error, got \(String(describing: outcome))")
                continue
            }
            #expect(error.kind == .connectionClosed)
            #expect(error.reachedServer == reachedServer)
        }
    }
}
