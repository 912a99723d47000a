/// The attributes of the session cookie. Defaults follow actix-session: name `id`, `Secure`,
/// `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`.
///
/// ```swift
/// var cookie = SessionCookieConfiguration()
/// cookie.name = "__Host-session"
/// cookie.sameSite = .strict
/// ```
public struct SessionCookieConfiguration: Sendable, Hashable {
    /// The cookie's name.
    public var name: String
    /// The `Path` attribute.
    public var path: String
    /// The `Domain` attribute; `nil` sends none (the cookie stays on the exact host).
    public var domain: String?
    /// The `Secure` attribute: the browser sends the cookie over HTTPS only.
    public var secure: Bool
    /// The `HttpOnly` attribute: scripts cannot read the cookie.
    public var httpOnly: Bool
    /// The `SameSite` attribute.
    public var sameSite: SameSite
    /// The `Partitioned` attribute (CHIPS); needs `secure`.
    public var partitioned: Bool

    /// Creates a cookie configuration; every argument has actix-session's default.
    public init(
        name: String = "id",
        path: String = "/",
        domain: String? = nil,
        secure: Bool = true,
        httpOnly: Bool = true,
        sameSite: SameSite = .lax,
        partitioned: Bool = false
    ) {
        self.name = name
        self.path = path
        self.domain = domain
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
        self.partitioned = partitioned
    }
}

extension SessionCookieConfiguration {
    /// The cookie's `SameSite` attribute.
    public enum SameSite: String, Sendable, Hashable, CaseIterable {
        case strict = "Strict"
        case lax = "Lax"
        case none = "None"
    }
}
