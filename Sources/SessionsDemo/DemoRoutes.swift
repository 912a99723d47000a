import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What each demo route does, written once against ``HTTPSession`` and shared by every framework adapter.
///
/// | route | behaviour |
/// |---|---|
/// | `GET /` | `{"user_id": string or null, "counter": int}`, read-only; an HTML page for browsers |
/// | `POST /do_something` | counter += 1 |
/// | `POST /login` | body `{"user_id": "..."}`: stores it and renews the key (a new authentication); with `"remember_me": true` the session gets a persistent cookie and a 30-day TTL (`setLifecycle`), without it the configured lifecycle; bad body → 400; `?delay_ms=N` waits between loading the session and renewing, like a password check |
/// | `POST /logout` | purges the session, with or without a user (`Logged out: <user>` or `Could not log out anonymous user`); `?delay_ms=N` waits between loading the session and purging it |
/// | `GET /protected/count` | 401 unless logged in |
/// | `PUT /session/{key}`, `DELETE /session/{key}`, `GET /session` | raw entries; `?delay_ms=N` slows the PUT; `_principal` and `_lifecycle`, which only a login writes and a logout removes, are a 400 |
/// | `GET /plain` | `ok`, never touches the session |
/// | `GET /counter` | counter += 1 as text |
/// | `GET /read` | the user or `anonymous`, read-only |
///
/// A route whose session changes were dropped (its session ended, or another request renewed its key away,
/// while it ran) answers 409 with an empty body: the engine's doing, on every route.
///
/// A stored value of another type than a route expects (an earlier deploy stored it) never locks a user
/// out: a user that is not a string reads as no user (and logout still purges it), a counter that is not
/// an integer starts again at 0.
public enum DemoRoutes {
    /// The longest `delay_ms` accepted by `PUT /session/{key}`, `POST /login` and `POST /logout`.
    public static let maximumDelayMilliseconds = 2000
    /// The largest request body the demo reads.
    public static let maximumBodyBytes = 1 << 20

    static let userKey = "user_id"
    static let counterKey = "counter"
    /// How long a session lives after a login with `"remember_me": true`.
    public static let rememberMeTTL: Duration = .seconds(30 * 86_400)

    public static func index(_ session: HTTPSession, acceptsHTML: Bool) async throws -> DemoReply {
        if acceptsHTML {
            let visits = try await increment(session)
            let user = try await self.user(in: session)
            return DemoReply(status: 200, contentType: .html, body: DemoPage.render(user: user, visits: visits))
        }
        return try await state(session)
    }

    public static func doSomething(_ session: HTTPSession) async throws -> DemoReply {
        try await increment(session)
        return try await state(session)
    }

    /// Stores the user and renews the key. With a delay, the session is loaded first and the renew comes
    /// after the wait: a login that checks a password hash, racing whatever else the browser sends.
    public static func login(_ session: HTTPSession, body: [UInt8], delayMilliseconds: String? = nil) async throws -> DemoReply {
        struct Login: Decodable {
            var user_id: String
            var remember_me: Bool?
        }
        guard let delay = delay(from: delayMilliseconds) else { return invalidDelay }
        guard let login = try? JSONDecoder().decode(Login.self, from: Data(body)), !login.user_id.isEmpty else {
            return .error(400, #"expected a JSON body {"user_id": "<non-empty string>", "remember_me": true|false (optional)}"#)
        }
        if delay > 0 {
            try await session.load()
            try await Task.sleep(for: .milliseconds(delay))
        }
        try await session.insert(userKey, login.user_id)
        try await session.renew(.newAuthentication)
        // A login without "remember me" forgets an earlier one's choice: another user may be logging in here.
        try await session.setLifecycle(login.remember_me == true ? .persistent(ttl: rememberMeTTL) : nil)
        return try await state(session)
    }

    /// Purges the session whether or not it holds a user: a tab whose key another tab's login just renewed
    /// sees no user, and its logout must still end the session that login moved to. The answer names the
    /// user it saw, whatever type an earlier deploy stored it as. With a delay, the purge comes that long
    /// after the session was loaded: a logout racing a login's renew.
    public static func logout(_ session: HTTPSession, delayMilliseconds: String? = nil) async throws -> DemoReply {
        guard let delay = delay(from: delayMilliseconds) else { return invalidDelay }
        let stored = try await session.entries()[userKey]
        if delay > 0 {
            try await Task.sleep(for: .milliseconds(delay))
        }
        try await session.purge()
        switch stored {
        case nil: return .text("Could not log out anonymous user")
        case .string(let user): return .text("Logged out: \(user)")
        case let stored?: return .text("Logged out: \(DemoJSON.encode(stored))")
        }
    }

    public static func protectedCount(_ session: HTTPSession) async throws -> DemoReply {
        guard try await user(in: session) != nil else {
            return .error(401, "log in first")
        }
        return try await state(session)
    }

    public static func putEntry(_ session: HTTPSession, key: String, body: [UInt8], delayMilliseconds: String?) async throws -> DemoReply {
        guard let delay = delay(from: delayMilliseconds) else { return invalidDelay }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            return .error(400, "the body must be one JSON value")
        }
        if delay > 0 {
            // The slow handler concurrency tests need: read, wait, then write.
            _ = try await session.entries()
            try await Task.sleep(for: .milliseconds(delay))
        }
        do {
            try await session.insert(key, value)
        } catch  where error.kind == .reservedEntry {
            return .error(400, "only a login writes that entry")  // the principal, or the lifecycle a login chose
        }
        return try await entries(session)
    }

