/// The headers a session adds to a response: what an adapter appends after the handler returns.
///
/// ```swift
/// let headers = try await engine.commit(session)
/// for cookie in headers.setCookies { response.headers.append(.init(name: .setCookie, value: cookie)) }
/// if let cacheControl = headers.cacheControl { response.headers[.cacheControl] = cacheControl }
/// ```
public struct SessionResponseHeaders: Sendable, Hashable {
    /// `Set-Cookie` values, in order.
    public var setCookies: [String]

    /// Whether the request changed its session and those changes were dropped: the session ended, or its
    /// key was renewed away by a concurrent request, while the request ran. ``SessionEngine/end(_:after:logger:)``
    /// then answers 409 Conflict instead of the handler's response (unless
    /// ``SessionConfiguration/answersDroppedChangesWithConflict`` is off); an adapter that calls
    /// ``SessionEngine/commit(_:logger:)`` itself decides here.
    public var changesDropped: Bool

    /// Creates the headers.
    public init(setCookies: [String] = [], changesDropped: Bool = false) {
        self.setCookies = setCookies
        self.changesDropped = changesDropped
    }

    /// `no-store` whenever a session cookie is set or removed: no cache may keep and replay it (OWASP).
    public var cacheControl: String? { setCookies.isEmpty ? nil : "no-store" }

    /// Whether there is nothing to add.
    public var isEmpty: Bool { setCookies.isEmpty }
}
