import Logging
import ServiceLifecycle

/// Deletes expired sessions in the background, in batches, at an interval; a swift-service-lifecycle
/// `Service`, so it stops cleanly on shutdown.
///
/// ```swift
/// let sweeper = SessionExpirySweeper(store: store, configuration: .init(interval: .seconds(300)))
/// app.addServices(sweeper)
/// ```
///
/// A failed sweep is logged and retried at the next interval: expired rows are invisible to loads
/// anyway, so sweeping is housekeeping, never correctness.
public struct SessionExpirySweeper<Store: ExpiringSessionStore>: Service {
    /// How often and how much to sweep.
    public struct Configuration: Sendable {
        /// Time between sweeps.
        public var interval: Duration
        /// Rows deleted per statement; a sweep repeats batches until one comes back short.
        public var batchSize: Int

        /// Creates a configuration.
        public init(interval: Duration = .seconds(300), batchSize: Int = 1000) {
            self.interval = interval
            self.batchSize = max(1, batchSize)
        }
    }

    let store: Store
    let configuration: Configuration
    let logger: Logger

    /// Creates a sweeper for `store`.
    public init(store: Store, configuration: Configuration = .init(), logger: Logger = Logger(label: "swift-sessions.sweeper")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Deletes every expired session now, batch by batch, and returns how many went.
    @discardableResult
    public func sweep() async throws -> Int {
        var total = 0
        while !Task.isCancelled {
            let deleted = try await store.deleteExpired(limit: configuration.batchSize)
            total += deleted
            if deleted < configuration.batchSize { break }
        }
        return total
    }

    /// Sweeps every ``Configuration/interval`` until cancelled or shut down.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: configuration.interval)
                }
            } catch {
                return
            }
            do {
                let deleted = try await sweep()
                if deleted > 0 { logger.debug("swept expired sessions", metadata: ["count": "\(deleted)"]) }
            } catch {
                logger.warning("sweeping expired sessions failed; retrying at the next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
