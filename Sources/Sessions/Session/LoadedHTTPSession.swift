/// A loaded ``HTTPSession``, read and written without `await`: actix-session's synchronous API.
///
/// Entry names are normalized to Unicode NFC on the way in, so `"é"` and `"e\u{301}"` name the same entry
/// in the request and in every store.
///
/// Once the session is loaded nothing waits, so a handler that cannot or need not be `async` (a
/// synchronous Vapor route, which Vapor runs without starting a task) works on this view. It is the same
/// session: changes made here are committed with the request like any other.
///
/// ```swift
/// let session = try await context.httpSession.load()   // or `try session.loaded` once a middleware loaded it
/// let count = try session.get("counter", as: Int.self) ?? 0
/// try session.insert("counter", count + 1)
/// ```
public struct LoadedHTTPSession: Sendable {
    /// The session this view reads and writes.
    public let session: HTTPSession

    init(session: HTTPSession) {
        self.session = session
    }

    // MARK: Reading

    /// The value under `key` decoded as `type`, or `nil` when absent.
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/valueDecoding`` when the value is not a `type`.
    public func get<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) throws(SessionError) -> Value? {
        let key = EntryName.normalized(key)
        guard let value = session.withLoadedContents({ $0.resolution.state[key] }) else { return nil }
        return try HTTPSession.decode(value, as: type, entry: key)
    }

    /// Whether a value is stored under `key`.
    public func contains(_ key: String) -> Bool {
        let key = EntryName.normalized(key)
        return session.withLoadedContents { $0.resolution.state[key] != nil }
    }

    /// All entries of the session.
    public func entries() -> [String: JSONValue] {
        session.withLoadedContents { $0.resolution.state.entries }
    }

    /// What this request has done to the session so far.
    public var status: SessionStatus { session.status }

    // MARK: Writing

    /// Stores `value` under `key`, replacing any value there. A no-op after ``purge()``.
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/valueEncoding`` when `value` cannot be encoded,
    ///   ``SessionError/Kind/reservedEntry`` for ``HTTPSession/principalEntry`` and ``HTTPSession/lifecycleEntry``,
    ///   which only a login and ``HTTPSession/setLifecycle(_:)`` write.
    public func insert<Value: Encodable>(_ key: String, _ value: Value) throws(SessionError) {
        let key = EntryName.normalized(key)
        try Self.refuseReserved(key)
        let json = try HTTPSession.encode(value, entry: key)
        session.withLoadedContents { $0.set(key, json) }
    }

    /// Reads the value under `key`, lets `body` change it, and stores the result in one step:
    /// setting it to `nil` removes it. Marks the session changed whenever a value is written back.
    /// ``HTTPSession/principalEntry`` is refused (``SessionError/Kind/reservedEntry``): only a login writes it.
    ///
    /// ```swift
    /// let visits = try session.update("visits", as: Int.self) { visits in
    ///     visits = (visits ?? 0) + 1
    ///     return visits!
    /// }
    /// ```
    public func update<Value: Codable, Result: Sendable>(
        _ key: String,
        as type: Value.Type = Value.self,
        _ body: (inout Value?) throws -> Result
    ) throws -> Result {
        let key = EntryName.normalized(key)
        try Self.refuseReserved(key)
        return try session.withLoadedContents { contents in
            let current = contents.resolution.state[key]
            var value = try current.map { json throws(SessionError) in try HTTPSession.decode(json, as: type, entry: key) }
            let result = try body(&value)
            if let value {
                contents.set(key, try HTTPSession.encode(value, entry: key))
            } else if current != nil {
                contents.remove(key)
            }
            return result
        }
    }

    /// Reads the value under `key`, or `defaultValue` when there is none, lets `body` change it, stores it
    /// and returns it. ``HTTPSession/principalEntry`` is refused, as by ``update(_:as:_:)``.
    ///
    /// ```swift
    /// let count = try session.update("counter", default: 0) { $0 += 1 }
    /// ```
    @discardableResult
    public func update<Value: Codable & Sendable>(
        _ key: String,
        default defaultValue: Value,
        _ body: (inout Value) throws -> Void
    ) throws -> Value {
        try update(key, as: Value.self) { (value: inout Value?) throws -> Value in
            var changed = value ?? defaultValue
            try body(&changed)
            value = changed
            return changed
        }
    }

    /// Stores `value` under `key`, ``HTTPSession/principalEntry`` included: for tests that plant a principal
    /// as an older version, or an attacker's own session, would have left it.
    package func insertUnchecked(_ key: String, _ value: JSONValue) {
        let key = EntryName.normalized(key)
        session.withLoadedContents { $0.set(key, value) }
    }

    /// Only a login writes the principal and only a logout or another login removes it (and only
    /// `setLifecycle` writes the lifecycle): a route that stores
    /// or removes entries a client names (`PUT /session/{key}`) must not let that client name itself a user,
    /// or turn a logged-in session into an anonymous one that still holds its user's values.
    private static func refuseReserved(_ key: String) throws(SessionError) {
        if key == HTTPSession.principalEntry || key == HTTPSession.lifecycleEntry { throw SessionError(.reservedEntry, entry: key) }
    }

    /// Removes the value under `key` and returns it, or `nil` when there was none.
    ///
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/reservedEntry`` for
    ///   ``HTTPSession/principalEntry``: a logout (``logOut()``) ends a login, never a removal that would
    ///   leave the user's values in a session that reads as anonymous.
    @discardableResult
    public func remove(_ key: String) throws(SessionError) -> JSONValue? {
        let key = EntryName.normalized(key)
        try Self.refuseReserved(key)
        return session.withLoadedContents { $0.remove(key) }
    }

    /// Removes the value under `key` and returns it decoded as `type`.
    ///
    /// A value that is not a `type` stays in place and the call throws.
    @discardableResult
    public func remove<Value: Decodable>(_ key: String, as type: Value.Type) throws(SessionError) -> Value? {
        let key = EntryName.normalized(key)
        try Self.refuseReserved(key)
        guard let json = session.withLoadedContents({ $0.resolution.state[key] }) else { return nil }
        let value = try HTTPSession.decode(json, as: type, entry: key)
        session.withLoadedContents { _ = $0.remove(key) }
        return value
    }

    /// Removes every value; the session keeps its key.
    public func clear() {
        session.withLoadedContents { $0.clear() }
    }

    /// Moves the session to a new key at the end of the request and ends the old one.
    ///
    /// Call it whenever privileges change, above all at login, to defeat session fixation. `renewal` says
    /// whether the user just authenticated (a new absolute-timeout window) or the key only rotates (the
    /// window keeps its start); when one request renews for both, the new authentication wins. The move
    /// happens only if the session is still live when the request ends: a session logged out or expired
    /// meanwhile is not brought back.
    ///
    /// At login, call ``logIn(userID:userType:carryingOver:)``, which renews once the route has answered.
    ///
    /// ```swift
    /// session.renew(.keyRotation)   // a role changed
    /// ```
    public func renew(_ renewal: SessionRenewal) {
        session.withLoadedContents { contents in
            guard contents.status != .purged else { return }
            contents.status = .renewed
            if contents.renewal != .newAuthentication { contents.renewal = renewal }
        }
    }

    /// Deletes the session from its store and removes its cookie at the end of the request.
    ///
    /// Wins over every other change; later changes in the same request are ignored.
    public func purge() {
        session.withLoadedContents { $0.purge() }
    }
}
