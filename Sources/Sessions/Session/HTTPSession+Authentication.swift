extension HTTPSession {
    /// The entry ``logIn(userID:entry:)`` keeps the user's id in, and the adapters' authenticators read
    /// by default.
    public static let userIDEntry = "user_id"

    /// Logs a user in: stores their id and moves the session to a new key
    /// (``SessionRenewal/newAuthentication``), so that the key the browser held before the login is dead and
    /// the absolute timeout starts again.
    ///
    /// Call it once the credentials are checked; an authenticator (`HTTPSessionAuthenticator` in
    /// `SessionsHummingbirdAuth`, `AsyncHTTPSessionAuthenticator` in `SessionsVapor`) then finds the user on
    /// every later request.
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
        try await insert(entry, userID)
        try await renew(.newAuthentication)
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
