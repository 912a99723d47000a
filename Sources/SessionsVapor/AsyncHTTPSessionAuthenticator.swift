import Sessions
public import Vapor

/// Authenticates a request from the user id its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// As with Vapor's, the session follows `request.auth` once the route has answered:
/// - a user logged in during the request (by a credentials authenticator placed after this one, or
///   `request.auth.login(_:)` in the route) is logged in to the session with
///   `HTTPSession.logIn(userID:entry:)`, which drops another user's values and moves the session to a new
///   key. Only when the route answers: a route that throws (a second factor missing, an account locked)
///   logs nobody in;
/// - a user the session authenticated and the route logged out (`request.auth.logout(_:)`) ends the
///   session, as `HTTPSession.logOut()` does, whether the route answers or throws (a logout then a
///   redirect);
/// - an id that names no user (a user who is gone, or a value this type cannot read) is removed from the
///   session; the session's other values stay.
///
/// A user an earlier middleware authenticated (a bearer token, say) is left alone: this authenticator then
/// neither reads nor writes the session. Each user type keeps its id in an entry of its own (``entry``,
/// named after the type with its module), so two authenticators for two user types never read each
/// other's ids. Log a user in with `request.auth.login(_:)` behind this authenticator, rather than
/// `HTTPSession.logIn(userID:)` with its default entry, which this one does not read. Put it after
/// `HTTPSessionMiddleware`:
/// ```swift
/// struct UserSessionAuthenticator: AsyncHTTPSessionAuthenticator {
///     typealias User = App.User   // SessionAuthenticatable
///     func authenticate(sessionID: String, for request: Request) async throws {
///         if let user = try await User.find(sessionID, on: request.db) { request.auth.login(user) }
///     }
/// }
/// app.middleware.use(HTTPSessionMiddleware(engine: engine))
/// let authenticated = app.grouped(UserSessionAuthenticator())
/// authenticated.grouped(User.guardMiddleware()).get("me") { request in try request.auth.require(User.self).name }
/// ```
///
/// A store failure fails the request as any session failure does (an empty HTTP 500).
public protocol AsyncHTTPSessionAuthenticator: AsyncMiddleware {
    /// The user a session authenticates.
    associatedtype User: SessionAuthenticatable

    /// The session entry holding the user's id (`User.SessionID`'s description). By default `"user_id:"`
    /// followed by the type's name with its module (`String(reflecting:)`): one entry per user type, even
    /// for two types of one name in different modules or namespaces.
    var entry: String { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String { "user_id:" + String(reflecting: User.self) }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await next.respond(to: request) }
        let session = request.httpSession
        let stored = try await session.get(entry, as: JSONValue.self)
        if let id = stored.flatMap(Self.text).flatMap(User.SessionID.init) {
            try await authenticate(sessionID: id, for: request)
        }
        let authenticatedBySession = request.auth.has(User.self)
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // Only a logout survives an error: a route that threw never logs anyone in.
            if authenticatedBySession, !request.auth.has(User.self) { try await session.logOut() }
            throw error
        }
        if let user = request.auth.get(User.self) {
            let id = user.sessionID.description
            if stored.flatMap(Self.text) != id { try await session.logIn(userID: id, entry: entry) }
        } else if authenticatedBySession {
            try await session.logOut()
        } else if stored != nil {
            try await session.remove(entry)
        }
        return response
    }

    /// An id as text: a string, or an integer (`logIn(userID:)` with a number); `nil` for anything else.
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let id): id
        case .integer(let id): String(id)
        default: nil
        }
    }
}
