import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Sessions
import SessionsHummingbird
import SessionsRedis
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Tests that disturb their Redis server (stop it, flush its script cache) run one at a time against the
/// outage server, never the shared one: a flushed script cache costs every other test's next script an
/// extra round trip, which the round-trip counting test would see.
@Suite(.serialized, .tags(.redis)) struct RedisDisruptionTests {
    @Test func updatesSurviveAFlushedScriptCache() async throws {
        try await TestRedis.withClient(.outage) { client async throws in
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            let key = try await store.save(SessionState(["a": 1], createdAt: .now), ttl: .seconds(60))
            _ = try await client.send(["SCRIPT", "FLUSH"])
            var state = SessionState(["a": 1, "b": 2], createdAt: .now)
            #expect(try await store.update(key, to: state, changes: .init(setKeys: ["b"]), ttl: .seconds(60)) == .updated(key))
            _ = try await client.send(["SCRIPT", "FLUSH"])
            state["a"] = nil
            #expect(try await store.update(key, to: state, changes: .init(removedKeys: ["a"]), ttl: .seconds(60)) == .updated(key))
            #expect(try await store.load(key)?.entries == ["b": 2])
            try await store.delete(key)
        }
    }

    /// A command that times out closes its connection under the commands pipelined behind it, which Redis
    /// may still run once it wakes. Sending those again would run them twice: a save would store a second
    /// copy, an update's clear would erase what another request wrote in between.
    @Test func commandsPipelinedBehindATimeoutAreNotRunTwice() async throws {
        let prefix = TestRedis.uniquePrefix()
        try await TestRedis.withClient(
            .outage,
            configure: {
                $0.commandTimeout = .milliseconds(1500)
                $0.maximumConnections = 1
            }
        ) {
            client async throws in
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let existing = try await store.save(SessionState(["x": 1], createdAt: .now), ttl: .seconds(60))
            let stall = Task { try await client.send(["DEBUG", "SLEEP", "2"]) }
            try await Self.waitUntil { client.pendingReplies == 1 }
            // Both are written behind the stall on the one connection, and both reach the server.
            let save = Task { try await store.save(SessionState(["n": 1], createdAt: .now), ttl: .seconds(60)) }
            let update = Task {
                try await store.update(
                    existing,
                    to: SessionState(["x": 2], createdAt: .now),
                    changes: SessionChangeSet(setKeys: ["x"], cleared: true),
                    ttl: .seconds(60)
                )
            }
            let saveError = await #expect(throws: SaveError.self) { try await save.value }
            let updateError = await #expect(throws: UpdateError.self) { try await update.value }
            await #expect(throws: RedisClientError.self) { try await stall.value }
            for error in [saveError?.underlying, updateError?.underlying] {
                let redis = try #require(error as? RedisClientError)
                #expect(redis.kind == .connectionClosed && redis.reachedServer, "\(redis): the outcome is unknown, not retried")
            }
        }
        // Once the server is awake: the save ran once (an orphan no cookie names), never twice.
        try await TestRedis.withClient(.outage) { client async throws in
            try await Self.waitUntil { (try? await client.send(["PING"])) == .simpleString("PONG") }
            let keys = try await client.send(["KEYS", RESPArgument(prefix + "*")])
            guard case .array(let names?) = keys else {
                Issue.record("KEYS answered \(keys)")
                return
            }
            #expect(names.count == 2, "the existing session and one copy of the save: \(names.count) keys")
            _ = try await client.send(
                ["DEL"]
                    + names.compactMap { name -> RESPArgument? in
                        if case .bulkString(let bytes?) = name { return RESPArgument(bytes) } else { return nil }
                    })
        }
    }

    /// A login's renew pipelined behind a stall on its own connection: the stall's timeout closes the
    /// connection under it after Redis has it, and Redis runs it when it wakes, so the session sits under a
    /// key the login never answered. The client sends the renew again (it is safe to), the store answers the
    /// move from the old key's tombstone, and the login logs in rather than leaving the browser a key whose
    /// tombstone drops its writes.
    @Test func aLoginWhoseRenewTimesOutBehindAStallIsAnsweredByAskingAgain() async throws {
        try await TestRedis.withClient(
            .outage,
            configure: {
                $0.commandTimeout = .milliseconds(1500)
                $0.maximumConnections = 1
            }
        ) {
            client async throws in
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            let engine = try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()))
            let logger = Logger(label: "redis-renew-test")
            func cookie(_ headers: SessionResponseHeaders) throws -> String {
                let header = try #require(headers.setCookies.last, "a cookie was set")
                return String(header.prefix { $0 != ";" })
            }
            let anonymous = engine.begin(cookieHeader: nil, logger: logger)
            try await anonymous.insert("cart", ["pen"])
            let old = try cookie(try await engine.commit(anonymous, logger: logger))
            let login = engine.begin(cookieHeader: old, logger: logger)
            try await login.load()
            let stall = Task { try await client.send(["DEBUG", "SLEEP", "2"]) }
            try await Self.waitUntil { client.pendingReplies == 1 }
            try await login.logIn(userID: "ada", userType: "user")
            let new = try cookie(try await engine.commit(login, logger: logger))
            _ = await stall.result
            #expect(new != old, "the login answered with the renewed key")
            let read = engine.begin(cookieHeader: new, logger: logger)
            #expect(try await read.principal()?.userID == "ada")
            #expect(try await read.get("cart", as: [String].self) == ["pen"], "nothing the session held was left behind")
            let stale = engine.begin(cookieHeader: old, logger: logger)
            #expect(try await stale.entries().isEmpty, "the old key ended")
        }
    }

    /// A stall from another client, longer than the command timeout: the renew itself times out, which
    /// the client never sends again, and Redis may run it when it wakes. The engine asks again after a pause,
    /// and the store answers the move it made.
    @Test func aLoginWhoseRenewTimesOutIsAskedAgainByTheEngine() async throws {
        try await TestRedis.withClient(.outage) { staller async throws in
            try await TestRedis.withClient(
                .outage,
                configure: {
                    $0.commandTimeout = .seconds(1)
                    $0.maximumConnections = 1
                }
            ) {
                client async throws in
                let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
                let engine = try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()))
                let logger = Logger(label: "redis-renew-test")
                func cookie(_ headers: SessionResponseHeaders) throws -> String {
                    let header = try #require(headers.setCookies.last, "a cookie was set")
                    return String(header.prefix { $0 != ";" })
                }
                func visit(_ cookieHeader: String?, _ body: (HTTPSession) async throws -> Void) async throws -> String {
                    let session = engine.begin(cookieHeader: cookieHeader, logger: logger)
                    try await body(session)
                    return try cookie(try await engine.commit(session, logger: logger))
                }
                // Every script cached first, so that each ask is one command.
                _ = try await visit(try await visit(nil) { try await $0.insert("n", 1) }) { try await $0.logIn(userID: "warm-up", userType: "user") }
                let old = try await visit(nil) { try await $0.insert("cart", ["pen"]) }
                let login = engine.begin(cookieHeader: old, logger: logger)
                try await login.load()
                let stall = Task { try await staller.send(["DEBUG", "SLEEP", "2.5"]) }
                // Asleep once a ping from a third client goes unanswered: the renew reaches Redis early in the
                // stall (any time in its first 1.4 s will do), times out (1 s), and a later ask is answered
                // when Redis wakes.
                try await TestRedis.withClient(.outage, configure: { $0.commandTimeout = .milliseconds(100) }) { probe async throws in
                    try await Self.waitUntil { (try? await probe.send(["PING"])) == nil }
                }
                let sent = client.commandsSent
                try await login.logIn(userID: "ada", userType: "user")
                let new = try cookie(try await engine.commit(login, logger: logger))
                _ = await stall.result
                #expect(client.commandsSent - sent >= 2, "the renew was asked again")
                let read = engine.begin(cookieHeader: new, logger: logger)
                #expect(try await read.principal()?.userID == "ada")
                #expect(try await read.get("cart", as: [String].self) == ["pen"], "nothing the session held was left behind")
                let stale = engine.begin(cookieHeader: old, logger: logger)
                #expect(try await stale.entries().isEmpty, "the old key ended")
            }
        }
    }

    /// Polls `condition` until it holds; fails after a minute.
    static func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within a minute")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    enum Framework: String, CaseIterable, Sendable {
        case hummingbird, vapor
    }

    /// A counting app on `client`'s Redis through `framework`'s adapter.
    static func withCountingApp(_ framework: Framework, client: RedisClient, _ test: @Sendable (DemoClient) async throws -> Void) async throws {
        switch framework {
        case .hummingbird:
            try await RedisThroughHummingbirdTests.withApp(client: client) { http in try await test(DemoClient(hummingbird: http)) }
        case .vapor:
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            try await VaporTesting.withApp { app in
                app.middleware.use(HTTPSessionMiddleware(engine: try SessionEngine(store: store, secrets: SessionSecrets(current: .generate()))))
                app.get("count") { request async throws -> String in
                    String(
                        try await request.httpSession.update("n", as: Int.self) { count in
                            count = (count ?? 0) + 1
                            return count!
                        })
                }
                try await test(DemoClient(vapor: try app.testing()))
            }
        }
    }

    @Test(arguments: Framework.allCases)
    func aStoppedRedisIsAnEmpty500AndTheAppRecoversWhenItReturns(framework: Framework) async throws {
        try await TestRedis.withClient(
            .outage,
            configure: {
                $0.commandTimeout = .seconds(2)
                $0.connectTimeout = .seconds(2)
            }
        ) {
            client async throws in
            try await Self.withCountingApp(framework, client: client) { http async throws in
                let browser = TestBrowser()
                #expect(try await browser.send(.get, "/count", client: http).body == "1")
                #expect(try await browser.send(.get, "/count", client: http).body == "2")

                try await TestRedis.control(.outage, "STOP")
                let failed = try await browser.send(.get, "/count", client: http)
                #expect(failed.status == .internalServerError)
                #expect(failed.body.isEmpty, "the store's failure is not shown to the client")
                #expect(failed.setCookies.isEmpty, "a failed request leaves the cookie alone")

                try await TestRedis.control(.outage, "START")
                // The pool backs off while the server is down: it may fail fast a moment longer (up to its
                // delay limit, 2 s), then reconnects by itself.
                var recovered = try await browser.send(.get, "/count", client: http)
                let deadline = ContinuousClock.now + .seconds(30)
                while recovered.status != .ok, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    recovered = try await browser.send(.get, "/count", client: http)
                }
                #expect(recovered.status == .ok, "the pool reconnects by itself")
                #expect(recovered.body == "3", "the session written before the outage survived it")
            }
        }
    }
}
