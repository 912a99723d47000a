import HTTPTypes
public import Hummingbird
import NIOCore
public import Sessions
public import SessionsHummingbird

/// The demo's routes served through Hummingbird and ``HTTPSessionMiddleware``.
public enum HummingbirdDemo {
    /// A router with the session middleware and every demo route.
    ///
    /// ```swift
    /// let app = Application(router: HummingbirdDemo.router(engine: engine))
    /// ```
    public static func router(engine: SessionEngine) -> Router<BasicHTTPSessionRequestContext> {
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        // /plain sits before the middleware's group only in effect: the middleware is lazy, so a route
        // that never touches the session costs nothing either way.
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        router.get("/") { request, context in
            let acceptsHTML = request.headers[.accept]?.contains("text/html") ?? false
            return try await DemoRoutes.index(context.httpSession, acceptsHTML: acceptsHTML).response
        }
        router.post("/do_something") { _, context in try await DemoRoutes.doSomething(context.httpSession).response }
        router.post("/login") { request, context in
            try await DemoRoutes.login(
                context.httpSession,
                body: try await request.collectBody(),
                delayMilliseconds: request.uri.queryParameters.get("delay_ms")
            ).response
        }
        router.post("/logout") { request, context in
            try await DemoRoutes.logout(context.httpSession, delayMilliseconds: request.uri.queryParameters.get("delay_ms")).response
        }
        router.get("/protected/count") { _, context in try await DemoRoutes.protectedCount(context.httpSession).response }
        router.get("/session") { _, context in try await DemoRoutes.entries(context.httpSession).response }
        router.put("/session/:key") { request, context in
            try await DemoRoutes.putEntry(
                context.httpSession,
                key: try context.parameters.require("key"),
                body: try await request.collectBody(),
                delayMilliseconds: request.uri.queryParameters.get("delay_ms")
            ).response
        }
        router.delete("/session/:key") { _, context in
            try await DemoRoutes.deleteEntry(context.httpSession, key: try context.parameters.require("key")).response
        }
        router.get("/plain") { _, _ in DemoRoutes.plain().response }
        router.get("/counter") { _, context in try DemoRoutes.counter(await context.httpSession.load()).response }
        router.get("/read") { _, context in try DemoRoutes.read(await context.httpSession.load()).response }
        return router
    }
}

extension Request {
    fileprivate func collectBody() async throws -> [UInt8] {
        var request = self
        let buffer = try await request.collectBody(upTo: DemoRoutes.maximumBodyBytes)
        return Array(buffer.readableBytesView)
    }
}

extension DemoReply {
    fileprivate var response: Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: contentType.rawValue],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}