    public static func deleteEntry(_ session: HTTPSession, key: String) async throws -> DemoReply {
        do {
            try await session.remove(key)
        } catch  where error.kind == .reservedEntry {
            return .error(400, "only a login or a logout changes that entry")
        }
        return try await entries(session)
    }

    public static func entries(_ session: HTTPSession) async throws -> DemoReply {
        .json(DemoJSON.encode(.object(try await session.entries())))
    }

    public static func plain() -> DemoReply { .text("ok") }

    // /counter and /read take the loaded session: every request uses it, so Vapor serves them as
    // synchronous routes behind `HTTPSessionLoadingMiddleware`, which starts no task.
    public static func counter(_ session: LoadedHTTPSession) throws -> DemoReply {
        .text(String(try increment(session)))
    }

    public static func read(_ session: LoadedHTTPSession) throws -> DemoReply {
        .text(try user(in: session) ?? "anonymous")
    }

    @discardableResult
    private static func increment(_ session: HTTPSession) async throws -> Int {
        try increment(try await session.load())
    }

    /// Adds one to the counter; a counter an earlier deploy stored as something else starts again at 0.
    private static func increment(_ session: LoadedHTTPSession) throws -> Int {
        do {
            return try session.update(counterKey, as: Int.self, incrementCounter)
        } catch {
            guard (error as? SessionError)?.kind == .valueDecoding else { throw error }
            try session.insert(counterKey, 1)
            return 1
        }
    }

    private static func incrementCounter(_ counter: inout Int?) -> Int {
        counter = (counter ?? 0) + 1
        return counter!
    }

    /// The logged-in user; a user stored as anything but a string is no user.
    private static func user(in session: HTTPSession) async throws -> String? {
        try user(in: try await session.load())
    }

    private static func user(in session: LoadedHTTPSession) throws(SessionError) -> String? {
        do {
            return try session.get(userKey, as: String.self)
        } catch {
            guard error.kind == .valueDecoding else { throw error }
            return nil
        }
    }

    /// The counter; one stored as something else reads as 0.
    private static func counter(in session: LoadedHTTPSession) throws(SessionError) -> Int {
        do {
            return try session.get(counterKey, as: Int.self) ?? 0
        } catch {
            guard error.kind == .valueDecoding else { throw error }
            return 0
        }
    }

    private static func state(_ session: HTTPSession) async throws -> DemoReply {
        let loaded = try await session.load()
        let user = try user(in: loaded)
        let counter = try counter(in: loaded)
        return .json(DemoJSON.encode([userKey: user.map(JSONValue.string) ?? .null, counterKey: .integer(Int64(counter))]))
    }

    /// `delay_ms` in milliseconds (none: 0); `nil` for anything but a whole number from 0 to the maximum.
    private static func delay(from text: String?) -> Int? {
        guard let text else { return 0 }
        guard let parsed = Int(text), (0...maximumDelayMilliseconds).contains(parsed) else { return nil }
        return parsed
    }

    private static var invalidDelay: DemoReply {
        .error(400, "delay_ms must be a whole number from 0 to \(maximumDelayMilliseconds)")
    }
}
