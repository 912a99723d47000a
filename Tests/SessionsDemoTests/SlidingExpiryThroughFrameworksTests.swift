import FoundationEssentials
import HTTPTypes
import Sessions
import SessionsSQLite
import SessionsTesting
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The default TTL extension through both frameworks: a user who only reads stays logged in, and a
/// persistent cookie's `Max-Age` follows each restart, on stores that keep their own clock in step.
@Suite("Sliding expiry through both frameworks")
struct SlidingExpiryThroughFrameworksTests {
    typealias Framework = DemoRouteTests.Framework

    enum Store: String, CaseIterable, Sendable {
        case memory, cookie, sqlite
    }

    @Test("a reader outlives the TTL of its last write, one restart per half TTL", arguments: Framework.allCases, Store.allCases)
    func aReaderOutlivesItsLastWrite(framework: Framework, store: Store) async throws {
        let clock = ManualSessionClock()
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(100)))
        try await Self.withStore(store, clock: clock) { sessionStore async throws in
            try await DemoRouteTests.withDemo(framework, store: sessionStore, configuration: configuration, clock: clock) { client async throws in
                let browser = TestBrowser()
                #expect(try await browser.send(.get, "/counter", client: client).body == "1")
                clock.advance(by: .seconds(30))
                let early = try await browser.send(.get, "/read", client: client)
                #expect(early.status == .ok)
                #expect(early.setCookies.isEmpty, "70 of 100 seconds left: nothing to restart")
                clock.advance(by: .seconds(30))
                let restarted = try await browser.send(.get, "/read", client: client)
                #expect(restarted.setCookies.count == 1, "40 seconds left: the TTL restarts")
                #expect(restarted.setCookies.first?.contains("Max-Age=100") == true)
                clock.advance(by: .seconds(90))
                let later = try await browser.send(.get, "/read", client: client)
                #expect(later.setCookies.count == 1, "restarted again, 150 seconds after the only write")
                #expect(try await browser.send(.get, "/counter", client: client).body == "2", "the session is still there")
                clock.advance(by: .seconds(101))
                #expect(try await browser.send(.get, "/counter", client: client).body == "1", "idle past its TTL, it ended")
            }
        }
    }

    static func withStore(_ store: Store, clock: ManualSessionClock, _ body: (any SessionStore) async throws -> Void) async throws {
        switch store {
        case .memory:
            try await body(MemorySessionStore(clock: clock))
        case .cookie:
            try await body(CookieSessionStore(clock: clock))
        case .sqlite:
            let path = "/tmp/swift-sessions-sliding-\(UInt64.random(in: 0 ... .max)).sqlite"
            defer {
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            }
            let sqlite = try await SQLiteSessionStore.open(path: path, configuration: .init(clock: clock))
            do {
                try await body(sqlite)
            } catch {
                try await sqlite.close()
                throw error
            }
            try await sqlite.close()
        }
    }
}
