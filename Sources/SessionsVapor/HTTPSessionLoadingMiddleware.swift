public import Sessions
public import Vapor

/// Loads the request's session before the handler runs, so that a synchronous route can use
/// `request.loadedHTTPSession`.
///
/// Vapor runs a synchronous route closure on the event loop without starting a task; an `async` one
/// costs a task and two thread hops per request. Put the routes that use the session on every request
/// behind this middleware and write them synchronously; routes that only sometimes touch the session are
/// cheaper left `async` and lazy. It goes after ``HTTPSessionMiddleware``, which must have run first.
/// A store that never waits (memory, cookie) loads on the event loop's thread; any other store loads in a
/// task.
///
/// ```swift
/// app.middleware.use(HTTPSessionMiddleware(engine: engine))
/// let loaded = app.grouped(HTTPSessionLoadingMiddleware())
/// loaded.get("counter") { request throws -> String in
///     let session = try request.loadedHTTPSession
///     let count = (try session.get("counter", as: Int.self) ?? 0) + 1
///     try session.insert("counter", count)
///     return String(count)
/// }
/// ```
///
/// A store failure while loading fails the request as any session failure does: an empty HTTP 500.
public struct HTTPSessionLoadingMiddleware: Middleware {
    /// Creates the middleware; the session comes from ``HTTPSessionMiddleware``.
    public init() {}

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let session = request.httpSession
        do throws(SessionError) {
            if try session.loadImmediately() != nil { return next.respond(to: request) }
        } catch {
            return request.eventLoop.makeFailedFuture(error)
        }
        return request.eventLoop.makeFutureWithTask { try await session.load() }.flatMap { _ in next.respond(to: request) }
    }
}

extension Request {
    /// The request's session, already loaded by ``HTTPSessionLoadingMiddleware``: read and write it
    /// without `await`.
    ///
    /// ```swift
    /// let user = try request.loadedHTTPSession.get("user_id", as: String.self)
    /// ```
    /// - Throws: `SessionError` with kind `notLoaded` on a route without the loading middleware, or
    ///   `notAttached` without ``HTTPSessionMiddleware``.
    public var loadedHTTPSession: LoadedHTTPSession {
        get throws(SessionError) { try httpSession.loaded }
    }
}
