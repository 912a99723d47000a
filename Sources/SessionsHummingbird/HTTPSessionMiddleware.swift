import HTTPTypes
public import Hummingbird
import Logging
public import Sessions

/// Gives every request a lazily loaded `HTTPSession` and turns its changes into cookies.
///
/// All session semantics live in the core's `SessionEngine`; this middleware only hands it the
/// `Cookie` header, exposes the session through the context, and appends the `Set-Cookie` headers
/// the engine returns. A store failure answers HTTP 500 with an empty body; the cause goes to the log.
///
/// ```swift
/// let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET")
/// let router = Router(context: BasicHTTPSessionRequestContext.self)
/// router.addMiddleware { HTTPSessionMiddleware(store: MemorySessionStore(), secrets: secrets) }
/// router.post("/login") { request, context in
///     // Once the password is checked: after the route, the user is stored and the key renewed.
///     try await context.httpSession.logIn(userID: "ada", userType: "user")
///     return "welcome"
/// }
/// ```
///
/// A handler that throws an `HTTPResponseError` (say, `HTTPError(.unauthorized)`) still commits its
/// session with that error's response, as a returned one does: a login the handler asked for
/// (`HTTPSession.logIn(userID:as:)`) is carried out only for an answer below 400. A handler that throws
/// anything else commits only a purge or a
/// renew's end of its old key (`SessionEngine/abandon(_:logger:)`), so a logout is carried out whatever
/// happens after it (its answer is then an empty 500 with the removal cookie, the error logged). A
/// request whose session changes were dropped (its session ended or was renewed away by another request
/// meanwhile) is answered 409 unless its handler threw an error response of 400 or above.
public struct HTTPSessionMiddleware<Context: HTTPSessionRequestContext>: RouterMiddleware {
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

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let session = engine.begin(cookieHeader: Self.cookieHeader(of: request.headers), logger: context.logger)
        context.httpSession = session
        var response: Response
        let outcome: SessionEngine.HandlerOutcome
        do {
            response = try await next(request, context)
            outcome = .answered(status: response.status.code)
        } catch let error as any HTTPResponseError {
            do {
                // A thrown response answers as a returned one would: a login only below 400, a 409 for a
                // redirect whose session changes were dropped.
                response = try error.response(from: request, context: context)
                outcome = .answered(status: response.status.code)
            } catch {
                // Rendering the error failed: that error is the answer, and the session is abandoned.
                response = Response(status: .internalServerError)
                outcome = .threw(error)
            }
        } catch {
            response = Response(status: .internalServerError)
            outcome = .threw(error)
        }
        switch await engine.end(session, after: outcome, logger: context.logger) {
        case .respond(let headers):
            return Self.adding(headers, to: response)
        case .replace(let status, let headers):
            return Self.adding(headers, to: Response(status: HTTPResponse.Status(code: status)))
        case .rethrow:
            guard case .threw(let error) = outcome else { return response }
            throw error
        }
    }

    private static func adding(_ headers: SessionResponseHeaders, to response: Response) -> Response {
        guard !headers.isEmpty else { return response }
        var response = response
        for cookie in headers.setCookies {
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        if let cacheControl = headers.cacheControl {
            response.headers[.cacheControl] = cacheControl
        }
        return response
    }

    /// The request's `Cookie` fields as one value. A loop rather than the `.cookie` subscript, which joins
    /// through lazy generic sequences: about 4,000 instructions per request for one short header.
    static func cookieHeader(of fields: HTTPFields) -> String? {
        var cookieHeader: String?
        for field in fields where field.name == .cookie {
            cookieHeader = SessionEngine.cookieHeader(cookieHeader, appending: field.value)
        }
        return cookieHeader
    }
}
