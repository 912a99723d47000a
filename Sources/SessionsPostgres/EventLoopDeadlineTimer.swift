import NIOCore
import PostgresNIO
import Sessions

extension StoreDeadlineTimer {
    /// Query deadlines on an event loop of PostgresNIO's default group: a cancelled scheduled task leaves
    /// the loop's queue at once, where a cancelled sleeping task would hold its memory for the rest of the
    /// limit, a few MiB per second of limit at thousands of queries a second.
    static let postgresEventLoop = StoreDeadlineTimer { limit, expire in
        let scheduled = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: TimeAmount(limit)) { expire() }
        return { scheduled.cancel() }
    }
}
