import FoundationEssentials
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Sessions
import SessionsDemo
import SessionsHummingbird
import SessionsPostgres
import SessionsRedis
import SessionsSQLite
import SessionsTesting
import SessionsVapor
import Synchronization
import TestSupport
import Testing
import Vapor
import VaporTesting

#if canImport(Glibc)
import Glibc
#endif

/// The demo's HTTP contract, through both framework adapters, for every store.
@Suite struct DemoRouteTests {
    enum Framework: String, CaseIterable, Sendable {
        case hummingbird, vapor
    }

    enum StoreKind: String, CaseIterable, Sendable {
        case memory, cookie, sqlite, postgres, redis

        /// Whether the store lives on the server, so a dead key stays dead.
        var isServerSide: Bool { self != .cookie }
    }

    /// Runs `test` against the demo on a fresh store of `kind`; with `holds`, the store's calls can be held
    /// by the test (``HeldSessionStore``).
    static func withDemo(
        _ framework: Framework,
        _ kind: StoreKind,
        configuration: SessionConfiguration = .init(),
        holds: StoreHolds? = nil,
        _ test: @Sendable (DemoClient) async throws -> Void
    ) async throws {
        func serve<Store: SessionStore>(_ store: Store) async throws {
            if let holds {
                try await withDemo(framework, store: HeldSessionStore(base: store, holds: holds), configuration: configuration, test)
            } else {
                try await withDemo(framework, store: store, configuration: configuration, test)
            }
        }
        switch kind {
        case .memory:
            try await serve(MemorySessionStore())
        case .cookie:
            try await serve(CookieSessionStore())
        case .sqlite:
            let path = "/tmp/swift-sessions-demo-test-\(UInt64.random(in: 0 ... .max)).sqlite"
            let store = try await SQLiteSessionStore.open(path: path)
            defer {
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            }
            do {
                try await serve(store)
            } catch {
                try await store.close()
                throw error
            }
            try await store.close()
        case .postgres:
            try await TestPostgres.withClient { client async throws in
                let store = try PostgresSessionStore(
                    client: client, configuration: .init(tableName: TestPostgres.uniqueTable(), queryTimeout: TestPostgres.patientTimeout))
                try await serve(store)
            }
        case .redis:
            try await TestRedis.withClient { client async throws in
                let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
                try await serve(store)
            }
        }
    }

