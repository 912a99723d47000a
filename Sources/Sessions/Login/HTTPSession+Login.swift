extension HTTPSession {
    /// The entry that holds the session's ``SessionPrincipal``: `{"type": "App.User", "id": "7"}`. Written
    /// by the login table, read by ``principal()`` and the authenticators; an app never writes it itself.
    public static let principalEntry = "_principal"

    /// Who the session is logged in as: the login this request asked for, or else the one it was loaded
    /// with; `nil` for an anonymous session, or a value under ``principalEntry`` that is no principal.
    ///
    /// ```swift
    /// guard let principal = try await session.principal() else { throw HTTPError(.unauthorized) }
    /// ```
    public func principal() async throws(SessionError) -> SessionPrincipal? {
        try await load().principal()
    }

    /// Logs a user in, once their credentials are checked: when the request ends with an answer below 400,
    /// the session holds them as its principal and moves to a new key (``SessionRenewal/newAuthentication``),
    /// so that the key the browser held before is dead and the absolute timeout starts again.
    ///
    /// Logging in the user the session already holds (a password asked again, a second factor) renews it the
    /// same way. Over another user's session (someone else logged in on this browser, a planted session) the
    /// session is cleared now: nothing of theirs is left, and what the request writes after this call stays.
    /// Over an anonymous session its values carry over as `carryingOver` says. An answer of 400 or above, or
    /// a failure, logs nobody in and leaves the session as it was before this call, or ends the previous
    /// user's session if the login was to replace it. Call it only for credentials checked in this request,
    /// never for a user read from the session. The article "Logging in and out" has the whole table.
    ///
    /// ```swift
    /// router.post("/login") { request, context in
    ///     let user = try context.requireIdentity()   // set by hummingbird-auth's basic authenticator
    ///     try await context.httpSession.logIn(userID: user.id, as: User.self)
    ///     return "welcome"
    /// }
    /// ```
    /// - Parameters:
    ///   - userID: the user's id, a string or an integer, compared as text (`7` and `"7"` are one user).
    ///   - userType: the kind of user: an authenticator reads only principals of its own kind.
    ///   - carryingOver: what an anonymous session's values become.
    /// - Throws: ``SessionError`` when the session cannot be read or the id is neither a string nor an integer.
    public func logIn(
        userID: some Encodable & Sendable,
        userType: String,
        carryingOver: SessionCarryOver = .everything
    ) async throws(SessionError) {
        try await load().logIn(userID: userID, userType: userType, carryingOver: carryingOver)
    }

    /// Logs a user of `User`'s kind in: ``logIn(userID:userType:carryingOver:)`` with
    /// `SessionPrincipal.userType(of: User.self)`, the kind the authenticators read by default.
    ///
    /// ```swift
    /// try await context.httpSession.logIn(userID: user.id, as: User.self)
    /// ```
    public func logIn<User>(
        userID: some Encodable & Sendable,
        as user: User.Type,
        carryingOver: SessionCarryOver = .everything
    ) async throws(SessionError) {
        try await load().logIn(userID: userID, userType: SessionPrincipal.userType(of: user), carryingOver: carryingOver)
    }

    /// Logs the user out: ends the session (``purge()``): deleted in the store, the cookie removed, and no
    /// request racing the logout brings it back. Wins over a login of the same request.
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

extension LoadedHTTPSession {
    /// ``HTTPSession/principal()`` without `await`.
    public func principal() -> SessionPrincipal? {
        session.withLoadedContents { contents in
            contents.login?.principal ?? StoredPrincipal(contents.resolution.state[HTTPSession.principalEntry]).principal
        }
    }

    /// ``HTTPSession/logIn(userID:userType:carryingOver:)`` without `await`.
    public func logIn(userID: some Encodable & Sendable, userType: String, carryingOver: SessionCarryOver = .everything) throws(SessionError) {
        let principal = SessionPrincipal(userType: userType, userID: try SessionPrincipal.text(ofUserID: userID))
        session.withLoadedContents { contents in
            guard contents.status != .purged else { return }
            let current = contents.login.map { .principal($0.principal) } ?? StoredPrincipal(atLoginIn: contents.resolution.state)
            let beforeLogin = contents.login?.beforeLogin ?? contents
            switch current {
            case .principal(principal):
                break
            case .none:
                contents.dropAtLogin(carryingOver)
            case .principal, .unreadable:
                contents.clear()
            }
            contents.login = PendingLogin(atLoad: contents.login?.atLoad ?? current, principal: principal, beforeLogin: beforeLogin)
        }
    }

    /// ``HTTPSession/logOut()`` without `await`.
    public func logOut() {
        purge()
    }
}

extension HTTPSession.Contents {
    mutating func clear() {
        guard status != .purged else { return }
        resolution.state.entries.removeAll()
        changes.recordClear()
        markChanged()
    }

    /// Removes what an anonymous session's values may not carry over a login.
    mutating func dropAtLogin(_ carryOver: SessionCarryOver) {
        switch carryOver.rule {
        case .nothing:
            clear()
        case .everything(let dropped):
            // Recorded as removals even when absent from this request's view: a value a concurrent request
            // planted after this one loaded would otherwise survive the store's merge.
            guard status != .purged, !dropped.isEmpty else { return }
            for name in dropped {
                resolution.state.entries.removeValue(forKey: name)
                changes.recordRemoval(name)
            }
            markChanged()
        }
    }
}
