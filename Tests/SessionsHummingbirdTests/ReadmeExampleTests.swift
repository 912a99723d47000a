import Hummingbird
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import TestSupport
import Testing

/// README's Hummingbird quickstart, kept compiling and counting: the block README shows is these regions,
/// in order, under the three imports.
@Suite(.tags(.hummingbird)) struct ReadmeExampleTests {
    static let imports = "import Hummingbird\nimport Sessions\nimport SessionsHummingbird\n\n"

    /// Compiled, never called: the test has no `SESSIONS_SECRET` (the secret's parsing has tests of its own).
    static func secrets() throws -> SessionSecrets {
        // README: Hummingbird quickstart, secrets
        // SESSIONS_SECRET: 64 random bytes in hex, e.g. from `openssl rand -hex 64`
        let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET")
        // README: end
        return secrets
    }

    @Test("the quickstart counts 1, 2 through a cookie jar, logs in on a new key and out")
    func theQuickstartWorks() async throws {
        let secrets = SessionSecrets(current: .generate())
        // README: Hummingbird quickstart, routes
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        router.addMiddleware { HTTPSessionMiddleware(store: MemorySessionStore(), secrets: secrets) }
        router.get("counter") { _, context -> String in
            let count = try await context.httpSession.update("counter", default: 0) { $0 += 1 }
            return "\(count)"
        }
        router.post("login") { _, context -> String in
            // Once the password is checked: after the route, the user is stored and the key renewed.
            try await context.httpSession.logIn(userID: "ada", userType: "user")
            return "welcome"
        }
        router.post("logout") { _, context -> String in
            try await context.httpSession.logOut()  // deleted server-side, cookie removed
            return "bye"
        }
        // README: end
        try await Application(router: router).test(.router) { client async throws in
            let browser = TestBrowser()
            #expect(try await browser.send(.get, "/counter", client: client).body == "1")
            #expect(try await browser.send(.get, "/counter", client: client).body == "2")
            let before = browser.cookie
            #expect(try await browser.send(.post, "/login", client: client).body == "welcome")
            #expect(browser.cookie != before)
            #expect(try await browser.send(.get, "/counter", client: client).body == "3")
            #expect(try await browser.send(.post, "/logout", client: client).body == "bye")
            #expect(browser.cookie == nil)
            #expect(try await browser.send(.get, "/counter", client: client).body == "1")
        }
    }

    /// Compiled, never called: the test serves the router in process.
    static func run(_ router: Router<BasicHTTPSessionRequestContext>) async throws {
        // README: Hummingbird quickstart, run
        try await Application(router: router).runService()
        // README: end
    }

    @Test("README shows the quickstart this test runs, whole")
    func theReadmeShowsTheCodeThisTestRuns() throws {
        let block = try ReadmeRecipe.block(
            Self.imports,
            regions: ["Hummingbird quickstart, secrets", "Hummingbird quickstart, routes", "Hummingbird quickstart, run"],
            inFile: #filePath
        )
        #expect(try ReadmeRecipe.readme().contains(block))
    }
}
