import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A fixed number of connection slots, filled lazily and refilled whenever a connection has died, so the
/// pool heals by itself once the server is back. Commands spread over the slots in turn and are pipelined
/// on each connection, so a slot never has to be "free" to be used.
final class RedisConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var closed = false
    }

    private let state: Mutex<State>
    private let configuration: RedisClientConfiguration
    private let sslContext: NIOSSLContext?
    private let group: any EventLoopGroup
    private let logger: Logger
    let activity = RedisClientActivity()

    init(configuration: RedisClientConfiguration, sslContext: NIOSSLContext?, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.sslContext = sslContext
        self.group = group
        self.logger = logger
        state = Mutex(State(slots: Array(repeating: .empty, count: configuration.maximumConnections)))
    }

    /// A live connection from the next slot, opening one when the slot is empty or its connection died.
    func connection() async throws(RedisClientError) -> RedisConnection {
        enum Pick {
            case live(RedisConnection)
            case opening(Task<RedisConnection, any Error>)
        }
        let pick = try state.withLock { (state) throws(RedisClientError) -> Pick in
            guard !state.closed else { throw .closed }
            let index = state.next
            state.next = (index + 1) % state.slots.count
            switch state.slots[index] {
            case .ready(let connection) where connection.isActive:
                return .live(connection)
            case .connecting(let task):
                return .opening(task)
            case .ready, .empty:
                let task = Task { try await self.open(slot: index) }
                state.slots[index] = .connecting(task)
                return .opening(task)
            }
        }
        switch pick {
        case .live(let connection):
            return connection
        case .opening(let task):
            do {
                return try await task.value
            } catch let error as RedisClientError {
                throw error
            } catch {
                throw .connectFailed(configuration.description, "\(error)")
            }
        }
    }

    private func open(slot index: Int) async throws -> RedisConnection {
        let result: Result<RedisConnection, RedisClientError>
        do {
            result = .success(
                try await RedisConnection.connect(
                    configuration: configuration,
                    sslContext: sslContext,
                    group: group,
                    activity: activity,
                    logger: logger
                )
            )
        } catch {
            result = .failure(error)
        }
        let closed = state.withLock { state in
            switch result {
            case .success(let connection): state.slots[index] = state.closed ? .empty : .ready(connection)
            case .failure: state.slots[index] = .empty
            }
            return state.closed
        }
        switch result {
        case .success(let connection):
            if closed {
                await connection.close()
                throw RedisClientError.closed
            }
            return connection
        case .failure(let error):
            logger.debug("redis connection failed", metadata: ["redis.error": "\(error)"])
            throw error
        }
    }

    /// Closes every connection; later commands fail with `.closed`.
    func close() async {
        let slots = state.withLock { state in
            state.closed = true
            defer { state.slots = state.slots.map { _ in .empty } }
            return state.slots
        }
        for slot in slots {
            switch slot {
            case .ready(let connection): await connection.close()
            case .connecting(let task): _ = try? await task.value
            case .empty: break
            }
        }
    }
}
