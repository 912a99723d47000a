import Synchronization

/// A browser's cookie jar for an app's tests: keeps the cookies responses set and sends them back, so a
/// session carries across requests through HummingbirdTesting's or Vapor's test client.
///
/// ```swift
/// let jar = SessionCookieJar()
/// // Hummingbird
/// let response = try await client.execute(uri: "/counter", method: .get, headers: [.cookie: jar.cookieHeader])
/// jar.receive(setCookie: response.headers[values: .setCookie])
/// // Vapor
/// let response = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": jar.cookieHeader])
/// jar.receive(setCookie: response.headers[.setCookie])
/// ```
///
/// Attributes other than the expiry are ignored: every cookie goes back on every request, as for one host
/// and path.
public final class SessionCookieJar: Sendable {
    private let cookies = Mutex<[(name: String, value: String)]>([])

    /// An empty jar, or one holding `cookieHeader` (say, `SessionEngine.startSession(_:loggedInAs:logger:)`'s
    /// cookie, for a test that starts logged in).
    public init(cookieHeader: String = "") {
        for pair in cookieHeader.split(separator: ";") {
            let trimmed = pair.trimmingSpaces()
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            set(String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...]))
        }
    }

    /// The `Cookie` header a browser would send: every cookie held, `name=value` pairs joined by `; `;
    /// empty when the jar is.
    public var cookieHeader: String {
        cookies.withLock { $0.map { "\($0.name)=\($0.value)" }.joined(separator: "; ") }
    }

    /// The value of the cookie called `name`, if the jar holds it.
    public subscript(name: String) -> String? {
        cookies.withLock { $0.first { $0.name == name }?.value }
    }

    /// Takes a response's `Set-Cookie` header values: each one sets its cookie, or removes it when it
    /// expires it (`Max-Age` of 0 or less, or an empty value).
    public func receive(setCookie values: some Sequence<String>) {
        for value in values {
            let parts = value.split(separator: ";", omittingEmptySubsequences: false)
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingSpaces()
            let cookieValue = String(pair[pair.index(after: equals)...]).trimmingSpaces()
            let expired = parts.dropFirst().contains { attribute in
                let trimmed = attribute.trimmingSpaces().lowercased()
                guard trimmed.hasPrefix("max-age=") else { return false }
                return (Int(trimmed.dropFirst("max-age=".count)) ?? 1) <= 0
            }
            if expired || cookieValue.isEmpty {
                cookies.withLock { $0.removeAll { $0.name == name } }
            } else {
                set(name, cookieValue)
            }
        }
    }

    /// Forgets every cookie, as a new browser.
    public func clear() {
        cookies.withLock { $0.removeAll() }
    }

    private func set(_ name: String, _ value: String) {
        cookies.withLock { cookies in
            if let index = cookies.firstIndex(where: { $0.name == name }) {
                cookies[index].value = value
            } else {
                cookies.append((name, value))
            }
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
