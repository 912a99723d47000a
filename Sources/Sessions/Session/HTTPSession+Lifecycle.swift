extension HTTPSession {
    /// The entry that holds a lifecycle chosen for this session alone (``setLifecycle(_:)``):
    /// `{"persistent": true, "ttl_ms": 2592000000}`. An app never writes it itself.
    public static let lifecycleEntry = "_lifecycle"

    /// Gives this session its own lifecycle from now on, in place of the configuration's: a persistent
    /// cookie and a longer time to live when the user asks to be remembered; `nil` goes back to the
    /// configuration's.
    ///
    /// The choice is stored with the session, so it holds on every later request, through renews and TTL
    /// restarts, until a logout, a ``clear()`` or another call; the absolute timeout still caps it. A change
    /// moves the session to a new key at the end of the request (``SessionRenewal/keyRotation``, or the
    /// login's renew), so that a request still carrying the old key, which read the old choice, cannot
    /// write it back or re-send its cookie; the same choice again changes nothing. A login over another
    /// user's session clears the session, so call this after ``logIn(userID:userType:carryingOver:)``. A
    /// ``clear()`` drops the choice in the store, while the browser keeps the cookie it has until the
    /// session sends another. Call it when the choice changes (at login, on a settings page), not on every
    /// request: each change moves the session to a new key.
    ///
    /// ```swift
    /// try await context.httpSession.logIn(userID: user.id, as: User.self)
    /// if form.rememberMe {
    ///     try await context.httpSession.setLifecycle(.persistent(ttl: .seconds(30 * 86_400)))
    /// }
    /// ```
    /// - Throws: ``SessionError`` when the session cannot be read, or with kind
    ///   ``SessionError/Kind/invalidLifecycle`` for a TTL under a second or over ten years.
    public func setLifecycle(_ lifecycle: SessionLifecycle?) async throws(SessionError) {
        try await load().setLifecycle(lifecycle)
    }
}

extension LoadedHTTPSession {
    /// ``HTTPSession/setLifecycle(_:)``, synchronously.
    ///
    /// ```swift
    /// try session.setLifecycle(.persistent(ttl: .seconds(30 * 86_400)))
    /// ```
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/invalidLifecycle`` for a TTL under a second
    ///   or over ten years.
    public func setLifecycle(_ lifecycle: SessionLifecycle?) throws(SessionError) {
        if let lifecycle {
            guard lifecycle.ttl >= .seconds(1), lifecycle.ttl <= SessionConfiguration.maximumLifetime else {
                throw SessionError(.invalidLifecycle, entry: HTTPSession.lifecycleEntry)
            }
        }
        session.withLoadedContents { contents in
            guard contents.status != .purged else { return }
            let name = HTTPSession.lifecycleEntry
            let entry = lifecycle?.entry
            // The same choice as the one loaded changes nothing; after a clear, what was loaded is not known.
            let changes = contents.changes
            let touched = changes.cleared || changes.setKeys.contains(name) || changes.removedKeys.contains(name)
            guard touched || contents.resolution.state[name] != entry else { return }
            if let entry {
                contents.set(name, entry)
            } else {
                // Recorded even when absent from this request's view: the store may still hold one.
                contents.resolution.state.entries[name] = nil
                contents.changes.recordRemoval(name)
                contents.markChanged()
            }
            // Another request still holding the old key read the old choice: a new key keeps it from writing
            // that choice's TTL back or re-sending that choice's cookie. The status stays `.changed`, so that
            // a handler that fails after this call ends nothing (see `HTTPSession.Contents.renewal`).
            if contents.renewal == nil { contents.renewal = .keyRotation }
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
