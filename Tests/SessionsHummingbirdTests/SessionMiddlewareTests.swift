import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Sessions
import SessionsHummingbird
import TestSupport
import Testing

/// The adapter's own duties: hand over the cookie, expose the session, append the engine's headers.
@Suite(.tags(.hummingbird)) struct SessionMiddlewareTests {
    struct Failure: Error {}

    static func withRouter(
        store: MemorySessionStore = MemorySessionStore(),
        configuration: SessionConfiguration = .init(),
        routes: (Router<BasicHTTPSessionRequestContext>) -> Void,
        _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware {
            try! HTTPSessionMiddleware(store: store, secrets: SessionSecrets(current: .generate()), configuration: configuration)
        }
        routes(router)
        let app = Application(router: router, logger: Logger(label: "middleware-test"))
        try await app.test(.router) { client in try await test(client) }
    }

    @Test func anHTTPErrorStillCommitsTheSession() async throws {
        try await Self.withRouter(routes: { router in
            router.get("/deny") { _, context -> String in
                try await context.httpSession.insert("denied", true)
                throw HTTPError(.forbidden, message: "no")
            }
            router.get("/check") { _, context -> String in
                String(try await context.httpSession.get("denied", as: Bool.self) ?? false)
            }
        }) { client async throws in
            let browser = TestBrowser()
            let denied = try await browser.send(.get, "/deny", client: client)
            #expect(denied.status == .forbidden)
            #expect(denied.setCookies.count == 1)
            #expect(denied.headers[.cacheControl] == "no-store", "an error response that sets the cookie is not cached either")
            #expect(try await browser.send(.get, "/check", client: client).body == "true")
        }
    }

    /// HTTP/2 sends each cookie as a field of its own; the session cookie may be any of them.
    @Test func cookieFieldsAreReadTogether() async throws {
        try await Self.withRouter(routes: { router in
            router.get("/set") { _, context -> String in
                try await context.httpSession.insert("user_id", "ada")
                return "ok"
            }
            router.get("/read") { _, context -> String in
                try await context.httpSession.get("user_id", as: String.self) ?? "anonymous"
            }
        }) { client async throws in
            let set = try await client.execute(uri: "/set", method: .get)
            let cookie = try #require(set.headers[.setCookie].map { String($0.prefix { $0 != ";" }) })
            var fields = HTTPFields()
            fields.append(HTTPField(name: .cookie, value: "theme=dark"))
            fields.append(HTTPField(name: .cookie, value: cookie))
            fields.append(HTTPField(name: .cookie, value: "lang=en"))
            let read = try await client.execute(uri: "/read", method: .get, headers: fields)
            #expect(String(buffer: read.body) == "ada")
        }
    }

    @Test func anyOtherErrorCommitsNothing() async throws {
        let store = MemorySessionStore()
        try await Self.withRouter(
            store: store,
            routes: { router in
                router.get("/fail") { _, context -> String in
                    try await context.httpSession.insert("half-done", true)
                    throw Failure()
                }
            }
        ) { client async throws in
            let reply = try await TestBrowser().send(.get, "/fail", client: client)
            #expect(reply.status == .internalServerError)
            #expect(reply.setCookies.isEmpty)
        }
        #expect(store.count == 0)
    }

    /// A logout that silently did not happen would fail open: the purge is carried out whatever comes next.
    @Test func aPurgeIsCarriedOutWhenTheHandlerThrowsAfterIt() async throws {
        let store = MemorySessionStore()
        try await Self.withRouter(
            store: store,
            routes: { router in
                router.get("/login") { _, context -> String in
                    try await context.httpSession.insert("user_id", "ada")
                    return "in"
                }
                router.get("/logout-then-fail") { _, context -> String in
                    try await context.httpSession.purge()
                    throw Failure()
                }
                router.get("/renew-then-fail") { _, context -> String in
                    try await context.httpSession.insert("user_id", "mallory")
                    try await context.httpSession.renew(.newAuthentication)
                    throw Failure()
                }
                router.get("/read") { _, context -> String in
                    try await context.httpSession.get("user_id", as: String.self) ?? "anonymous"
                }
            }
        ) { client async throws in
            for route in ["/logout-then-fail", "/renew-then-fail"] {
                let browser = TestBrowser()
                try await browser.send(.get, "/login", client: client)
                #expect(store.count == 1)
                let failed = try await browser.send(.get, route, client: client)
                #expect(failed.status == .internalServerError)
                #expect(store.count == 0, "\(route): the old key ended although the handler failed")
                #expect(try await browser.send(.get, "/read", client: client).body == "anonymous")
            }
        }
    }

    @Test("a logout followed by an error ends a cookie store's session: an empty 500 removing the cookie")
    func aLogoutThenAnErrorEndsACookieStoreSession() async throws {
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { HTTPSessionMiddleware(store: CookieSessionStore(), secrets: SessionSecrets(current: .generate())) }
        router.get("/login") { _, context -> String in
            try await context.httpSession.insert("user_id", "ada")
            return "in"
        }
        router.get("/logout-then-fail") { _, context -> String in
            try await context.httpSession.logOut()
            throw Failure()
        }
        let app = Application(router: router, logger: Logger(label: "middleware-test"))
        try await app.test(.router) { client in
            let browser = TestBrowser()
            try await browser.send(.get, "/login", client: client)
            #expect(browser.cookie != nil)
            let failed = try await browser.send(.get, "/logout-then-fail", client: client)
            #expect(failed.status == .internalServerError)
            #expect(failed.setCookies.count == 1 && failed.setCookies[0].contains("Max-Age=0"), "the removal cookie is the logout")
            #expect(browser.cookie == nil)
        }
    }

    @Test("a login thrown as a redirect whose session another tab logged out meanwhile answers 409")
    func aRedirectAfterALostLoginIsAConflict() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        router.get("/visit") { _, context -> String in
            try await context.httpSession.insert("visited", true)
            return "ok"
        }
        router.get("/login-then-redirect") { request, context -> String in
            _ = try await context.httpSession.entries()
            // Another tab logs out between this login's load and its commit.
            let other = engine.begin(cookieHeader: request.headers[.cookie], logger: context.logger)
            try await other.logOut()
            _ = try await engine.commit(other, logger: context.logger)
            try await context.httpSession.logIn(userID: "ada", userType: "user")
            throw HTTPError(.seeOther, headers: [.location: "/home"])
        }
        let app = Application(router: router, logger: Logger(label: "middleware-test"))
        try await app.test(.router) { client in
            let browser = TestBrowser()
            try await browser.send(.get, "/visit", client: client)
            let login = try await browser.send(.get, "/login-then-redirect", client: client)
            #expect(login.status == .conflict, "the login did not happen: no redirect as if it had")
            #expect(login.setCookies.isEmpty)
        }
    }

    @Test func aSessionErrorIsAnEmpty500() async throws {
        try await Self.withRouter(routes: { router in
            router.get("/wrong-type") { _, context -> String in
                try await context.httpSession.insert("n", "not a number")
                return String(try await context.httpSession.get("n", as: Int.self) ?? 0)
            }
        }) { client async throws in
            let reply = try await TestBrowser().send(.get, "/wrong-type", client: client)
            #expect(reply.status == .internalServerError)
            #expect(reply.body.isEmpty)
        }
    }

    @Test func aRouteOutsideTheMiddlewareFailsLoudly() async throws {
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.get("/orphan") { _, context -> String in
            try await context.httpSession.insert("lost", true)
            return "stored?"
        }
        let app = Application(router: router, logger: Logger(label: "middleware-test"))
        try await app.test(.router) { client in
            let reply = try await client.execute(uri: "/orphan", method: .get)
            #expect(reply.status == .internalServerError)
        }
    }

    @Test func customCookieAttributesReachTheBrowser() async throws {
        var cookie = SessionCookieConfiguration(name: "__Host-sid", sameSite: .strict)
        cookie.httpOnly = true
        let configuration = SessionConfiguration(cookie: cookie, lifecycle: .persistent(ttl: .seconds(120)))
        try await Self.withRouter(
            configuration: configuration,
            routes: { router in
                router.get("/set") { _, context -> String in
                    try await context.httpSession.insert("x", 1)
                    return "ok"
                }
            }
        ) { client async throws in
            let reply = try await TestBrowser(cookieName: "__Host-sid").send(.get, "/set", client: client)
            let header = try #require(reply.setCookies.first)
            #expect(header.hasPrefix("__Host-sid="))
            #expect(header.contains("; Max-Age=120; Expires="))
            #expect(header.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Strict"))
            #expect(reply.headers[.cacheControl] == "no-store")
        }
    }
}
