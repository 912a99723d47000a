import FoundationEssentials
import Logging
import Testing

@testable import Sessions

@Suite struct SessionConfigurationTests {
    @Test func defaultsFollowActixSession() throws {
        let configuration = SessionConfiguration()
        try configuration.validate()
        #expect(configuration.cookie == SessionCookieConfiguration(name: "id", path: "/", domain: nil, secure: true, httpOnly: true, sameSite: .lax))
        #expect(configuration.security == .private)
        #expect(configuration.lifecycle == .browserSession(stateTTL: .seconds(86_400)))
        #expect(configuration.ttlExtension == .whenRemainingBelow(0.5))
        #expect(configuration.absoluteTimeout == nil)
    }

    static let invalid: [(SessionConfiguration, String)] = [
        (.init(cookie: .init(name: "__Host-id", secure: false)), "__Host-"),
        (.init(cookie: .init(name: "__Host-id", path: "/app")), "__Host-"),
        (.init(cookie: .init(name: "__Host-id", domain: "example.com")), "__Host-"),
        (.init(cookie: .init(name: "__Secure-id", secure: false)), "__Secure-"),
        (.init(cookie: .init(secure: false, sameSite: .none)), "SameSite=None"),
        (.init(cookie: .init(secure: false, partitioned: true)), "Partitioned"),
        (.init(cookie: .init(name: "")), "cookie name"),
        (.init(cookie: .init(name: "my id")), "cookie name"),
        (.init(cookie: .init(name: "id;x")), "cookie name"),
        (.init(cookie: .init(path: "app")), "cookie path"),
        (.init(cookie: .init(path: "/a;b")), "cookie path"),
        (.init(cookie: .init(domain: "")), "cookie domain"),
        (.init(cookie: .init(domain: "a.com; Secure")), "cookie domain"),
        (.init(lifecycle: .persistent(ttl: .zero)), "TTL"),
        (.init(absoluteTimeout: .seconds(-1)), "absolute timeout"),
        // Browsers match the prefixes in any case (RFC 6265bis).
        (.init(cookie: .init(name: "__host-id", secure: false)), "__Host-"),
        (.init(cookie: .init(name: "__HOST-id", path: "/app")), "__Host-"),
        (.init(cookie: .init(name: "__SECURE-id", secure: false)), "__Secure-"),
        (.init(cookie: .init(name: "__secure-id", secure: false)), "__Secure-"),
        // Bounds that keep every time computed from them from overflowing.
        (.init(lifecycle: .browserSession(stateTTL: .seconds(10_000_000_000_000_000))), "at most"),
        (.init(lifecycle: .persistent(ttl: .seconds(Int64.max))), "at most"),
        (.init(absoluteTimeout: .seconds(400_000_000)), "at most"),
        (.init(staleCookieGracePeriod: .seconds(-1)), "grace period"),
        (.init(staleCookieGracePeriod: .zero), "grace period"),
        (.init(staleCookieGracePeriod: .seconds(86_401)), "grace period"),
        (.init(maximumStateSize: 0), "state size"),
    ]