    static func withDemo<Store: SessionStore>(
        _ framework: Framework,
        store: Store,
        configuration: SessionConfiguration = .init(),
        secrets: SessionSecrets = .init(current: .generate()),
        clock: any SessionClock = SystemSessionClock(),
        logger: Logger? = nil,
        _ test: @Sendable (DemoClient) async throws -> Void
    ) async throws {
        let engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration, clock: clock)
        switch framework {
        case .hummingbird:
            let app = Hummingbird.Application(router: HummingbirdDemo.router(engine: engine), logger: logger ?? Logger(label: "demo-test"))
            try await app.test(.router) { client in try await test(DemoClient(hummingbird: client)) }
        case .vapor:
            try await withApp { app in
                if let logger { app.logger = logger }
                VaporDemo.configure(app, engine: engine)
                try await test(DemoClient(vapor: try app.testing()))
            }
        }
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func indexIsReadOnlyJSON(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            let reply = try await browser.send(.get, "/", client: client)
            #expect(reply.status == .ok)
            #expect(reply.body == #"{"counter":0,"user_id":null}"#)
            #expect(reply.headers[.contentType] == "application/json; charset=utf-8")
            #expect(reply.setCookies.isEmpty)
        }
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func doSomethingCounts(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            let first = try await browser.send(.post, "/do_something", client: client)
            #expect(first.body == #"{"counter":1,"user_id":null}"#)
            #expect(first.setCookies.count == 1)
            #expect(first.headers[.cacheControl] == "no-store")
            let second = try await browser.send(.post, "/do_something", client: client)
            #expect(second.body == #"{"counter":2,"user_id":null}"#)
            #expect(try await browser.send(.get, "/", client: client).body == #"{"counter":2,"user_id":null}"#)
        }
    }

    @Test(arguments: Framework.allCases, [StoreKind.memory, .sqlite, .postgres, .redis])
    func serverSideStoresSendNoCookieOnUpdates(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.get, "/counter", client: client)
            #expect(try await browser.send(.get, "/counter", client: client).setCookies.isEmpty)
        }
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func loginStoresTheUserAndRenewsTheKey(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.get, "/counter", client: client)
            let anonymous = try #require(browser.cookie)
            let login = try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            #expect(login.status == .ok)
            #expect(login.body == #"{"counter":1,"user_id":"ada"}"#)
            let loggedIn = try #require(browser.cookie)
            #expect(loggedIn != anonymous, "login moves the session to a new key")
            #expect(try await browser.send(.get, "/read", client: client).body == "ada")
            #expect(try await browser.send(.get, "/protected/count", client: client).status == .ok)
            if kind.isServerSide {
                let attacker = TestBrowser()
                attacker.cookie = anonymous
                #expect(try await attacker.send(.get, "/read", client: client).body == "anonymous", "the pre-login key is dead")
            }
        }
    }

    @Test(arguments: Framework.allCases, [#"not json"#, #"{}"#, #"{"user_id":7}"#, #"{"user_id":""}"#, ""])
    func loginWithABadBodyIs400(framework: Framework, body: String) async throws {
        try await Self.withDemo(framework, .memory) { client async throws in
            let browser = TestBrowser()
            let reply = try await browser.send(.post, "/login", body: body, client: client)
            #expect(reply.status == .badRequest)
            #expect(reply.setCookies.isEmpty)
        }
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func logoutPurges(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            let anonymous = try await browser.send(.post, "/logout", client: client)
            #expect(anonymous.status == .ok)
            #expect(anonymous.body == "Could not log out anonymous user")
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let loggedIn = browser.cookie
            let logout = try await browser.send(.post, "/logout", client: client)
            #expect(logout.status == .ok)
            #expect(logout.body == "Logged out: ada")
            #expect(logout.setCookies.count == 1 && logout.setCookies[0].hasPrefix("id=; Max-Age=0"))
            #expect(browser.cookie == nil)
            #expect(try await browser.send(.get, "/read", client: client).body == "anonymous")
            if kind.isServerSide {
                let replay = TestBrowser()
                replay.cookie = loggedIn
                #expect(try await replay.send(.get, "/read", client: client).body == "anonymous", "logout deletes server-side")
            }
        }
    }

    @Test(arguments: Framework.allCases)
    func protectedCountNeedsALogin(framework: Framework) async throws {
        try await Self.withDemo(framework, .memory) { client async throws in
            let browser = TestBrowser()
            #expect(try await browser.send(.get, "/protected/count", client: client).status == .unauthorized)
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let reply = try await browser.send(.get, "/protected/count", client: client)
            #expect(reply.status == .ok)
            #expect(reply.body == #"{"counter":0,"user_id":"ada"}"#)
        }
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func rawEntries(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            #expect(try await browser.send(.get, "/session", client: client).body == "{}")
            let put = try await browser.send(.put, "/session/theme", body: #""dark""#, client: client)
            #expect(put.status == .ok)
            try await browser.send(.put, "/session/cart", body: #"{"items":["book"],"total":12.5}"#, client: client)
            #expect(try await browser.send(.get, "/session", client: client).body == #"{"cart":{"items":["book"],"total":12.5},"theme":"dark"}"#)
            let delete = try await browser.send(.delete, "/session/theme", client: client)
            #expect(delete.status == .ok)
            #expect(try await browser.send(.get, "/session", client: client).body == #"{"cart":{"items":["book"],"total":12.5}}"#)
        }
    }

    @Test(arguments: Framework.allCases, ["/session/k?delay_ms=2001", "/session/k?delay_ms=-1", "/session/k?delay_ms=soon"])
    func slowPutRejectsBadDelays(framework: Framework, uri: String) async throws {
        try await Self.withDemo(framework, .memory) { client async throws in
            #expect(try await TestBrowser().send(.put, uri, body: "1", client: client).status == .badRequest)
        }
    }

    @Test(arguments: Framework.allCases)
    func putRejectsABodyThatIsNotJSON(framework: Framework) async throws {
        try await Self.withDemo(framework, .memory) { client async throws in
            #expect(try await TestBrowser().send(.put, "/session/k", body: "{nope", client: client).status == .badRequest)
        }
    }

    @Test(arguments: Framework.allCases, [StoreKind.memory, .sqlite, .postgres, .redis])
    func slowConcurrentPutsOfDifferentKeysBothPersist(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.put, "/session/base", body: "true", client: client)
            let cookie = try #require(browser.cookie)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let writer = TestBrowser()
                        writer.cookie = cookie
                        let reply = try await writer.send(.put, "/session/k\(index)?delay_ms=20", body: "\(index)", client: client)
                        #expect(reply.status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            let all = try await browser.send(.get, "/session", client: client).body
            for index in 0..<8 { #expect(all.contains(#""k\#(index)":\#(index)"#)) }
            #expect(all.contains(#""base":true"#))
        }
    }

    /// The write loads the session, the logout lands, then the write's update reaches the store (held there
    /// until the logout answered): the write is dropped and says so, and the session stays dead.
    @Test(arguments: Framework.allCases, [StoreKind.memory, .sqlite, .postgres, .redis])
    func aSlowUpdateNeverResurrectsALoggedOutSession(framework: Framework, kind: StoreKind) async throws {
        let holds = StoreHolds()
        try await Self.withDemo(framework, kind, holds: holds) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let cookie = try #require(browser.cookie)
            let update = holds.holdNext(.update)
            async let slow = DemoRaceTests.tab(cookie).send(.put, "/session/cart", body: #"["book"]"#, client: client)
            await update.arrived()
            let logout = try await browser.send(.post, "/logout", client: client)
            #expect(logout.body == "Logged out: ada")
            update.release()
            let write = try await slow
            #expect(write.status == .conflict, "the write's session ended before its update: dropped, and answered so")
            #expect(write.setCookies.isEmpty)
            #expect(try await DemoRaceTests.tab(cookie).send(.get, "/session", client: client).body == "{}", "the session stays dead")
        }
    }

    @Test(arguments: Framework.allCases)
    func plainNeverTouchesTheSession(framework: Framework) async throws {
        let store = CountingStore()
        try await Self.withDemo(framework, store: store) { client async throws in
            let browser = TestBrowser()
            browser.cookie = "tampered-value"
            let reply = try await browser.send(.get, "/plain", client: client)
            #expect(reply.body == "ok")
            #expect(reply.setCookies.isEmpty)
        }
        #expect(store.loads == 0)
    }

    @Test(arguments: Framework.allCases, StoreKind.allCases)
    func counterAndRead(framework: Framework, kind: StoreKind) async throws {
        try await Self.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            #expect(try await browser.send(.get, "/read", client: client).body == "anonymous")
            #expect(try await browser.send(.get, "/counter", client: client).body == "1")
            #expect(try await browser.send(.get, "/counter", client: client).body == "2")
            let read = try await browser.send(.get, "/read", client: client)
            #expect(read.body == "anonymous")
            #expect(read.headers[.contentType] == "text/plain; charset=utf-8")
        }
    }

    @Test(arguments: Framework.allCases)
    func aCookieThatFailsToResolveIsLeftAloneWhenTheSessionIsRead(framework: Framework) async throws {
        // The browser may hold a newer cookie by the time this answer arrives.
        try await Self.withDemo(framework, .memory) { client async throws in
            let browser = TestBrowser()
            browser.cookie = "tampered-value"
            let reply = try await browser.send(.get, "/read", client: client)
            #expect(reply.body == "anonymous")
            #expect(reply.setCookies.isEmpty)
        }
    }

    @Test(arguments: Framework.allCases)
    func browsersGetAnHTMLPageThatEscapesTheUser(framework: Framework) async throws {
        try await Self.withDemo(framework, .memory) { client async throws in
            let browser = TestBrowser()
            let html: HTTPFields = [.accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"]
            let page = try await browser.send(.get, "/", headers: html, client: client)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.body.contains("visited this page <strong>1</strong> time in"))
            #expect(page.body.contains("Log in"))
            try await browser.send(.post, "/login", body: #"{"user_id":"<script>alert(1)</script>"}"#, client: client)
            let again = try await browser.send(.get, "/", headers: html, client: client)
            #expect(again.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!again.body.contains("<script>alert(1)"))
            #expect(again.body.contains("<strong>2</strong> times"))
            #expect(again.body.contains("Log out"))
        }
    }

    @Test(arguments: Framework.allCases)
    func storeFailureIsAnEmpty500(framework: Framework) async throws {
        try await Self.withDemo(framework, store: BrokenStore()) { client async throws in
            let browser = TestBrowser()
            let write = try await browser.send(.get, "/counter", client: client)
            #expect(write.status == .internalServerError)
            #expect(write.body.isEmpty)
            #expect(write.setCookies.isEmpty)
            browser.cookie = "anything-at-all"
            #expect(try await browser.send(.get, "/plain", client: client).status == .ok, "a route that never touches the session is unaffected")
        }
    }
}

/// Counts loads; otherwise a memory store.
final class CountingStore: SessionStore {
    private let base = MemorySessionStore()
    private let counter = Mutex(0)
    var loads: Int { counter.withLock { $0 } }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        counter.withLock { $0 += 1 }
        return try await base.load(key)
    }
    func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        counter.withLock { $0 += 1 }
        return try await base.loadRecord(key)
    }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { try await base.save(state, ttl: ttl) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    { try await base.update(key, to: state, changes: changes, ttl: ttl) }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { try await base.updateTTL(key, ttl: ttl) }
    func delete(_ key: SessionKey) async throws(DeleteError) { try await base.delete(key) }
}

/// A store that is down.
struct BrokenStore: SessionStore {
    struct Down: Error, CustomStringConvertible { var description: String { "secret-internal-host:6379 refused" } }
    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? { throw .other(Down()) }
    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey { throw .other(Down()) }
    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    { throw .other(Down()) }
    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult { throw .other(Down()) }
    func delete(_ key: SessionKey) async throws(DeleteError) { throw .other(Down()) }
}
