import Sessions
public import Vapor

/// Authenticates a request from the user id its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// As with Vapor's, the session follows `request.auth` once the route has answered: a user logged in
/// during the request (by a credentials authenticator, or `request.auth.login(_:)`) is logged in to the
/// session with `HTTPSession.logIn(userID:entry:)`, which moves it to a new key; a session whose user is
/// no longer authenticated (`request.auth.logout(_:)`, or a user who is gone) is ended with
/// `HTTPSession.logOut()`. Put it after ``HTTPSessionMiddleware``:
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
/// A session whose entry is not a string is a request without a user, never an error that locks the user
/// out. A store failure is one: the request fails as any session failure does (an empty HTTP 500).
public protocol AsyncHTTPSessionAuthenticator: AsyncMiddleware {
    /// The user a session authenticates.
    associatedtype User: SessionAuthenticatable

    /// The session entry holding the user's id, as `User.SessionID`'s description.
    /// `HTTPSession.userIDEntry` unless you say otherwise.
    var entry: String { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String { HTTPSession.userIDEntry }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let session = request.httpSession
        let stored: String?
        do {
            stored = try await session.get(entry, as: String.self)
        } catch let error where error.kind == .valueDecoding {
            stored = nil
        }
        if !request.auth.has(User.self), let stored, let id = User.SessionID(stored) {
            try await authenticate(sessionID: id, for: request)
        }
        let response = try await next.respond(to: request)
        if let user = request.auth.get(User.self) {
            let id = user.sessionID.description
            if stored != id { try await session.logIn(userID: id, entry: entry) }
        } else if stored != nil {
            try await session.logOut()
        }
        return response
    }
}
