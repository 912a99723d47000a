import ServiceLifecycle
import Sessions
import SessionsVapor
import Synchronization
import TestSupport
import Testing
import Vapor
import VaporTesting

/// `SessionServices` runs a store's services with a Vapor application's lifecycle.
@Suite(.tags(.vapor)) struct SessionServicesTests {
    /// A service that says when it started, then waits for a graceful shutdown and says when it ended.
    final class RecordingService: Service {
        let events: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation
        let ended = Mutex(false)

        init() {
            (events, continuation) = AsyncStream.makeStream()
        }

        func run() async throws {
            continuation.yield("started")
            try? await gracefulShutdown()
            ended.withLock { $0 = true }
            continuation.yield("ended")
        }
    }

    @Test("services start when the application boots, and its shutdown waits for them to end")
    func servicesFollowTheApplication() async throws {
        let service = RecordingService()
        let app = try await Application.make(.testing)
        app.lifecycle.use(SessionServices(service))
        var events = service.events.makeAsyncIterator()
        try await app.asyncBoot()
        #expect(await events.next() == "started")
        #expect(service.ended.withLock { $0 } == false, "it runs until the application stops")
        try await app.asyncShutdown()
        #expect(service.ended.withLock { $0 }, "the shutdown returned once the service had ended")
        #expect(await events.next() == "ended")
    }

    @Test("the Vapor article's memory store is swept while the app runs and counts through the middleware")
    func theArticlesRecipeWorks() async throws {
        let secrets = SessionSecrets(current: .generate())
        let app = try await Application.make(.testing)
        // README: Vapor services
        let store = MemorySessionStore()
        app.lifecycle.use(SessionServices(store))  // sweeps expired sessions every minute until shutdown
        app.middleware.use(HTTPSessionMiddleware(store: store, secrets: secrets))
        // README: end
        app.get("counter") { request async throws -> String in
            "\(try await request.httpSession.update("counter", default: 0) { $0 += 1 })"
        }
        do {
            try await app.asyncBoot()
            let first = try await app.testing().sendRequest(.GET, "counter")
            let cookie = try #require(first.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) })
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect([first.body.string, second.body.string] == ["1", "2"])
        } catch {
            try await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        #expect(try ReadmeRecipe.article("UsingVapor").contains(try ReadmeRecipe.block("", regions: ["Vapor services"], inFile: #filePath)))
    }
}

extension SessionServicesTests {
    struct ClientGone: Error {}

    /// A service that fails as soon as it runs, as a store client whose server refused it for good.
    struct FailingService: Service {
        func run() async throws { throw ClientGone() }
    }

    @Test("a service that fails stops the application, and the failure is logged")
    func aFailingServiceStopsTheApplication() async throws {
        let logs = LogCapture()
        let app = try await Application.make(.testing)
        let stopped = app.eventLoopGroup.next().makePromise(of: Void.self)
        app.running = .start(using: stopped)
        app.lifecycle.use(SessionServices(FailingService(), logger: logs.logger))
        try await app.asyncBoot()
        try await stopped.futureResult.get()
        try await app.asyncShutdown()
        #expect(logs.text.contains("a session service failed; stopping the application"))
    }
}

extension SessionServicesTests {
    @Test("with no services nothing runs: the application is not stopped and nothing is logged")
    func noServices() async throws {
        let logs = LogCapture()
        let app = try await Application.make(.testing)
        let stopped = app.eventLoopGroup.next().makePromise(of: Void.self)
        app.running = .start(using: stopped)
        app.lifecycle.use(SessionServices([], logger: logs.logger))
        try await app.asyncBoot()
        // A request served through the app is answered: it was not stopped.
        app.get("ok") { _ in "ok" }
        #expect(try await app.testing().sendRequest(.GET, "ok").body.string == "ok")
        try await app.asyncShutdown()
        #expect(logs.text.isEmpty, "\(logs.text)")
        stopped.succeed()
    }
}
