extension HTTPSession {
    /// The entry ``logIn(userID:entry:)`` keeps the user's id in by default, and hummingbird-auth's
    /// `HTTPSessionAuthenticator` reads by default.
    public static let userIDEntry = "user_id"

    /// Logs a user in: stores their id and moves the session to a new key
    /// (``SessionRenewal/newAuthentication``), so that the key the browser held before the login is dead and
    /// the absolute timeout starts again.
    ///
    /// When `entry` already names another user (someone else logged in on this browser, or an attacker
    /// planted a session of their own), the session is cleared first: none of its values carry over,
    /// those this request wrote before the call included (write them after it). An anonymous session's
    /// values (a cart, say) carry over, as Django's login keeps them; call ``clear()`` first where nothing
    /// may. An app with several kinds of user logs each into an entry of its own, and a login under one
    /// entry does not see another's: clear first there too if one kind's login must drop the other's
    /// values.
    ///
    /// Call it once the credentials are checked, rather than ``purge()`` then log in: a purge wins over
    /// every later change of its request, the login included. An authenticator (`HTTPSessionAuthenticator`
    /// in `SessionsHummingbirdAuth`) then finds the user on every later request. On Vapor,
    /// `AsyncHTTPSessionAuthenticator` calls it for you, with its own entry, when a route logs a user in to
    /// `request.auth`.
    ///
    /// ```swift
    /// router.post("/login") { request, context in
    ///     let user = try context.requireIdentity()   // set by hummingbird-auth's basic authenticator
    ///     try await context.httpSession.logIn(userID: user.id)
    ///     return "welcome"
    /// }
    /// ```
    /// - Throws: ``SessionError`` when the session cannot be read or the id cannot be encoded.
    public func logIn(userID: some Encodable & Sendable, entry: String = HTTPSession.userIDEntry) async throws(SessionError) {
        let id = try Self.encode(userID, entry: entry)
        let session = try await load()
        if let previous = try session.get(entry, as: JSONValue.self), previous != id {
            session.clear()
        }
        try session.insert(entry, id)
        session.renew(.newAuthentication)
    }

    /// Logs the user out: ends the session (``purge()``): deleted in the store, the cookie removed, and no
    /// request racing the logout brings it back.
    ///
    /// ```swift
    /// router.post("/logout") { _, context in
    ///     try await context.httpSession.logOut()
    ///     return "bye"
    /// }
    /// ```
    public func logOut() async throws(SessionError) {
        try await purge()
    }
}
