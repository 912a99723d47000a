import Sessions
import SessionsVapor
import Synchronization
import TestSupport
import Testing
import Vapor
import VaporTesting

/// The Vapor adapter's own duties: hand over the cookie, expose `request.httpSession`, append the
/// engine's headers, and answer store failures with an empty 500.
@Suite(.tags(.vapor)) struct SessionEngineMiddlewareTests {
    struct Failure: Error {}

    static func withApp(
        store: MemorySessionStore = MemorySessionStore(),
        routes: (Application) -> Void,
        _ test: (Application) async throws -> Void
    ) async throws {
        try await withApp(engineStore: store, routes: routes, test)
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

    /// On the event loop's thread for the memory store, in a task for a store that waits: the same answer.
    @Test(arguments: [false, true])
    func anAbortErrorStillCommitsTheSession(storeWaits: Bool) async throws {
        let routes: (Application) -> Void = { app in
            app.get("deny") { request async throws -> String in
                try await request.httpSession.insert("denied", true)
                throw Abort(.forbidden, headers: ["X-Reason": "policy"], reason: "no")
            }
            app.get("check") { request async throws -> String in
                String(try await request.httpSession.get("denied", as: Bool.self) ?? false)
            }
        }
        let test: (Application) async throws -> Void = { app in
            let denied = try await app.testing().sendRequest(.GET, "deny")
            #expect(denied.status == .forbidden)
            #expect(denied.headers.first(name: "X-Reason") == "policy", "the error's own headers survive")
            #expect(denied.headers.first(name: .cacheControl) == "no-store", "an error response that sets the cookie is not cached either")
            let cookie = try #require(Self.cookie(from: denied))
            let check = try await app.testing().sendRequest(.GET, "check", headers: ["Cookie": cookie])
            #expect(check.body.string == "true")
        }
        if storeWaits {
            let store = AwaitingStore(MemorySessionStore())
            try await Self.withApp(engineStore: store, routes: routes, test)
            #expect(store.loads.load(ordering: .relaxed) == 1, "the check's load was awaited")
        } else {
            try await Self.withApp(routes: routes, test)
        }
    }

    @Test func anyOtherErrorCommitsNothing() async throws {
        let store = MemorySessionStore()
        try await Self.withApp(
            store: store,
            routes: { app in
                app.get("fail") { request async throws -> String in
                    try await request.httpSession.insert("half-done", true)
                    throw Failure()
                }
            }
        ) { app in
            let reply = try await app.testing().sendRequest(.GET, "fail")
            #expect(reply.status == .internalServerError)
            #expect(reply.headers[.setCookie].isEmpty)
        }
        #expect(store.count == 0)
    }

    /// A logout that silently did not happen would fail open: the purge is carried out whatever comes next,
    /// on the event loop's thread for the memory store and in a task for a store that waits.
    @Test(arguments: [false, true])
    func aPurgeIsCarriedOutWhenTheHandlerThrowsAfterIt(storeWaits: Bool) async throws {
        let memory = MemorySessionStore()
        let routes: (Application) -> Void = { app in
            app.get("login") { request async throws -> String in
                try await request.httpSession.insert("user_id", "ada")
                return "in"
            }
            app.get("logout-then-fail") { request async throws -> String in
                try await request.httpSession.purge()
                throw Failure()
            }
            app.get("renew-then-fail") { request async throws -> String in
                try await request.httpSession.insert("user_id", "mallory")
                try await request.httpSession.renew(.newAuthentication)
                throw Failure()
            }
            app.get("session-error-after-logout") { request async throws -> String in
                try await request.httpSession.purge()
                // A session failure after the logout: what a session outside the middleware throws.
                try await HTTPSession.unattached.purge()
                return "unreachable"
            }
        }
        let test: (Application) async throws -> Void = { app in
            for route in ["logout-then-fail", "renew-then-fail", "session-error-after-logout"] {
                let login = try await app.testing().sendRequest(.GET, "login")
                let cookie = try #require(Self.cookie(from: login))
                #expect(memory.count == 1)
                let failed = try await app.testing().sendRequest(.GET, route, headers: ["Cookie": cookie])
                #expect(failed.status == .internalServerError)
                #expect(memory.count == 0, "\(route): the old key ended although the handler failed")
            }
        }
        if storeWaits {
            try await Self.withApp(engineStore: AwaitingStore(memory), routes: routes, test)
        } else {
            try await Self.withApp(store: memory, routes: routes, test)
        }
    }

    @Test("a logout followed by an error ends a cookie store's session: an empty 500 removing the cookie")
    func aLogoutThenAnErrorEndsACookieStoreSession() async throws {
        let routes: (Application) -> Void = { app in
            app.get("login") { request async throws -> String in
                try await request.httpSession.insert("user_id", "ada")
                return "in"
            }
            app.get("logout-then-fail") { request async throws -> String in
                try await request.httpSession.logOut()
                throw Failure()
            }
        }
        try await Self.withApp(engineStore: CookieSessionStore(), routes: routes) { app in
            let cookie = try #require(Self.cookie(from: try await app.testing().sendRequest(.GET, "login")))
            let failed = try await app.testing().sendRequest(.GET, "logout-then-fail", headers: ["Cookie": cookie])
            #expect(failed.status == .internalServerError)
            let removal = failed.headers[.setCookie]
            #expect(removal.count == 1 && removal[0].contains("Max-Age=0"), "the removal cookie is the logout")
        }
    }

    @Test("a login thrown as a redirect whose session another tab logged out meanwhile answers 409")
    func aRedirectAfterALostLoginIsAConflict() async throws {
        let memory = MemorySessionStore()
        let engine = try SessionEngine(store: memory, secrets: SessionSecrets(current: .generate()))
        try await VaporTesting.withApp { app in
            app.middleware.use(HTTPSessionMiddleware(engine: engine))
            app.get("visit") { request async throws -> String in
                try await request.httpSession.insert("visited", true)
                return "ok"
            }
            app.get("login-then-redirect") { request async throws -> String in
                _ = try await request.httpSession.entries()
                // Another tab logs out between this login's load and its commit.
                let other = engine.begin(cookieHeader: request.headers.first(name: .cookie), logger: request.logger)
                try await other.logOut()
                _ = try await engine.commit(other, logger: request.logger)
                try await request.httpSession.logIn(userID: "ada", userType: "user")
                throw Abort.redirect(to: "/home")
            }
            let cookie = try #require(Self.cookie(from: try await app.testing().sendRequest(.GET, "visit")))
            let login = try await app.testing().sendRequest(.GET, "login-then-redirect", headers: ["Cookie": cookie])
            #expect(login.status == .conflict, "the login did not happen: no redirect as if it had")
            #expect(login.headers[.setCookie].isEmpty)
        }
    }

    @Test func customCookieAttributesReachTheBrowser() async throws {
        var cookie = SessionCookieConfiguration(name: "__Host-sid", sameSite: .strict)
        cookie.httpOnly = true
        let configuration = SessionConfiguration(cookie: cookie, lifecycle: .persistent(ttl: .seconds(120)))
        try await Self.withApp(
            engineStore: MemorySessionStore(), configuration: configuration,
            routes: { app in
                app.get("set") { request async throws -> String in
                    try await request.httpSession.insert("x", 1)
                    return "ok"
                }
            }
        ) { app in
            let reply = try await app.testing().sendRequest(.GET, "set")
            let header = try #require(reply.headers[.setCookie].first)
            #expect(header.hasPrefix("__Host-sid="))
            #expect(header.contains("; Max-Age=120; Expires="))
            #expect(header.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Strict"))
            #expect(reply.headers.first(name: .cacheControl) == "no-store")
        }
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

    // MARK: Synchronous routes behind HTTPSessionLoadingMiddleware

    static func withApp<Store: SessionStore>(
        engineStore store: Store,
        configuration: SessionConfiguration = .init(),
        routes: (Application) -> Void,
        _ test: (Application) async throws -> Void
    ) async throws {
        try await VaporTesting.withApp { app in
            let engine = try SessionEngine(store: store, secrets: .init(current: .generate()), configuration: configuration)
            app.middleware.use(HTTPSessionMiddleware(engine: engine))
            routes(app)
            try await test(app)
        }
    }

    static func synchronousCounter(_ app: Application) {
        app.grouped(HTTPSessionLoadingMiddleware()).get("counter") { request throws -> String in
            let count = try request.loadedHTTPSession.update("n", as: Int.self) { n in
                n = (n ?? 0) + 1
                return n!
            }
            return "\(count)"
        }
    }

    @Test func aSynchronousRouteUsesTheLoadedSession() async throws {
        try await Self.withApp(routes: Self.synchronousCounter) { app in
            let first = try await app.testing().sendRequest(.GET, "counter")
            #expect(first.body.string == "1")
            let cookie = try #require(Self.cookie(from: first))
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect(second.body.string == "2")
        }
    }

    @Test func aStoreThatWaitsIsLoadedInATaskForSynchronousRoutes() async throws {
        let store = AwaitingStore(MemorySessionStore())
        try await Self.withApp(engineStore: store, routes: Self.synchronousCounter) { app in
            let first = try await app.testing().sendRequest(.GET, "counter")
            let cookie = try #require(Self.cookie(from: first))
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect(second.body.string == "2")
        }
        #expect(store.loads.load(ordering: .relaxed) == 1, "the second request's cookie was loaded through the awaited call")
    }

    @Test(arguments: [true, false]) func aLoadFailureBeforeASynchronousRouteIsAnEmpty500(storeAnswersImmediately: Bool) async throws {
        let routes: (Application) -> Void = { app in
            app.get("login") { request async throws -> String in
                try await request.httpSession.insert("user_id", "ada")
                return "ok"
            }
            Self.synchronousCounter(app)
        }
        let test: (Application) async throws -> Void = { app in
            let login = try await app.testing().sendRequest(.GET, "login")
            let cookie = try #require(Self.cookie(from: login))
            let reply = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie])
            #expect(reply.status == .internalServerError)
            #expect(reply.body.readableBytes == 0)
            #expect(reply.headers[.setCookie].isEmpty)
        }
        if storeAnswersImmediately {
            try await Self.withApp(engineStore: LoadFailingStore(base: MemorySessionStore()), routes: routes, test)
        } else {
            try await Self.withApp(engineStore: AwaitingStore(LoadFailingStore(base: MemorySessionStore())), routes: routes, test)
        }
    }

    @Test func theLoadedSessionWithoutTheLoadingMiddlewareIsAnEmpty500() async throws {
        try await Self.withApp(routes: { app in
            app.get("unloaded") { request throws -> String in
                try request.loadedHTTPSession.get("user_id", as: String.self) ?? "anonymous"
            }
        }) { app in
            let reply = try await app.testing().sendRequest(.GET, "unloaded")
            #expect(reply.status == .internalServerError)
            #expect(reply.body.readableBytes == 0)
        }
    }
}

