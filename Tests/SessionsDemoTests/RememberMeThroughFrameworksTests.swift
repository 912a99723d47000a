import FoundationEssentials
import HTTPTypes
import Sessions
import SessionsDemo
import TestSupport
import Testing

/// The demo's `"remember_me": true` login through both frameworks and the stores that keep their own state:
/// a persistent cookie for that session alone, kept by its later writes.
@Suite("Remember me through both frameworks")
struct RememberMeThroughFrameworksTests {
    typealias Framework = DemoRouteTests.Framework
    typealias StoreKind = DemoRouteTests.StoreKind

    @Test(
        "a remembered login gets a 30-day persistent cookie; a plain one a browser-session cookie",
        arguments: Framework.allCases, [StoreKind.memory, .cookie, .sqlite])
    func aRememberedLoginIsPersistent(framework: Framework, kind: StoreKind) async throws {
        try await DemoRouteTests.withDemo(framework, kind) { client async throws in
            let remembered = TestBrowser()
            let login = try await remembered.send(.post, "/login", body: #"{"user_id":"ada","remember_me":true}"#, client: client)
            #expect(login.status == .ok)
            #expect(login.setCookies.count == 1)
            #expect(login.setCookies.first?.contains("Max-Age=2592000") == true, "\(login.setCookies)")
            let write = try await remembered.send(.get, "/counter", client: client)
            #expect(write.setCookies.first?.contains("Max-Age=2592000") == true, "a write re-sends the persistent cookie")
            let entries = try await remembered.send(.get, "/session", client: client)
            #expect(entries.body.contains(HTTPSession.lifecycleEntry), "the choice is stored with the session")
            let planted = try await remembered.send(.put, "/session/_lifecycle", body: #"{"persistent":true,"ttl_ms":1}"#, client: client)
            #expect(planted.status == .badRequest, "only the login's choice writes it")

            let plain = TestBrowser()
            let plainLogin = try await plain.send(.post, "/login", body: #"{"user_id":"bob","remember_me":false}"#, client: client)
            #expect(plainLogin.status == .ok)
            #expect(plainLogin.setCookies.first?.contains("Max-Age") == false)
            let plainWrite = try await plain.send(.get, "/counter", client: client)
            if kind.isServerSide {
                #expect(plainWrite.setCookies.isEmpty, "a browser-session cookie is not sent again")
            } else {
                #expect(plainWrite.setCookies.first?.contains("Max-Age") == false, "the cookie store's new state, still a browser-session cookie")
            }
            let bad = try await plain.send(.post, "/login", body: #"{"user_id":"bob","remember_me":"yes"}"#, client: client)
            #expect(bad.status == .badRequest)
        }
    }
}
