import Sessions
public import Vapor

/// Authenticates a request from the principal its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// As with Vapor's, the session follows `request.auth` once the route has answered: a user logged in
/// during the request (by a credentials authenticator placed after this one, or `request.auth.login(_:)`
/// in the route) is logged in to the session with `HTTPSession.logIn(userID:userType:carryingOver:)`, and a
/// user the session authenticated and the route logged out ends the session (`HTTPSession.logOut()`).
/// Unlike Vapor's, the login is carried out only when the route answers below 400, returned or thrown: the
/// article "Logging in and out" in the `Sessions` documentation has the whole table, the same as on
/// Hummingbird. Only the final state of `request.auth` counts: a logout then a login of one user type is
/// a login. `request.auth` cannot tell a user logged in again from one left in place, so the recipe's
/// login route runs the credentials authenticator alone (not this one) and calls
/// `request.httpSession.logIn(userID:as:)`: it runs only for credentials checked in that request, and a
/// password sent again renews the session. Never call it for a user this authenticator found: that
/// would renew, with a new absolute-timeout window, without credentials.
///
/// A user an earlier middleware authenticated (a bearer token, say) is left alone: this authenticator then
/// neither reads nor writes the session, and a `request.auth.logout(_:)` of that user ends no session (it
/// says so in the log; call `request.httpSession.logOut()`). Neither does a `request.auth.logout(_:)` in a
/// route this authenticator does not run for: a logout route calls `request.httpSession.logOut()`, which
/// works anywhere. Put it after `HTTPSessionMiddleware`:
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
/// A principal that names no user (a user who is gone, an id this type cannot read) authenticates nobody,
/// never an error, and stays, so that the next login clears what came with it. User ids must never be
/// reused (a database key, not a user name). A store failure fails the request as any session failure
/// does (an empty HTTP 500).
public protocol AsyncHTTPSessionAuthenticator: AsyncMiddleware {
    /// The user a session authenticates.
    associatedtype User: SessionAuthenticatable

    /// The kind of principal this authenticator reads and logs in: by default
    /// `SessionPrincipal.userType(of: User.self)`, the type's name with its module (`App.User`), which
    /// `HTTPSession.logIn(userID:as:)` with `User.self` writes too. Renaming the type or its module logs
    /// its users out unless this pins the name.
    var userType: String { get }

    /// What an anonymous session's values become when a user logs in: `SessionCarryOver.everything` by
    /// default.
    var carryOver: SessionCarryOver { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    ///
    /// Throw when the user cannot be looked up (the database is down): the request then fails with that
    /// error rather than going on as anonymous.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var userType: String { SessionPrincipal.userType(of: User.self) }

    public var carryOver: SessionCarryOver { .everything }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await leavingTheSessionAlone(request, chainingTo: next) }
        if let principal = try await request.httpSession.principal(), principal.userType == userType,
            let id = User.SessionID(principal.userID), id.description == principal.userID
        {
            try await authenticate(sessionID: id, for: request)
        }
        // The user the session authenticated, by id: a route that cleared the session did not log them in anew.
        let authenticatedID = request.auth.get(User.self)?.sessionID.description
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            try await follow(request, authenticatedID: authenticatedID)
            throw error
        }
        try await follow(request, authenticatedID: authenticatedID)
        return response
    }

    /// Tells the session what `request.auth` did: a login of another user than the one the session
    /// authenticated, or the end of that user's login. The login table decides, when the request ends,
    /// whether the answer lets the login stand.
    private func follow(_ request: Request, authenticatedID: String?) async throws {
        let id = request.auth.get(User.self)?.sessionID.description
        guard id != authenticatedID else { return }
        if let id {
            try await request.httpSession.logIn(userID: id, userType: userType, carryingOver: carryOver)
        } else {
            try await request.httpSession.logOut()
        }
    }

    /// A user an earlier middleware authenticated: the session is neither read nor written, and a logout of
    /// that user, which ends no session, is logged when the session holds a principal of this kind.
    private func leavingTheSessionAlone(_ request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        if !request.auth.has(User.self), let principal = try? await request.httpSession.principal(), principal.userType == userType {
            request.logger.warning(
                "request.auth.logout of a user an earlier authenticator authenticated ended no session; call request.httpSession.logOut()"
            )
        }
        return response
    }
}
