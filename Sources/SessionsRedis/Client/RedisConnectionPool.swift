import Logging
import NIOCore
import NIOSSL
import Sessions
import Synchronization

/// A fixed number of connection slots, filled lazily and refilled whenever a connection has died, so the
/// pool heals by itself once the server is back. Commands spread over the slots in turn and are pipelined
/// on each connection, so a slot never has to be "free" to be used.
///
/// While the server is down the pool backs off: after a failed connect no slot tries again before a
/// delay (doubled after each failure up to a limit, with jitter), and commands in between fail at once
/// with the last failure's cause, instead of each one spending a connect on a server that is not there.
final class RedisConnectionPool: Sendable {
    private enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    /// The last connect failure, while the pool backs off.
    private struct Backoff {
        var error: RedisClientError
        var retryAt: ContinuousClock.Instant
        var delay: Duration
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var closed = false
        var backoff: Backoff?
        /// Whether a connect ever succeeded: failures after that are an outage, worth a warning.
        var everConnected = false
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
        let now = ContinuousClock.now
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
                if let backoff = state.backoff, now < backoff.retryAt {
                    // Backing off: any other live connection serves the command; only with none does it fail.
                    for case .ready(let connection) in state.slots where connection.isActive { return .live(connection) }
                    throw backoff.error
                }
                let task = Task { try await self.open(slot: index, startedAt: now) }
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

    private func open(slot index: Int, startedAt: ContinuousClock.Instant) async throws -> RedisConnection {
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
        let now = ContinuousClock.now
        let (closed, recovered, backoff, outage) = state.withLock { state -> (Bool, Bool, Backoff?, Bool) in
            switch result {
            case .success(let connection):
                state.slots[index] = state.closed ? .empty : .ready(connection)
                state.everConnected = true
                defer { state.backoff = nil }
                return (state.closed, state.backoff != nil, nil, false)
            case .failure(let error):
                state.slots[index] = .empty
                // Doubled once per window: connects that were already under way when the last failure set the
                // window fail together (every slot of a pool at once), and count as one failure.
                let delay: Duration
                if let previous = state.backoff {
                    delay = startedAt < previous.retryAt ? previous.delay : min(previous.delay * 2, configuration.reconnectDelayLimit)
                } else {
                    delay = configuration.reconnectDelay
                }
                // Jitter: several app servers that lost the same Redis do not all come back at once.
                let backoff = Backoff(error: error, retryAt: now + delay * Double.random(in: 0.5...1), delay: delay)
                state.backoff = backoff
                return (state.closed, false, backoff, state.everConnected)
            }
        }
        switch result {
        case .success(let connection):
            if closed {
                await connection.close()
                throw RedisClientError.closed
            }
            if recovered { logger.info("redis connection restored", metadata: ["redis.server": "\(configuration.description)"]) }
            return connection
        case .failure(let error):
            // Before any connect succeeded the error reaches the caller (say, a server starting up), which
            // reports it; once connected, a failure is an outage and the log is where operators look.
            logger.log(
                level: outage ? .warning : .debug,
                "redis connection failed; backing off",
                metadata: ["redis.error": "\(error)", "redis.retry_in_ms": "\(backoff.map { $0.delay.wholeMilliseconds } ?? 0)"]
            )
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
