public import Sessions
public import Vapor

/// Gives every Vapor request a lazily loaded `HTTPSession` (as `request.httpSession`) and turns its
/// changes into cookies.
///
/// All session semantics live in the core's `SessionEngine`; this middleware hands it the `Cookie`
/// header, stores the session on the request, and appends the `Set-Cookie` headers the engine returns.
/// A store failure answers HTTP 500 with an empty body; the cause goes to the log.
///
/// ```swift
/// let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET")
/// app.middleware.use(HTTPSessionMiddleware(store: MemorySessionStore(), secrets: secrets))
/// app.post("login") { request async throws -> String in
///     // Once the password is checked: after the route, the user is stored and the key renewed.
///     try await request.httpSession.logIn(userID: "ada", userType: "user")
///     return "welcome"
/// }
/// ```
///
/// A handler that throws an `AbortError` still commits its session, as a returned response does (a login
/// only below 400): the error is rethrown as an `Abort` with the same status and reason and the session's
/// headers added. Any other error commits
/// only a purge or a renew's end of its old key (`SessionEngine.abandon`), so a logout is carried out
/// whatever happens after it (its answer is then an empty 500 with the removal cookie, the error logged).
/// A request whose session changes were dropped (its session ended or was renewed away by another request
/// meanwhile) is answered 409, unless its handler threw an error of status 400 or above.
public struct HTTPSessionMiddleware: Middleware {
    /// The engine that holds the session semantics.
    public let engine: SessionEngine

    /// Uses an engine built elsewhere (for example one shared with another adapter).
    public init(engine: SessionEngine) {
        self.engine = engine
    }

    /// Builds the engine from a store and its secrets, with the default configuration (secure, `HttpOnly`,
    /// `SameSite=Lax`, encrypted cookies; one-day sessions).
    public init(store: some SessionStore, secrets: SessionSecrets) {
        self.engine = .withDefaultConfiguration(store: store, secrets: secrets)
    }

    /// Builds the engine from a store, its secrets and a configuration.
    /// - Throws: `SessionConfigurationError` for a configuration browsers would reject.
    public init(
        store: some SessionStore,
        secrets: SessionSecrets,
        configuration: SessionConfiguration
    ) throws(SessionConfigurationError) {
        self.engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration)
    }

    // Future-based rather than `AsyncMiddleware`: Vapor runs an async middleware in a task of its own on
    // every request, which cost a request that never touches its session 13% of its throughput. A store
    // that never waits (memory, cookie) ends the session on the event loop's thread; any other store's end
    // gets a task. One promise serves both outcomes of the handler (a `flatMap` and a `flatMapError` cost
    // two futures on every request).
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        var cookieHeader: String?
        for field in request.headers[.cookie] {
            cookieHeader = SessionEngine.cookieHeader(cookieHeader, appending: field)
        }
        let session = engine.begin(cookieHeader: cookieHeader, logger: request.logger)
        request.storage[HTTPSessionStorageKey.self] = session
        let engine = engine
        let promise = request.eventLoop.makePromise(of: Response.self)
        next.respond(to: request).whenComplete { result in
            let outcome: SessionEngine.HandlerOutcome
            switch result {
            // An untouched session commits nothing whatever the status, and Vapor reads `status` under a lock.
            case .success(let response): outcome = .answered(status: session.isLoaded ? Int(response.status.code) : 200)
            // A thrown response answers as a returned one would: a login only below 400, a 409 for a redirect
            // whose session changes were dropped.
            case .failure(let error as any AbortError): outcome = .answered(status: Int(error.status.code))
            case .failure(let error): outcome = .threw(error)
            }
            if let end = engine.endImmediately(session, after: outcome, logger: request.logger) {
                return promise.completeWith(Self.answer(end, to: result))
            }
            promise.completeWithTask {
                try Self.answer(await engine.end(session, after: outcome, logger: request.logger), to: result).get()
            }
        }
        return promise.futureResult
    }

    /// The engine's decision, on Vapor's types: the handler's response with the session's headers, an
    /// `AbortError` rethrown as an `Abort` with the same status and reason plus those headers, an empty
    /// response with the engine's status, or the handler's error as it was.
    private static func answer(_ end: SessionEngine.RequestEnd, to result: Result<Response, any Error>) -> Result<Response, any Error> {
        switch end {
        case .respond(let headers):
            switch result {
            case .success(let response):
                apply(headers, to: &response.headers)
                return .success(response)
            case .failure(let error as any AbortError):
                return .failure(abort(error, adding: headers))
            case .failure:
                return result
            }
        case .replace(let status, let headers):
            let response = Response(status: HTTPResponseStatus(statusCode: status))
            apply(headers, to: &response.headers)
            return .success(response)
        case .rethrow:
            return result
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
