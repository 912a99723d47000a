import Sessions
import SessionsTesting
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

/// The article "Testing your app", Vapor's half: each test below is shown there whole.
@Suite(.tags(.vapor)) struct VaporTestingYourAppTests {
    // README: Testing, Vapor counter
    @Test func theCounterCountsForOneBrowser() async throws {
        try await withApp { app in
            app.middleware.use(HTTPSessionMiddleware(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate())))
            app.get("counter") { request async throws -> String in
                "\(try await request.httpSession.update("counter", default: 0) { $0 += 1 })"
            }
            let jar = SessionCookieJar()
            for expected in ["1", "2"] {
                let response = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": jar.cookieHeader])
                jar.receive(setCookie: response.headers[.setCookie])
                #expect(response.body.string == expected)
            }
        }
    }
    // README: end

    // README: Testing, Vapor logged in
    @Test func aTestCanStartLoggedIn() async throws {
        try await withApp { app in
            let sessions = HTTPSessionMiddleware(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            app.middleware.use(sessions)
            app.get("me") { request async throws -> String in
                try await request.httpSession.principal()?.userID ?? "nobody"
            }
            let ada = SessionPrincipal(userType: "user", userID: "ada")
            let jar = SessionCookieJar(cookieHeader: try await sessions.engine.startSession(["cart": ["tea"]], loggedInAs: ada))
            let response = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": jar.cookieHeader])
            #expect(response.body.string == "ada")
        }
    }
    // README: end

    @Test("the article shows these tests as they run")
    func theArticleShowsTheseTests() throws {
        let article = try ReadmeRecipe.article("TestingYourApp")
        for region in ["Testing, Vapor counter", "Testing, Vapor logged in"] {
            #expect(article.contains(try ReadmeRecipe.block("", regions: [region], inFile: #filePath)), "\(region)")
        }
    }
}
