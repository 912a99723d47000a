import FoundationEssentials
import Logging
import Sessions
import Testing

@testable import SessionsTesting

/// The app author's test helpers: the cookie jar, and a session started through the engine.
@Suite struct SessionCookieJarTests {
    @Test("the jar keeps what Set-Cookie sets, replaces it, and forgets what it expires")
    func setReplaceExpire() {
        let jar = SessionCookieJar()
        #expect(jar.cookieHeader.isEmpty)
        jar.receive(setCookie: ["id=abc; Path=/; HttpOnly; Secure; SameSite=Lax", "theme=dark"])
        #expect(jar.cookieHeader == "id=abc; theme=dark")
        jar.receive(setCookie: ["id=def; Max-Age=86400"])
        #expect(jar["id"] == "def" && jar.cookieHeader == "id=def; theme=dark")
        jar.receive(setCookie: ["id=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
        #expect(jar["id"] == nil && jar.cookieHeader == "theme=dark")
        jar.receive(setCookie: ["theme=light; max-age=-1", "no equals sign", ""])
        #expect(jar.cookieHeader.isEmpty)
        jar.receive(setCookie: ["token=a=b==; Path=/", "quoted=\"v\"", "upper=1; MAX-AGE = 0", "gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
        #expect(jar.cookieHeader == "token=a=b==; quoted=\"v\"")
        jar.receive(setCookie: ["later=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", "maxAgeWins=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
        #expect(jar["later"] == "1" && jar["maxAgeWins"] == "1")
        #expect(SessionCookieJar.parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        let seeded = SessionCookieJar(cookieHeader: "id=xyz; other=1")
        #expect(seeded["id"] == "xyz" && seeded["other"] == "1")
        seeded.clear()
        #expect(seeded.cookieHeader.isEmpty)
    }

    @Test("a session started through the engine holds its values and its login, under a cookie the engine opens")
    func startSession() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let cookie = try await engine.startSession(["cart": ["tea"]], loggedInAs: SessionPrincipal(userType: "user", userID: "7"))
        #expect(cookie.hasPrefix("id="))
        let session = engine.begin(cookieHeader: cookie, logger: .init(label: "test"))
        #expect(try await session.get("cart", as: [String].self) == ["tea"])
        #expect(try await session.principal() == SessionPrincipal(userType: "user", userID: "7"))
        _ = try await engine.commit(session, logger: .init(label: "test"))
    }

    @Test(
        "values alone, a persistent cookie and the cookie store each start a session",
        arguments: [
            (SessionConfiguration(), false), (SessionConfiguration(lifecycle: .persistent(ttl: .seconds(600))), false),
            (SessionConfiguration(), true),
        ])
    func startSessionEverywhere(configuration: SessionConfiguration, cookieStore: Bool) async throws {
        let secrets = SessionSecrets(current: .generate())
        let engine =
            cookieStore
            ? try SessionEngine(store: CookieSessionStore(), secrets: secrets, configuration: configuration)
            : try SessionEngine(store: MemorySessionStore(), secrets: secrets, configuration: configuration)
        let cookie = try await engine.startSession(["theme": "dark"])
        let session = engine.begin(cookieHeader: cookie, logger: .init(label: "test"))
        #expect(try await session.get("theme", as: String.self) == "dark")
        #expect(try await session.principal() == nil)
    }

    @Test("an empty start and the principal's entry are refused")
    func refusals() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        await #expect(throws: SessionStartFailure.self) { _ = try await engine.startSession() }
        await #expect(throws: SessionError.self) { _ = try await engine.startSession([HTTPSession.principalEntry: "x"]) }
    }
}
