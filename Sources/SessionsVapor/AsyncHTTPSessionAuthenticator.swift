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
///   `HTTPSession.logIn(userID:entry:)`, which clears another user's session and moves it to a new key.
///   Only when the route answers with a status below 400: a route that throws or answers an error (a
///   second factor missing, an account locked) logs nobody in;
/// - a user the session authenticated and the route logged out (`request.auth.logout(_:)`) ends the
///   session, as `HTTPSession.logOut()` does, whatever the route answers (a logout then a redirect);
/// - an id that names no user (a user who is gone, or a value this type cannot read) is dropped with the
///   session's values, which were that user's: the session is cleared, whatever the route answers.
///
/// A user an earlier middleware authenticated (a bearer token, say) is left alone: this authenticator then
/// neither reads nor writes the session. Each user type keeps its id in an entry of its own (``entry``,
/// named after the type with its module; a private or local type, which has no stable name, by its name
/// alone), so two authenticators for two user types never read each other's ids; renaming the type or
/// its module logs its users out unless ``entry`` pins the name. Log a user in with
/// `request.auth.login(_:)` behind this authenticator, rather than `HTTPSession.logIn(userID:)` with its
/// default entry, which this one does not read. Put it after `HTTPSessionMiddleware` and before a
/// credentials authenticator:
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
    /// for two types of one name in different modules or namespaces. A private or local type's full name
    /// holds a load address that changes with every launch, so such a type is named by its name alone.
    var entry: String { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String {
        let name = String(reflecting: User.self)
        return "user_id:" + (name.contains("(unknown context at") ? String(describing: User.self) : name)
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await next.respond(to: request) }
        let session = request.httpSession
        let stored = try await session.get(entry, as: JSONValue.self)
        if let id = stored.flatMap(Self.text).flatMap(User.SessionID.init) {
            try await authenticate(sessionID: id, for: request)
        }
        let authenticatedBySession = request.auth.has(User.self)
        let namesNoUser = stored != nil && !authenticatedBySession
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // Only a logout, or the end of a dead id, survives an error: a route that threw logs nobody in.
            if authenticatedBySession, !request.auth.has(User.self) {
                try await session.logOut()
            } else if namesNoUser {
                try await session.clear()
            }
            throw error
        }
        if let user = request.auth.get(User.self), response.status.code < 400 {
            // Unless the session itself authenticated this very user, a login: a new key, another user's values gone.
            let id = user.sessionID.description
            if !(authenticatedBySession && stored.flatMap(Self.text) == id) {
                try await session.logIn(userID: id, entry: entry)
            }
        } else if authenticatedBySession, !request.auth.has(User.self) {
            try await session.logOut()
        } else if namesNoUser {
            try await session.clear()
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