/// Forwards to `base` through the `async` calls only: the engine must await it.
final class AwaitingStore<Base: SessionStore>: SessionStore {
    let base: Base
    let loads = Atomic<Int>(0)

    init(_ base: Base) { self.base = base }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        loads.add(1, ordering: .relaxed)
        return try await base.load(key)
    }

    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        loads.add(1, ordering: .relaxed)
        return try await base.loadRecord(key)
    }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        try await base.update(key, to: state, changes: changes, ttl: ttl)
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }

    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// A memory store whose loads fail as an unreachable server's would; everything else works.
struct LoadFailingStore: ImmediateSessionStore {
    struct Unreachable: Error {}
    let base: MemorySessionStore

    func loadRecordImmediately(_ key: SessionKey) throws(LoadError) -> SessionRecord? { throw .other(Unreachable()) }

    func saveImmediately(_ state: SessionState, ttl: Duration) throws(SaveError) -> SessionKey { try base.saveImmediately(state, ttl: ttl) }

    func updateImmediately(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) throws(UpdateError)
        -> SessionUpdateResult
    {
        try base.updateImmediately(key, to: state, changes: changes, ttl: ttl)
    }

    func updateTTLImmediately(_ key: SessionKey, ttl: Duration) throws(UpdateError) -> SessionUpdateResult {
        try base.updateTTLImmediately(key, ttl: ttl)
    }

    func deleteImmediately(_ key: SessionKey) throws(DeleteError) { try base.deleteImmediately(key) }
}
