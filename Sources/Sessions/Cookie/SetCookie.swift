/// Renders `Set-Cookie` header values for the session cookie.
struct SetCookie {
    let configuration: SessionCookieConfiguration

    /// The session cookie carrying `value`; `maxAge` in seconds for a persistent cookie, `nil` for a
    /// browser-session cookie.
    func issue(value: String, maxAge: Int64?, nowUnixSeconds: Int64) -> String {
        // One buffer for the whole header, sized for the value and every attribute.
        var header = ""
        header.reserveCapacity(
            configuration.name.utf8.count + value.utf8.count + 160 + (configuration.domain?.utf8.count ?? 0) + configuration.path.utf8.count)
        header += configuration.name
        header += "="
        header += value
        if let maxAge {
            header += "; Max-Age="
            header += String(maxAge)
            header += "; Expires="
            header += HTTPDate.format(unixSeconds: nowUnixSeconds + maxAge)
        }
        appendAttributes(to: &header)
        return header
    }

    /// A cookie that makes the browser drop the session cookie: same name, path, domain and flags,
    /// empty value, `Max-Age=0` and an `Expires` in the past.
    func removal() -> String {
        var header = configuration.name + "=; Max-Age=0; Expires=" + HTTPDate.format(unixSeconds: 0)
        appendAttributes(to: &header)
        return header
    }

    private func appendAttributes(to header: inout String) {
        if let domain = configuration.domain {
            header += "; Domain="
            header += domain
        }
        header += "; Path="
        header += configuration.path
        if configuration.secure { header += "; Secure" }
        if configuration.httpOnly { header += "; HttpOnly" }
        header += "; SameSite="
        header += configuration.sameSite.rawValue
        if configuration.partitioned { header += "; Partitioned" }
    }
}
