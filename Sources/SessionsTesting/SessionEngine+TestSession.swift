public import Logging
public import Sessions

extension SessionEngine {
    /// Starts a session through this engine, as a request would, and returns its `Cookie` header: for a test
    /// that begins with a session already holding `values`, logged in as `principal` when one is given.
    ///
    /// The session is saved in the engine's store and its cookie sealed with its secrets through the engine's
    /// public calls (begin, insert, logIn, commit); nothing in the engine is bypassed. A real login saves an
    /// anonymous session first and then renews it; this saves the logged-in session once.
    ///
    /// ```swift
    /// let sessions = HTTPSessionMiddleware<BasicHTTPSessionRequestContext>(store: MemorySessionStore(), secrets: secrets)
    /// let cookie = try await sessions.engine.startSession(["cart": ["tea"]], loggedInAs: SessionPrincipal(userType: "user", userID: "ada"))
    /// let jar = SessionCookieJar(cookieHeader: cookie)
    /// ```
    /// - Parameters:
    ///   - values: what the session holds; `HTTPSession.principalEntry` is refused, as in a route.
    ///   - principal: who the session is logged in as (`HTTPSession.logIn(userID:userType:carryingOver:)`).
    ///   - logger: where the engine logs.
    /// - Throws: `SessionError` when a value is refused or the store fails; ``SessionStartFailure`` when
    ///   there is nothing to save (no values and no principal) or the engine set no cookie.
    public func startSession(
        _ values: [String: JSONValue] = [:],
        loggedInAs principal: SessionPrincipal? = nil,
        logger: Logger = Logger(label: "swift-sessions.testing")
    ) async throws -> String {
        guard !values.isEmpty || principal != nil else {
            throw SessionStartFailure(description: "startSession needs values or a principal: an empty session is never saved")
        }
        let session = begin(cookieHeader: nil, logger: logger)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            try await session.insert(key, value)
        }
        if let principal {
            try await session.logIn(userID: principal.userID, userType: principal.userType)
        }
        let headers = try await commit(session, logger: logger)
        let prefix = configuration.cookie.name + "="
        let pairs = headers.setCookies.map { String($0.prefix { $0 != ";" }) }
        guard let cookie = pairs.last(where: { $0.hasPrefix(prefix) && $0.count > prefix.count }) else {
            throw SessionStartFailure(description: "the engine set no session cookie")
        }
        return cookie
    }
}

/// Why `SessionEngine.startSession(_:loggedInAs:logger:)` could not start a session.
public struct SessionStartFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
}
