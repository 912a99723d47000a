public import Sessions
public import Vapor

/// Gives every Vapor request a lazily loaded ``HTTPSession`` (as `request.httpSession`) and turns its
/// changes into cookies.
///
/// All session semantics live in the core's `SessionEngine`; this middleware hands it the `Cookie`
/// header, stores the session on the request, and appends the `Set-Cookie` headers the engine returns.
/// A store failure answers HTTP 500 with an empty body; the cause goes to the log.
///
/// ```swift
/// let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: secret))
/// app.middleware.use(HTTPSessionMiddleware(engine: engine))
/// app.post("login") { request async throws -> String in
///     try await request.httpSession.insert("user_id", "ada")
///     try await request.httpSession.renew(.newAuthentication)
///     return "welcome"
/// }
/// ```
///
/// A handler that throws an `AbortError` still commits its session: the error is rethrown as an
/// `Abort` with the same status and reason and the session's headers added. Any other error commits
/// only a purge or a renew's end of its old key (`SessionEngine.abandon`), so a logout is carried out
/// whatever happens after it.
public struct HTTPSessionMiddleware: Middleware {
    /// The engine that holds the session semantics.
    public let engine: SessionEngine

    /// Uses an engine built elsewhere (for example one shared with another adapter).
    public init(engine: SessionEngine) {
        self.engine = engine
    }

    // Future-based rather than `AsyncMiddleware`: Vapor runs an async middleware in a task of its own on
    // every request, which cost a request that never touches its session 13% of its throughput. A store
    // that never waits (memory, cookie) commits on the event loop's thread; any other store's commit gets a
    // task. One promise serves both outcomes of the handler (a `flatMap` and a `flatMapError` cost two
    // futures on every request).
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let cookies = request.headers[.cookie]
        let cookieHeader = cookies.count <= 1 ? cookies.first : cookies.joined(separator: "; ")
        let session = engine.begin(cookieHeader: cookieHeader, logger: request.logger)
        request.storage[HTTPSessionStorageKey.self] = session
        let engine = engine
        let promise = request.eventLoop.makePromise(of: Response.self)
        next.respond(to: request).whenComplete { result in
            switch result {
            case .success(let response):
                let headers: SessionResponseHeaders?
                do throws(SessionError) {
                    headers = try engine.commitImmediately(session, logger: request.logger)
                } catch {
                    return promise.succeed(Response(status: HTTPResponseStatus(statusCode: error.httpStatus)))
                }
                if let headers {
                    Self.apply(headers, to: &response.headers)
                    return promise.succeed(response)
                }
                promise.completeWithTask { await Self.commit(session, engine: engine, into: response, request: request) }
            case .failure(let error):
                Self.answer(error, session: session, engine: engine, request: request, promise: promise)
            }
        }
        return promise.futureResult
    }

    private static func commit(_ session: HTTPSession, engine: SessionEngine, into response: Response, request: Request) async -> Response {
        let headers: SessionResponseHeaders
        do throws(SessionError) {
            headers = try await engine.commit(session, logger: request.logger)
        } catch {
            return Response(status: HTTPResponseStatus(statusCode: error.httpStatus))
        }
        apply(headers, to: &response.headers)
        return response
    }

    /// A handler's error: a session failure is an empty 500; an `AbortError` still commits the session and
    /// is rethrown with its headers (in a task only for a store that waits); anything else abandons the
    /// session (a purge is still carried out) and is passed on.
    private static func answer(
        _ error: any Error,
        session: HTTPSession,
        engine: SessionEngine,
        request: Request,
        promise: EventLoopPromise<Response>
    ) {
        switch error {
        case let error as SessionError:
            if !error.isStoreFailure {
                request.logger.error("session failure", metadata: ["error": "\(error)"])
            }
            abandon(session, engine: engine, request: request, promise: promise, then: .success(Response(status: .internalServerError)))
        case let abort as any AbortError:
            // The engine has logged the cause of a failed commit; the client learns nothing of it.
            let headers: SessionResponseHeaders?
            do throws(SessionError) {
                headers = try engine.commitImmediately(session, logger: request.logger)
            } catch {
                return promise.succeed(Response(status: HTTPResponseStatus(statusCode: error.httpStatus)))
            }
            if let headers {
                return promise.fail(Self.abort(abort, adding: headers))
            }
            promise.completeWithTask {
                let headers: SessionResponseHeaders
                do throws(SessionError) {
                    headers = try await engine.commit(session, logger: request.logger)
                } catch {
                    return Response(status: HTTPResponseStatus(statusCode: error.httpStatus))
                }
                throw Self.abort(abort, adding: headers)
            }
        default:
            abandon(session, engine: engine, request: request, promise: promise, then: .failure(error))
        }
    }

    /// Abandons the session (on the event loop's thread, or in a task for a store that waits), then
    /// completes `promise` with `result`.
    private static func abandon(
        _ session: HTTPSession,
        engine: SessionEngine,
        request: Request,
        promise: EventLoopPromise<Response>,
        then result: Result<Response, any Error>
    ) {
        if engine.abandonImmediately(session, logger: request.logger) {
            return promise.completeWith(result)
        }
        promise.completeWithTask {
            await engine.abandon(session, logger: request.logger)
            return try result.get()
        }
    }

    private static func abort(_ error: any AbortError, adding headers: SessionResponseHeaders) -> Abort {
        var merged = error.headers
        apply(headers, to: &merged)
        return Abort(error.status, headers: merged, reason: error.reason)
    }

    private static func apply(_ headers: SessionResponseHeaders, to fields: inout HTTPHeaders) {
        for cookie in headers.setCookies {
            fields.add(name: .setCookie, value: cookie)
        }
        if let cacheControl = headers.cacheControl {
            fields.replaceOrAdd(name: .cacheControl, value: cacheControl)
        }
    }
}

enum HTTPSessionStorageKey: StorageKey {
    typealias Value = HTTPSession
}

extension Request {
    /// The request's session, set by ``HTTPSessionMiddleware``.
    ///
    /// Named so as not to clash with Vapor's own `request.session`. On a route outside the middleware it
    /// is `HTTPSession.unattached`, whose every call throws.
    ///
    /// ```swift
    /// let user = try await request.httpSession.get("user_id", as: String.self)
    /// ```
    public var httpSession: HTTPSession {
        storage[HTTPSessionStorageKey.self] ?? .unattached
    }
}
