import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A browser's cookie jar for an app's tests: keeps the cookies responses set and sends them back, so a
/// session carries across requests through HummingbirdTesting's or Vapor's test client.
///
/// ```swift
/// let jar = SessionCookieJar()
/// // Hummingbird
/// let reply = try await client.execute(uri: "/counter", method: .get, headers: [.cookie: jar.cookieHeader])
/// jar.receive(setCookie: reply.headers[values: .setCookie])
/// // Vapor
/// let response = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": jar.cookieHeader])
/// jar.receive(setCookie: response.headers[.setCookie])
/// ```
///
/// Attributes other than the expiry are ignored: every cookie goes back on every request, as for one host
/// and path, and a cookie is never dropped because time passed (a test moves time with `ManualSessionClock`,
/// which the jar does not read).
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
    /// expires it: a `Max-Age` of 0 or less, else an `Expires` in the past, or an empty value.
    public func receive(setCookie values: some Sequence<String>) {
        let now = Date()
        cookies.withLock { cookies in
            for value in values {
                let parts = value.split(separator: ";", omittingEmptySubsequences: false)
                guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals]).trimmingSpaces()
                let cookieValue = String(pair[pair.index(after: equals)...]).trimmingSpaces()
                guard !name.isEmpty else { continue }
                var maxAge: Int?
                var expires: Date?
                for attribute in parts.dropFirst() {
                    guard let separator = attribute.firstIndex(of: "=") else { continue }
                    let key = attribute[..<separator].trimmingSpaces().lowercased()
                    let argument = attribute[attribute.index(after: separator)...].trimmingSpaces()
                    if key == "max-age", let seconds = Int(argument) { maxAge = seconds }  // the last one wins
                    if key == "expires" { expires = Self.parseHTTPDate(argument) }
                }
                let expired = cookieValue.isEmpty || maxAge.map { $0 <= 0 } ?? expires.map { $0 <= now } ?? false
                if expired {
                    cookies.removeAll { $0.name == name }
                } else if let index = cookies.firstIndex(where: { $0.name == name }) {
                    cookies[index].value = cookieValue
                } else {
                    cookies.append((name, cookieValue))
                }
            }
        }
    }

    /// An IMF-fixdate (`Thu, 01 Jan 1970 00:00:00 GMT`, RFC 9110), the form servers send; `nil` otherwise.
    static func parseHTTPDate(_ text: String) -> Date? {
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, fields[5] == "GMT", let day = Int(fields[1]), let month = months.firstIndex(of: String(fields[2])),
            let year = Int(fields[3])
        else { return nil }
        let time = fields[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let shiftedYear = month < 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month < 2 ? month + 10 : month - 2) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]))
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
