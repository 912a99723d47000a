public import Sessions
import SessionsVapor
public import Vapor

/// The demo's routes served through Vapor and ``HTTPSessionMiddleware``: the same routes, written
/// once in ``DemoRoutes``, as the Hummingbird demo.
public enum VaporDemo {
    /// Installs the session middleware and every demo route on `app`.
    ///
    /// ```swift
    /// let app = try await Application.make(.production)
    /// VaporDemo.configure(app, engine: engine)
    /// ```
    public static func configure(_ app: Application, engine: SessionEngine) {
        app.middleware.use(HTTPSessionMiddleware(engine: engine))
        app.routes.defaultMaxBodySize = ByteCount(value: DemoRoutes.maximumBodyBytes)
        app.get { request async throws in
            let acceptsHTML = request.headers[.accept].contains { $0.contains("text/html") }
            return try await DemoRoutes.index(request.httpSession, acceptsHTML: acceptsHTML).vaporResponse
        }
        app.post("do_something") { request async throws in try await DemoRoutes.doSomething(request.httpSession).vaporResponse }
        app.post("login") { request async throws in
            try await DemoRoutes.login(
                request.httpSession,
                body: request.bodyBytes,
                delayMilliseconds: request.query[String.self, at: "delay_ms"]
            ).vaporResponse
        }
        app.post("logout") { request async throws in
            try await DemoRoutes.logout(request.httpSession, delayMilliseconds: request.query[String.self, at: "delay_ms"]).vaporResponse
        }
        app.get("protected", "count") { request async throws in try await DemoRoutes.protectedCount(request.httpSession).vaporResponse }
        app.get("session") { request async throws in try await DemoRoutes.entries(request.httpSession).vaporResponse }
        app.put("session", ":key") { request async throws in
            try await DemoRoutes.putEntry(
                request.httpSession,
                key: request.parameters.get("key") ?? "",
                body: request.bodyBytes,
                delayMilliseconds: request.query[String.self, at: "delay_ms"]
            ).vaporResponse
        }
        app.delete("session", ":key") { request async throws in
            try await DemoRoutes.deleteEntry(request.httpSession, key: request.parameters.get("key") ?? "").vaporResponse
        }
        app.get("plain") { _ in DemoRoutes.plain().vaporResponse }
        // Synchronous routes behind the loading middleware: Vapor starts no task for them.
        let loaded = app.grouped(HTTPSessionLoadingMiddleware())
        loaded.get("counter") { request throws in try DemoRoutes.counter(request.loadedHTTPSession).vaporResponse }
        loaded.get("read") { request throws in try DemoRoutes.read(request.loadedHTTPSession).vaporResponse }
    }
}

extension Request {
    fileprivate var bodyBytes: [UInt8] {
        body.data.map { Array($0.readableBytesView) } ?? []
    }
}

extension DemoReply {
    fileprivate var vaporResponse: Response {
        Response(
            status: HTTPResponseStatus(statusCode: status),
            headers: ["Content-Type": contentType.rawValue],
            body: .init(string: body)
        )
    }
}
