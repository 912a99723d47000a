import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What each demo route does, written once against ``Session`` and shared by every framework adapter.
///
/// | route | behaviour |
/// |---|---|
/// | `GET /` | `{"user_id": string or null, "counter": int}`, read-only; an HTML page for browsers |
/// | `POST /do_something` | counter += 1 |
/// | `POST /login` | body `{"user_id": "..."}`: stores it and renews the key; bad body → 400 |
/// | `POST /logout` | purges a logged-in session |
/// | `GET /protected/count` | 401 unless logged in |
/// | `PUT /session/{key}`, `DELETE /session/{key}`, `GET /session` | raw entries; `?delay_ms=N` slows the PUT |
/// | `GET /plain` | `ok`, never touches the session |
/// | `GET /counter` | counter += 1 as text |
/// | `GET /read` | the user or `anonymous`, read-only |
public enum DemoRoutes {
    /// The longest `delay_ms` accepted by `PUT /session/{key}`.
    public static let maximumDelayMilliseconds = 2000
    /// The largest request body the demo reads.
    public static let maximumBodyBytes = 1 << 20

    static let userKey = "user_id"
    static let counterKey = "counter"

    public static func index(_ session: Session, acceptsHTML: Bool) async throws -> DemoReply {
        if acceptsHTML {
            let visits = try await increment(session)
            let user = try await session.get(userKey, as: String.self)
            return DemoReply(status: 200, contentType: .html, body: DemoPage.render(user: user, visits: visits))
        }
        return try await state(session)
    }

    public static func doSomething(_ session: Session) async throws -> DemoReply {
        try await increment(session)
        return try await state(session)
    }

    public static func login(_ session: Session, body: [UInt8]) async throws -> DemoReply {
        struct Login: Decodable { var user_id: String }
        guard let login = try? JSONDecoder().decode(Login.self, from: Data(body)), !login.user_id.isEmpty else {
            return .error(400, #"expected a JSON body {"user_id": "<non-empty string>"}"#)
        }
        try await session.insert(userKey, login.user_id)
        try await session.renew()
        return try await state(session)
    }

    public static func logout(_ session: Session) async throws -> DemoReply {
        guard let user = try await session.get(userKey, as: String.self) else {
            return .text("Could not log out anonymous user")
        }
        try await session.purge()
        return .text("Logged out: \(user)")
    }

    public static func protectedCount(_ session: Session) async throws -> DemoReply {
        guard try await session.get(userKey, as: String.self) != nil else {
            return .error(401, "log in first")
        }
        return try await state(session)
    }

    public static func putEntry(_ session: Session, key: String, body: [UInt8], delayMilliseconds: String?) async throws -> DemoReply {
        var delay = 0
        if let delayMilliseconds {
            guard let parsed = Int(delayMilliseconds), (0...maximumDelayMilliseconds).contains(parsed) else {
                return .error(400, "delay_ms must be a whole number from 0 to \(maximumDelayMilliseconds)")
            }
            delay = parsed
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            return .error(400, "the body must be one JSON value")
        }
        if delay > 0 {
            // The slow handler concurrency tests need: read, wait, then write.
            _ = try await session.entries()
            try await Task.sleep(for: .milliseconds(delay))
        }
        try await session.insert(key, value)
        return try await entries(session)
    }

    public static func deleteEntry(_ session: Session, key: String) async throws -> DemoReply {
        try await session.remove(key)
        return try await entries(session)
    }

    public static func entries(_ session: Session) async throws -> DemoReply {
        .json(DemoJSON.encode(.object(try await session.entries())))
    }

    public static func plain() -> DemoReply { .text("ok") }

    // /counter and /read take the loaded session: every request uses it, so Vapor serves them as
    // synchronous routes behind `SessionLoadingMiddleware`, which starts no task.
    public static func counter(_ session: LoadedSession) throws -> DemoReply {
        .text(String(try session.update(counterKey, as: Int.self, incrementCounter)))
    }

    public static func read(_ session: LoadedSession) throws -> DemoReply {
        .text(try session.get(userKey, as: String.self) ?? "anonymous")
    }

    @discardableResult
    private static func increment(_ session: Session) async throws -> Int {
        try await session.update(counterKey, as: Int.self, incrementCounter)
    }

    private static func incrementCounter(_ counter: inout Int?) -> Int {
        counter = (counter ?? 0) + 1
        return counter!
    }

    private static func state(_ session: Session) async throws -> DemoReply {
        let user = try await session.get(userKey, as: String.self)
        let counter = try await session.get(counterKey, as: Int.self) ?? 0
        return .json(DemoJSON.encode([userKey: user.map(JSONValue.string) ?? .null, counterKey: .integer(Int64(counter))]))
    }
}
