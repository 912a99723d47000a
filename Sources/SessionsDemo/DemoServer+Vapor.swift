import Logging
import ServiceLifecycle
import Sessions
import SessionsVapor
import Vapor

extension DemoServer {
    /// Serves the demo through Vapor until SIGINT/SIGTERM, running `services` (sweepers, the Redis client)
    /// with the application's lifecycle, as an app would (`SessionServices`).
    static func serveWithVapor(_ options: DemoOptions, engine: SessionEngine, services: [any Service]) async throws {
        // Vapor must not read the demo's own flags as its commands: give it only "serve".
        let app = try await Application.make(Environment(name: "production", arguments: ["sessions-demo", "serve"]))
        do {
            app.logger.logLevel = .notice
            app.http.server.configuration.hostname = options.host
            app.http.server.configuration.port = options.port
            app.http.server.configuration.serverName = "sessions-demo"
            VaporDemo.configure(app, engine: engine)
            app.lifecycle.use(SessionServices(services, logger: app.logger))
            try await app.startup()
            let port = app.http.server.shared.localAddress?.port ?? options.port
            printError("sessions-demo: Vapor listening on \(options.host):\(port)")
            try await app.running?.onStop.get()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