    @Test(arguments: invalid)
    func invalidCombinationsAreRefusedAtStartup(configuration: SessionConfiguration, mentions: String) {
        do {
            try configuration.validate()
            Issue.record("expected a configuration error mentioning \(mentions)")
        } catch {
            #expect(error.message.contains(mentions))
        }
        #expect(throws: SessionConfigurationError.self) {
            try SessionEngine(store: MemorySessionStore(), secrets: .init(current: .generate()), configuration: configuration)
        }
    }

    @Test func theLongestAcceptedLifetimesComputeWithoutOverflow() async throws {
        let ten = SessionConfiguration.maximumLifetime
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: ten), absoluteTimeout: ten)
        try configuration.validate()
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: .init(current: .generate()), configuration: configuration)
        let session = engine.begin(cookieHeader: nil, logger: .init(label: "test"))
        try await session.insert("a", 1)
        let headers = try await engine.commit(session, logger: .init(label: "test"))
        #expect(headers.setCookies.first?.contains("Max-Age=34560000;") == true, "clamped to 400 days")
    }

    @Test func anAbsurdStoredCreationTimeNeverTraps() async throws {
        // A store's creation time may be anything (a corrupt row): the TTL arithmetic stays in doubles.
        let configuration = SessionConfiguration(absoluteTimeout: .seconds(3600))
        let store = MemorySessionStore()
        let secrets = SessionSecrets(current: .generate())
        let engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration)
        for created in [Date(timeIntervalSince1970: -9e15), Date(timeIntervalSince1970: 9e15), Date.distantFuture] {
            let key = try await store.save(SessionState(["a": 1], createdAt: created), ttl: .seconds(60))
            let session = engine.begin(cookieHeader: "id=\(engine.codec.seal(key.rawValue))", logger: .init(label: "test"))
            _ = try await session.entries()
            try await session.insert("b", 2)
            _ = try await engine.commit(session, logger: .init(label: "test"))
        }
    }

    @Test func validHostPrefixedAndCrossSiteCookiesAreAccepted() throws {
        try SessionConfiguration(cookie: .init(name: "__Host-session")).validate()
        try SessionConfiguration(cookie: .init(name: "__Secure-session", domain: "example.com")).validate()
        try SessionConfiguration(cookie: .init(sameSite: .none, partitioned: true)).validate()
    }
}

@Suite struct CookieHeaderTests {
    @Test func findsEveryValueOfTheNamedCookie() {
        #expect(Array(CookieHeader.values(named: "id", in: "a=1; id=x; b=2;id=y")) == ["x", "y"])
        #expect(Array(CookieHeader.values(named: "id", in: " id = spaced ;\tid=\"quoted\"")) == ["spaced", "quoted"])
        #expect(Array(CookieHeader.values(named: "id", in: "idx=1; xid=2; ID=3")) == [])
        #expect(Array(CookieHeader.values(named: "id", in: "garbage;;; =; id")) == [])
        #expect(Array(CookieHeader.values(named: "id", in: "id=a=b")) == ["a=b"])
        #expect(Array(CookieHeader.values(named: "id", in: "")) == [])
    }

    @Test func slicesValuesAroundMultiByteCharacters() {
        #expect(Array(CookieHeader.values(named: "id", in: "é=1; id=ü\u{301}x; id=\"\"; id=\"; id=")) == ["ü\u{301}x", "", "\"", ""])
        #expect(Array(CookieHeader.values(named: "ïd", in: "ïd=1;id=2")) == ["1"])
    }

    @Test func boundsTheNumberOfCandidates() {
        let header = (0..<500).map { "id=v\($0)" }.joined(separator: "; ")
        #expect(Array(CookieHeader.values(named: "id", in: header)) == ["v0", "v1", "v2", "v3"])
    }
}

@Suite struct SetCookieTests {
    @Test func rendersEveryAttribute() {
        let cookie = SessionCookieConfiguration(name: "sid", path: "/app", domain: "example.com", sameSite: .strict, partitioned: true)
        let header = SetCookie(configuration: cookie).issue(value: "V", maxAge: 60, nowUnixSeconds: 0)
        #expect(
            header
                == "sid=V; Max-Age=60; Expires=Thu, 01 Jan 1970 00:01:00 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned"
        )
        let browser = SetCookie(configuration: .init(secure: false, httpOnly: false)).issue(value: "V", maxAge: nil, nowUnixSeconds: 0)
        #expect(browser == "id=V; Path=/; SameSite=Lax")
    }

    @Test func removalMirrorsNamePathDomainAndFlags() {
        let cookie = SessionCookieConfiguration(name: "sid", path: "/app", domain: "example.com", sameSite: .none)
        #expect(
            SetCookie(configuration: cookie).removal()
                == "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=None")
    }

    @Test(arguments: [Int64(0), 784_111_777, 951_782_400, 1_767_225_599, 4_102_444_800, 253_402_300_799])
    func httpDatesMatchTheCLibrary(seconds: Int64) {
        #expect(HTTPDate.format(unixSeconds: seconds) == HTTPDateForTests.format(seconds))
    }
}
