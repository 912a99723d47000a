extension HTTPSession {
    /// The entry that holds a lifecycle chosen for this session alone (``setLifecycle(_:)``):
    /// `{"persistent": true, "ttl_ms": 2592000000}`. An app never writes it itself.
    public static let lifecycleEntry = "_lifecycle"

    /// Gives this session its own lifecycle from now on, in place of the configuration's: a persistent
    /// cookie and a longer time to live when the user asks to be remembered, or a cookie that dies with
    /// the browser again.
    ///
    /// The choice is stored with the session, so it holds on every later request, through renews and TTL
    /// restarts, until a logout, a ``clear()`` or another call; the absolute timeout still caps it. A login
    /// over another user's session clears the session, so call this after ``logIn(userID:userType:carryingOver:)``.
    ///
    /// ```swift
    /// try await context.httpSession.logIn(userID: user.id, as: User.self)
    /// if form.rememberMe {
    ///     try await context.httpSession.setLifecycle(.persistent(ttl: .seconds(30 * 86_400)))
    /// }
    /// ```
    /// - Throws: ``SessionError`` when the session cannot be read, or with kind
    ///   ``SessionError/Kind/invalidLifecycle`` for a TTL that is not positive or over ten years.
    public func setLifecycle(_ lifecycle: SessionLifecycle) async throws(SessionError) {
        try await load().setLifecycle(lifecycle)
    }
}

extension LoadedHTTPSession {
    /// ``HTTPSession/setLifecycle(_:)``, synchronously.
    ///
    /// ```swift
    /// try session.setLifecycle(.persistent(ttl: .seconds(30 * 86_400)))
    /// ```
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/invalidLifecycle`` for a TTL that is not
    ///   positive or over ten years.
    public func setLifecycle(_ lifecycle: SessionLifecycle) throws(SessionError) {
        guard lifecycle.ttl > .zero, lifecycle.ttl <= SessionConfiguration.maximumLifetime else {
            throw SessionError(.invalidLifecycle, entry: HTTPSession.lifecycleEntry)
        }
        session.withLoadedContents { contents in
            guard contents.status != .purged else { return }
            contents.set(HTTPSession.lifecycleEntry, lifecycle.entry)
        }
    }
}

extension SessionLifecycle {
    /// What ``HTTPSession/lifecycleEntry`` holds for this lifecycle.
    var entry: JSONValue {
        ["persistent": .bool(isPersistent), "ttl_ms": .integer(ttl.wholeMilliseconds)]
    }

    /// The lifecycle `entry` holds, or `nil` for anything else (an app's own value, an absurd TTL): the
    /// configuration's lifecycle then applies, and no stored value locks a user out.
    init?(entry: JSONValue) {
        guard case .object(let fields) = entry, case .bool(let persistent)? = fields["persistent"],
            case .integer(let milliseconds)? = fields["ttl_ms"], milliseconds > 0,
            milliseconds <= SessionConfiguration.maximumLifetime.wholeMilliseconds
        else { return nil }
        self.init(isPersistent: persistent, ttl: .milliseconds(milliseconds))
    }
}
