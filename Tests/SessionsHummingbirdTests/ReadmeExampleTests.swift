import Hummingbird
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import TestSupport
import Testing

/// The README's Hummingbird example, kept compiling and working.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleWorks() async throws {
        let secretFromEnvironment = "a master secret of at least thirty-two bytes"
        // README: Hummingbird example
        let secret = try SessionSecret(derivingFrom: Array(secretFromEnvironment.utf8))  // >= 32 bytes
        let router = Router(context: BasicHTTPSessionRequestContext.self)
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: secret))
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        router.get("/counter") { _, context -> String in
            let count = try await context.httpSession.update("counter", as: Int.self) { count in
                count = (count ?? 0) + 1
                return count!
            }
            return "\(count)"
        }
        router.post("/login") { _, context -> String in
            // Once the password is checked: after the route, the user is stored and the key renewed.
            try await context.httpSession.logIn(userID: "ada", userType: "user")
            return "welcome"
        }
        router.post("/logout") { _, context -> String in
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

    @Test func theReadmeShowsTheCodeThisTestRuns() throws {
        #expect(try ReadmeRecipe.readme().contains(try ReadmeRecipe.region("Hummingbird example", inFile: #filePath)))
    }
}
