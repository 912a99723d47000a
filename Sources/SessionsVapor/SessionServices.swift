import Dispatch
import Logging
public import ServiceLifecycle
import Synchronization
public import Vapor

/// Runs a store's services (its client, its expiry sweeper) with a Vapor application: started when the
/// application has booted, and at shutdown stopped gracefully, after the HTTP server, and awaited.
///
/// Hummingbird runs swift-service-lifecycle `Service`s itself (`Application(router:services:)`); Vapor does
/// not, so a Vapor app hands them to this lifecycle handler instead.
///
/// ```swift
/// let client = PostgresClient(configuration: postgres)
/// let store = try PostgresSessionStore(client: client)
/// app.lifecycle.use(SessionServices(client, SessionExpirySweeper(store: store)))
/// app.middleware.use(HTTPSessionMiddleware(store: store, secrets: secrets))
/// ```
///
/// The services run as one `ServiceGroup`. When one of them fails or returns while the application runs,
/// the others are cancelled, the failure is logged, and the running application is stopped, as Hummingbird
/// stops: an app whose store client is gone would answer every request 500. A service that ignores the
/// graceful shutdown is cancelled after `shutdownTimeout`.
public final class SessionServices: LifecycleHandler {
    private enum State {
        case idle
        case running(group: ServiceGroup, task: Task<Void, Never>)
        case stopping
    }

    private let services: [any Service]
    private let logger: Logger
    private let shutdownTimeout: Duration
    private let state = Mutex(State.idle)

    /// Runs `services` from the application's boot to its shutdown.
    /// - Parameters:
    ///   - services: the store's client, its sweeper: any swift-service-lifecycle `Service`.
    ///   - shutdownTimeout: how long a graceful shutdown may take before the services are cancelled.
    ///   - logger: where a service's failure is logged.
    public convenience init(
        _ services: any Service...,
        shutdownTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "swift-sessions.services")
    ) {
        self.init(services, shutdownTimeout: shutdownTimeout, logger: logger)
    }

    /// Runs `services` from the application's boot to its shutdown: the same, for a list built at run time.
    public init(_ services: [any Service], shutdownTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "swift-sessions.services")) {
        self.services = services
        self.shutdownTimeout = shutdownTimeout
        self.logger = logger
    }

    public func didBootAsync(_ application: Application) async throws {
        start(application)
    }

    public func didBoot(_ application: Application) throws {
        start(application)
    }

    public func shutdownAsync(_ application: Application) async {
        // Vapor shuts its lifecycle handlers down before the server it keeps in its storage: close a running
        // server first, so that no request reaches a store whose client is gone.
        if application.running != nil { await application.server.shutdown() }
        guard case .running(let group, let task) = beginStopping() else { return }
        await group.triggerGracefulShutdown()
        await task.value
    }

    public func shutdown(_ application: Application) {
        if application.running != nil { application.server.shutdown() }
        guard case .running(let group, let task) = beginStopping() else { return }
        // The synchronous shutdown cannot await: wait on this thread, as Vapor's own synchronous shutdown
        // does for its event loops, so that no service outlives them.
        let done = DispatchSemaphore(value: 0)
        Task {
            await group.triggerGracefulShutdown()
            await task.value
            done.signal()
        }
        _ = done.wait(timeout: .now() + .milliseconds(Int(shutdownTimeout.components.seconds * 1000) + 1000))
    }

    /// Marks the services stopping (a boot after this starts nothing) and returns what was running.
    private func beginStopping() -> State {
        state.withLock { state in
            defer { state = .stopping }
            return state
        }
    }

    private var isStopping: Bool {
        state.withLock { if case .stopping = $0 { true } else { false } }
    }

    private func start(_ application: Application) {
        // No services, no group: an empty group returns at once, which would read as a service that quit.
        guard !services.isEmpty else { return }
        state.withLock { state in
            guard case .idle = state else { return }
            var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) }, logger: logger)
            configuration.maximumGracefulShutdownDuration = shutdownTimeout
            let group = ServiceGroup(configuration: configuration)
            let task = Task {
                do {
                    try await group.run()
                    guard !self.isStopping else { return }
                    self.logger.error("a session service returned before the application stopped; stopping the application")
                } catch {
                    guard !self.isStopping else {
                        self.logger.warning("a session service failed while stopping", metadata: ["error": "\(String(reflecting: error))"])
                        return
                    }
                    self.logger.error("a session service failed; stopping the application", metadata: ["error": "\(String(reflecting: error))"])
                }
                application.running?.stop()
            }
            state = .running(group: group, task: task)
        }
    }
}
