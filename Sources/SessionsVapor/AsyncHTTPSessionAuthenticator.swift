import Sessions
public import Vapor

/// Authenticates a request from the user id its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// Like Vapor's, the session follows `request.auth` once the route has answered (unlike Vapor's, only
/// answers below 400 log in, and an id that names no user is left in place):
/// - a user logged in during the request (by a credentials authenticator placed after this one, or
///   `request.auth.login(_:)` in the route) is logged in to the session with
///   `HTTPSession.logIn(userID:entry:)`, which clears the session when its entry named another user (a
///   previous login, a planted session, an id that names no user any more: their values never reach the
///   new user, nor do the login request's own earlier writes: write after the login, or call
///   `HTTPSession.logIn(userID:entry:)` with ``entry`` first) and moves it to a new key. Only when the route answers with a status below 400, returned
///   or as a thrown `AbortError` (a login then `Abort.redirect`): a route that answers an error (an
///   account locked) or throws any other error logs nobody in. A redirect to a second-factor page is an
///   answer below 400: a password authenticator should log the user in to `request.auth` only once every
///   factor has passed;
/// - a user the session authenticated and the route logged out (`request.auth.logout(_:)`), or replaced
///   by a login the route then rejected, ends the session, as `HTTPSession.logOut()` does, whatever the
///   route answers (a logout then a redirect). A logout ends the whole session, every user type's login
///   with it: a request that logs one type out and another in ends with nobody logged in;
/// - the user the session authenticated is never logged in again, not even when the route cleared the
///   session (which, once committed, logs them out from the next request on; a clear followed by an
///   error other than an `AbortError` is dropped): that would be a new login, with a new absolute
///   timeout, without credentials.
///
/// An id that names no user (a user who is gone, or a value this type cannot read) authenticates nobody,
/// never an error, and stays where it is, so that the next login under this entry clears what it came
/// with (a login of another user type, under another entry, does not). Declining a user does not end
/// their sessions: a user declined while suspended is authenticated again once reinstated. User ids must
/// never be reused (a database key, not a user name): a session holding a deleted user's id
/// authenticates whoever gets that id next. Only the end of the login of a user this authenticator
/// authenticated from the session (a logout, or a login of another user that the route rejected) ends
/// the session: a logout route should also call `request.httpSession.logOut()`, since a tab still holding
/// the key another tab's login renewed is authenticated as nobody, and `request.auth.logout(_:)` alone
/// would end nothing there (the purge follows the renew to the session that login made).
///
/// A user an earlier middleware authenticated (a bearer token, say) is left alone: this authenticator then
/// neither reads nor writes the session. Each user type keeps its id in an entry of its own (``entry``,
/// named after the type with its module), so two authenticators for two user types never read each
/// other's ids; renaming the type or its module logs its users out unless ``entry`` pins the name. Log a user in with
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
    /// followed by the type's name with its module and enclosing types (`String(reflecting:)`): one entry
    /// per user type, even for two types of one name in different modules or namespaces. A private or
    /// local type's reflected name holds load addresses that change with every launch; each is written
    /// `(unknown context)` instead (`App.Shop.(unknown context).User` for a private `User` in `Shop`), so
    /// two private types of one name in one scope, declared in different files, or two local types of one
    /// name in one type, share an entry: give them an ``entry`` of their own.
    var entry: String { get }

    /// Finds the user with `sessionID` and logs them in with `request.auth.login(_:)`; does nothing when
    /// there is none.
    ///
    /// Throw when the user cannot be looked up (the database is down): the request then fails with that
    /// error rather than going on as anonymous. User ids must never be reused: a session holding a deleted
    /// user's id authenticates whoever gets that id next.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String {
        "user_id:" + Self.stableName(of: String(reflecting: User.self))
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await next.respond(to: request) }
        if let id = try await request.httpSession.get(entry, as: JSONValue.self).flatMap(Self.text).flatMap(User.SessionID.init) {
            try await authenticate(sessionID: id, for: request)
        }
        // The user the session authenticated, by id: what the session holds by the end (the route may have
        // cleared it) does not decide whether a user is new.
        let authenticatedID = request.auth.get(User.self)?.sessionID.description
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // A thrown redirect answers as a returned one does; any other error logs nobody in.
            let answered = (error as? any AbortError).map { $0.status.code < 400 } ?? false
            try await follow(request, answered: answered, authenticatedID: authenticatedID)
            throw error
        }
        try await follow(request, answered: response.status.code < 400, authenticatedID: authenticatedID)
        return response
    }

    /// Brings the session in line with `request.auth` after the route: a login (another user than the one
    /// the session authenticated) only when the route `answered` below 400; the end of the authenticated
    /// user's login, by a logout or by another user's login that the route rejected, whatever it answered.
    private func follow(_ request: Request, answered: Bool, authenticatedID: String?) async throws {
        let id = request.auth.get(User.self)?.sessionID.description
        guard id != authenticatedID else { return }
        if let id, answered {
            try await request.httpSession.logIn(userID: id, entry: entry)
        } else if authenticatedID != nil {
            try await request.httpSession.logOut()
        }
    }

    /// A reflected type name with each "(unknown context at $…)" written "(unknown context)": the load
    /// address that names a private or local type's scope changes with every launch. The marker stays, so
    /// that no such name reads as a public type's (`App.(unknown context).User` is not `App.User`).
    package static func stableName(of reflected: String) -> String {
        var rest = Substring(reflected)
        var name = ""
        while let context = rest.firstRange(of: "(unknown context at ") {
            // An unterminated context is kept whole: unstable across launches, but never another type's name.
            guard let end = rest[context.upperBound...].firstIndex(of: ")") else { return reflected }
            name += rest[..<context.lowerBound] + "(unknown context)"
            rest = rest[rest.index(after: end)...]
        }
        return name + rest
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
