import Sessions
public import Vapor

/// Authenticates a request from the user id its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// As with Vapor's, the session follows `request.auth` once the route has answered, even with an error (a
/// redirect after a login or a logout):
/// - a user logged in during the request (by a credentials authenticator, or `request.auth.login(_:)`) is
///   logged in to the session with `HTTPSession.logIn(userID:entry:)`, which clears another user's values
///   and moves the session to a new key;
/// - a user the session authenticated and the route logged out (`request.auth.logout(_:)`) ends the
///   session, as `HTTPSession.logOut()` does;
/// - an id that names no user (a user who is gone, or an id this type cannot read) is removed from the
///   session; the session's other values stay.
///
/// A user an earlier middleware authenticated (a bearer token, say) is left alone: this authenticator then
/// neither reads nor writes the session. Each user type keeps its id in an entry of its own
/// (``entry``), so two authenticators for two user types never read each other's ids. Put it after
/// `HTTPSessionMiddleware`:
///
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

    /// The session entry holding the user's id (`User.SessionID`'s description). By default
    /// `"user_id:"` followed by the type's name, one entry per user type, as Vapor keys its own sessions.
    var entry: String { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String { "user_id:\(User.self)" }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await next.respond(to: request) }
        let session = request.httpSession
        let stored = try await Self.storedID(in: session, entry: entry)
        if let stored, let id = User.SessionID(stored) {
            try await authenticate(sessionID: id, for: request)
        }
        let authenticatedBySession = request.auth.has(User.self)
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            try await follow(request.auth, into: session, stored: stored, authenticatedBySession: authenticatedBySession)
            throw error
        }
        try await follow(request.auth, into: session, stored: stored, authenticatedBySession: authenticatedBySession)
        return response
    }

    /// The session's record of `request.auth`'s user after the route.
    private func follow(
        _ auth: Request.Authentication,
        into session: HTTPSession,
        stored: String?,
        authenticatedBySession: Bool
    ) async throws {
        if let user = auth.get(User.self) {
            let id = user.sessionID.description
            if stored != id { try await session.logIn(userID: id, entry: entry) }
        } else if authenticatedBySession {
            try await session.logOut()
        } else if stored != nil {
            try await session.remove(entry)
        }
    }

    /// The id under `entry`, as text: a string, or an integer written by `logIn(userID:)` with a number.
    private static func storedID(in session: HTTPSession, entry: String) async throws -> String? {
        switch try await session.get(entry, as: JSONValue.self) {
        case .string(let id): id
        case .integer(let id): String(id)
        default: nil
        }
    }
}
