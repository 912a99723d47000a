import Hummingbird
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import SessionsTesting
import TestSupport
import Testing

/// The article "Testing your app", Hummingbird's half: each test below is shown there whole.
@Suite(.tags(.hummingbird)) struct TestingYourAppTests {
    // README: Testing, Hummingbird counter
    @Test func theCounterCountsForOneBrowser() async throws {
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { HTTPSessionMiddleware(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate())) }
        router.get("counter") { _, context -> String in
            "\(try await context.httpSession.update("counter", default: 0) { $0 += 1 })"
        }
        let jar = SessionCookieJar()
        try await Application(router: router).test(.router) { client in
            for expected in ["1", "2"] {
                let response = try await client.execute(uri: "/counter", method: .get, headers: [.cookie: jar.cookieHeader])
                jar.receive(setCookie: response.headers[values: .setCookie])
                #expect(String(buffer: response.body) == expected)
            }
        }
    }
    // README: end

    // README: Testing, Hummingbird logged in
    @Test func aTestCanStartLoggedIn() async throws {
        let sessions = HTTPSessionMiddleware<BasicHTTPSessionRequestContext>(
            store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { sessions }
        router.get("me") { _, context -> String in
            try await context.httpSession.principal()?.userID ?? "nobody"
        }
        let ada = SessionPrincipal(userType: "user", userID: "ada")
        let jar = SessionCookieJar(cookieHeader: try await sessions.engine.startSession(["cart": ["tea"]], loggedInAs: ada))
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/me", method: .get, headers: [.cookie: jar.cookieHeader])
            #expect(String(buffer: response.body) == "ada")
        }
    }
    // README: end

    @Test("a logout's removal cookie empties the jar, and an anonymous request sends no session")
    func theJarFollowsALogout() async throws {
        let sessions = HTTPSessionMiddleware<BasicHTTPSessionRequestContext>(
            store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { sessions }
        router.post("logout") { _, context -> String in
            try await context.httpSession.logOut()
            return "bye"
        }
        router.get("me") { _, context -> String in
            try await context.httpSession.principal()?.userID ?? "nobody"
        }
        let jar = SessionCookieJar(cookieHeader: try await sessions.engine.startSession(loggedInAs: .init(userType: "user", userID: "ada")))
        #expect(jar["id"] != nil)
        try await Application(router: router).test(.router) { client in
            let logout = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: jar.cookieHeader])
            jar.receive(setCookie: logout.headers[values: .setCookie])
            #expect(jar["id"] == nil && jar.cookieHeader.isEmpty)
            let me = try await client.execute(uri: "/me", method: .get, headers: [.cookie: jar.cookieHeader])
            #expect(String(buffer: me.body) == "nobody")
        }
    }

    @Test("the article shows these tests as they run")
    func theArticleShowsTheseTests() throws {
        let article = try ReadmeRecipe.article("TestingYourApp")
        for region in ["Testing, Hummingbird counter", "Testing, Hummingbird logged in"] {
            #expect(article.contains(try ReadmeRecipe.block("", regions: [region], inFile: #filePath)), "\(region)")
        }
    }
}
