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

    /// Creates the headers.
    public init(setCookies: [String] = []) {
        self.setCookies = setCookies
    }

    /// `no-store` whenever a session cookie is set or removed: no cache may keep and replay it (OWASP).
    public var cacheControl: String? { setCookies.isEmpty ? nil : "no-store" }

    /// Whether there is nothing to add.
    public var isEmpty: Bool { setCookies.isEmpty }
}
