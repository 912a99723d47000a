import Sessions
public import Vapor

/// Authenticates a request from the user id its `HTTPSession` holds, as Vapor's
/// `AsyncSessionAuthenticator` does from Vapor's own sessions: implement
/// ``authenticate(sessionID:for:)`` to find the user and `request.auth.login(user)`, and
/// `request.auth.require(User.self)` works for a user logged in with our session.
///
/// Before the route, an id that names no user (a user who is gone, or a value this type cannot read) is
/// dropped with the session's values, which were that user's: the session is cleared, all of it
/// (values written earlier in the request too), so a login of another user type that it held ends as
/// well, by the next request at the latest (fail closed: which values were whose, the session cannot
/// tell). What the route, or another user type's login, writes after that is kept, unless it was written
/// for a user whose login the clear ended (authenticated by an earlier authenticator in the group): then
/// the session ends, unless another user type logged in during the request. (A route that throws an
/// error other than an `AbortError` leaves the session as it was, as for any change: the next request
/// clears it.)
///
/// As with Vapor's, the session follows `request.auth` once the route has answered:
/// - a user logged in during the request (by a credentials authenticator placed after this one, or
///   `request.auth.login(_:)` in the route) is logged in to the session with
///   `HTTPSession.logIn(userID:entry:)`, which clears another user's session and moves it to a new key.
///   Only when the route answers with a status below 400, returned or as a thrown `AbortError` (a login
///   then `Abort.redirect`): a route that answers an error (an account locked) or throws any other error
///   logs nobody in. A redirect to a second-factor page is an answer below 400: a password authenticator
///   should log the user in to `request.auth` only once every factor has passed;
/// - a user the session authenticated and the route logged out (`request.auth.logout(_:)`), or replaced
///   by a login the route then rejected, ends the session, as `HTTPSession.logOut()` does, whatever the
///   route answers (a logout then a redirect). A logout ends the whole session, every user type's login
///   with it: a request that logs one type out and another in ends with nobody logged in. A route that
///   clears the session of the user it authenticated (or removes their id) ends it too, unless another
///   user type logged in during the request; `request.auth.login` of the same user does not keep it.
///
/// A user an earlier middleware authenticated (below) and then logged out leaves the session as it was:
/// only a logout of a user this authenticator authenticated from the session ends it.
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
    /// Doing nothing means "this user is gone": the session is then cleared. When the user cannot be
    /// looked up (the database is down), throw instead, so that the request fails and the session stays.
    /// Ids must never be reused: a session holding a deleted user's id authenticates whoever gets it next.
    func authenticate(sessionID: User.SessionID, for request: Request) async throws
}

extension AsyncHTTPSessionAuthenticator {
    public var entry: String {
        "user_id:" + Self.stableName(of: String(reflecting: User.self))
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.auth.has(User.self) { return try await next.respond(to: request) }
        let session = request.httpSession
        let stored = try await session.get(entry, as: JSONValue.self)
        if let id = stored.flatMap(Self.text).flatMap(User.SessionID.init) {
            try await authenticate(sessionID: id, for: request)
        }
        // The id of the user the session authenticated: a logged-in session from here on, whatever the
        // session holds by the end (another user type's authenticator, or the route, may clear it).
        let authenticatedID = request.auth.get(User.self)?.sessionID.description
        if stored != nil, authenticatedID == nil {
            // The id names no user, and the values beside it were theirs: cleared now, before the route, so
            // that what the route (or another user type's authenticator) writes next is kept.
            try await session.clear()
        }
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // A thrown redirect answers as a returned one does; any other error logs nobody in.
            let answer = (error as? any AbortError)?.status.code
            try await follow(request, answered: answer.map { $0 < 400 } ?? false, committed: answer != nil, authenticatedID: authenticatedID)
            throw error
        }
        try await follow(request, answered: response.status.code < 400, committed: true, authenticatedID: authenticatedID)
        return response
    }

    /// Brings the session in line with `request.auth` after the route: a login (another user than the one
    /// the session authenticated) only when the route `answered` below 400; the end of the authenticated
    /// user's login, by a logout or by another user's login that the route rejected, whatever it answered.
    /// `committed`: the route's changes will be committed (it answered, returned or as an `AbortError`).
    private func follow(_ request: Request, answered: Bool, committed: Bool, authenticatedID: String?) async throws {
        let id = request.auth.get(User.self)?.sessionID.description
        let session = request.httpSession
        if id == authenticatedID {
            // The same user as before is never logged in again: that would be a new login (a new absolute
            // timeout) without credentials. But a session that no longer holds their id (the route cleared
            // it, or a dead id of another type did) has ended their login, and what the route wrote for them
            // must not stay behind as anonymous values: it ends, unless another user type logged in during
            // this request (a new authentication's renew, not a plain key rotation). Changes that will not be
            // committed (another error) leave nothing behind, and the session stays as it was.
            if committed, id != nil, try await session.get(entry, as: JSONValue.self) == nil,
                !session.isRenewedForNewAuthentication
            {
                try await session.logOut()
            }
            return
        }
        if let id, answered {
            try await session.logIn(userID: id, entry: entry)
        } else if authenticatedID != nil {
            try await session.logOut()
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
