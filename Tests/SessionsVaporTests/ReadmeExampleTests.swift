import Sessions
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

/// The README's Vapor snippets, kept compiling and working.
@Suite struct VaporReadmeExampleTests {
    @Test func theReadmeExamplesWork() async throws {
        let secret = try SessionSecret(derivingFrom: Array("a master secret of at least thirty-two bytes".utf8))
        try await withApp { app in
            // README: Vapor example
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: secret))
            app.middleware.use(HTTPSessionMiddleware(engine: engine))
            app.post("login") { request async throws -> String in
                // Once the password is checked: after the route, the user is stored and the key renewed.
                try await request.httpSession.logIn(userID: "ada", userType: "user")
                return "welcome"
            }
            // README: end
            // README: Vapor synchronous routes
            let loaded = app.grouped(HTTPSessionLoadingMiddleware())
            loaded.get("counter") { request throws -> String in
                let count = try request.loadedHTTPSession.update("counter", as: Int.self) { count in
                    count = (count ?? 0) + 1
                    return count!
                }
                return String(count)
            }
            // README: end

            let first = try await app.testing().sendRequest(.GET, "counter")
            #expect(first.body.string == "1")
            let anonymous = try #require(first.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) })
            let login = try await app.testing().sendRequest(.POST, "login", headers: ["Cookie": anonymous])
            #expect(login.body.string == "welcome")
            let loggedIn = try #require(login.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) })
            #expect(loggedIn != anonymous, "login moved the session to a new key")
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": loggedIn])
            #expect(second.body.string == "2", "the count moved with it")
        }
    }

    @Test func theReadmeShowsTheCodeThisTestRuns() throws {
        let readme = try ReadmeRecipe.readme()
        for region in ["Vapor example", "Vapor synchronous routes"] {
            #expect(readme.contains(try ReadmeRecipe.region(region, inFile: #filePath)), "README shows '\(region)' as this test runs it")
        }
    }
}
