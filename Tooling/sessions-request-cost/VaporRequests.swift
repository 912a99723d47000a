import NIOCore
import SessionsDemo
import Vapor

/// The Vapor servers, answering on one event loop with no socket.
enum VaporRequests {
    static func run(_ server: String, route: String, count: Int) async throws -> Int {
        var environment = Environment.production
        environment.arguments = ["sessions-request-cost"]
        let app = try await Application.make(environment)
        app.logger.logLevel = .error
        if server == "vapor-demo" {
            VaporDemo.configure(app, engine: try demoEngine())
        } else {
            peerRoutes(app, sessions: server == "vapor-sessions")
        }
        try await app.asyncBoot()
        let eventLoop = app.eventLoopGroup.next()
        // Built once, as the server does at startup (`current` builds a new one on every call).
        let responder = app.responder.current
        let first = try await eventLoop.flatSubmit { send("/counter", cookie: nil, to: responder, app: app, on: eventLoop) }.get()
        let cookie = cookiePair(first.headers.first(name: .setCookie))
        // Every request on the event loop's thread, one after another, as a connection's would be.
        let failures = try await eventLoop.flatSubmit { sendAll(route, cookie: cookie, count: count, to: responder, app: app, on: eventLoop) }.get()
        try await app.asyncShutdown()
        return failures
    }

    /// Sends `count` requests in a loop rather than chaining each to the last: a route that answers at once
    /// completes its future inline, and a chain that deep would overflow the stack.
    static func sendAll(_ route: String, cookie: String?, count: Int, to responder: any Responder, app: Application, on eventLoop: any EventLoop)
        -> EventLoopFuture<Int>
    {
        let done = eventLoop.makePromise(of: Int.self)
        let tally = NIOLoopBoundBox((completed: 0, failures: 0), eventLoop: eventLoop)
        for _ in 0..<count {
            send(route, cookie: cookie, to: responder, app: app, on: eventLoop).whenComplete { result in
                tally.value.completed += 1
                if (try? result.get().status) != .ok { tally.value.failures += 1 }
                if tally.value.completed == count { done.succeed(tally.value.failures) }
            }
        }
        return done.futureResult
    }

    static func send(_ path: String, cookie: String?, to responder: any Responder, app: Application, on eventLoop: any EventLoop) -> EventLoopFuture<
        Response
    > {
        let headers: HTTPHeaders = cookie.map { ["Cookie": $0] } ?? [:]
        let request = Request(application: app, method: .GET, url: URI(path: path), headers: headers, logger: app.logger, on: eventLoop)
        return responder.respond(to: request)
    }

    /// Benchmarks/Peers/Sources/VaporPeer: the same routes.
    static func peerRoutes(_ app: Application, sessions: Bool) {
        if sessions {
            app.sessions.use(.memory)
            app.middleware.use(app.sessions.middleware)
        }
        app.get("plain") { _ in "ok" }
        app.get("counter") { request -> String in
            guard sessions else { return "0" }
            let next = (Int(request.session.data["count"] ?? "-1") ?? -1) + 1
            request.session.data["user"] = "bench"
            request.session.data["count"] = String(next)
            return String(next)
        }
        app.get("read") { request -> String in
            guard sessions else { return "anonymous" }
            return request.session.data["user"] ?? "anonymous"
        }
    }
}
