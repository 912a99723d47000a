import Sessions
import SessionsVapor
import Testing
import Vapor
import VaporTesting

/// The Vapor adapter's own duties: hand over the cookie, expose `request.httpSession`, append the
/// engine's headers, and answer store failures with an empty 500.
@Suite struct SessionEngineMiddlewareTests {
    struct Failure: Error {}

    static func withApp(
        store: MemorySessionStore = MemorySessionStore(),
        routes: (Application) -> Void,
        _ test: (Application) async throws -> Void
    ) async throws {
        try await VaporTesting.withApp { app in
            let engine = try SessionEngine(store: store, secrets: .init(current: .generate()))
            app.middleware.use(SessionEngineMiddleware(engine: engine))
            routes(app)
            try await test(app)
        }
    }

    static func cookie(from response: TestingHTTPResponse) -> String? {
        response.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) }
    }

    @Test func aSessionRoundTripsThroughTheCookie() async throws {
        try await Self.withApp(routes: { app in
            app.get("counter") { request async throws -> String in
                let count = try await request.httpSession.update("n", as: Int.self) { n in
                    n = (n ?? 0) + 1
                    return n!
                }
                return "\(count)"
            }
        }) { app in
            let first = try await app.testing().sendRequest(.GET, "counter")
            #expect(first.body.string == "1")
            let cookie = try #require(Self.cookie(from: first))
            #expect(first.headers.first(name: .cacheControl) == "no-store")
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect(second.body.string == "2")
            #expect(second.headers[.setCookie].isEmpty)
        }
    }

    @Test func anAbortErrorStillCommitsTheSession() async throws {
        try await Self.withApp(routes: { app in
            app.get("deny") { request async throws -> String in
                try await request.httpSession.insert("denied", true)
                throw Abort(.forbidden, reason: "no")
            }
            app.get("check") { request async throws -> String in
                String(try await request.httpSession.get("denied", as: Bool.self) ?? false)
            }
        }) { app in
            let denied = try await app.testing().sendRequest(.GET, "deny")
            #expect(denied.status == .forbidden)
            let cookie = try #require(Self.cookie(from: denied))
            let check = try await app.testing().sendRequest(.GET, "check", headers: ["Cookie": cookie])
            #expect(check.body.string == "true")
        }
    }

    @Test func anyOtherErrorCommitsNothing() async throws {
        let store = MemorySessionStore()
        try await Self.withApp(store: store, routes: { app in
            app.get("fail") { request async throws -> String in
                try await request.httpSession.insert("half-done", true)
                throw Failure()
            }
        }) { app in
            let reply = try await app.testing().sendRequest(.GET, "fail")
            #expect(reply.status == .internalServerError)
            #expect(reply.headers[.setCookie].isEmpty)
        }
        #expect(store.count == 0)
    }

    @Test func aSessionErrorIsAnEmpty500() async throws {
        try await Self.withApp(routes: { app in
            app.get("wrong-type") { request async throws -> String in
                try await request.httpSession.insert("n", "not a number")
                return String(try await request.httpSession.get("n", as: Int.self) ?? 0)
            }
        }) { app in
            let reply = try await app.testing().sendRequest(.GET, "wrong-type")
            #expect(reply.status == .internalServerError)
            #expect(reply.body.readableBytes == 0)
        }
    }

    @Test func aRouteOutsideTheMiddlewareFailsLoudly() async throws {
        try await VaporTesting.withApp { app in
            app.get("orphan") { request async throws -> String in
                try await request.httpSession.insert("lost", true)
                return "stored?"
            }
            let reply = try await app.testing().sendRequest(.GET, "orphan")
            #expect(reply.status == .internalServerError)
        }
    }

    @Test func multipleCookieHeadersAreReadTogether() async throws {
        try await Self.withApp(routes: { app in
            app.get("set") { request async throws -> String in
                try await request.httpSession.insert("user_id", "ada")
                return "ok"
            }
            app.get("read") { request async throws -> String in
                try await request.httpSession.get("user_id", as: String.self) ?? "anonymous"
            }
        }) { app in
            let set = try await app.testing().sendRequest(.GET, "set")
            let cookie = try #require(Self.cookie(from: set))
            var headers = HTTPHeaders()
            headers.add(name: .cookie, value: "theme=dark")
            headers.add(name: .cookie, value: cookie)
            let read = try await app.testing().sendRequest(.GET, "read", headers: headers)
            #expect(read.body.string == "ada")
        }
    }
}
