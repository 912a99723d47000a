import Sessions
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

/// README's Vapor quickstart, kept compiling and counting, and the synchronous routes of the Vapor article.
@Suite(.tags(.vapor)) struct VaporReadmeExampleTests {
    static let imports = "import Sessions\nimport SessionsVapor\nimport Vapor\n\n"

    /// Compiled, never called: the test's application comes from `withApp`, and it has no `SESSIONS_SECRET`.
    static func start() async throws -> (Application, SessionSecrets) {
        // README: Vapor quickstart, start
        let app = try await Application.make(.detect())
        // SESSIONS_SECRET: 64 random bytes in hex, e.g. from `openssl rand -hex 64`
        let secrets = try SessionSecrets(environmentVariable: "SESSIONS_SECRET")
        // README: end
        return (app, secrets)
    }

    static func cookie(of response: TestingHTTPResponse) -> String? {
        response.headers[.setCookie].first.map { String($0.prefix { $0 != ";" }) }
    }

    @Test("the quickstart counts 1, 2 through a cookie jar, logs in on a new key and out")
    func theQuickstartWorks() async throws {
        let secrets = SessionSecrets(current: .generate())
        try await withApp { app in
            // README: Vapor quickstart, routes
            app.middleware.use(HTTPSessionMiddleware(store: MemorySessionStore(), secrets: secrets))
            app.get("counter") { request async throws -> String in
                let count = try await request.httpSession.update("counter", default: 0) { $0 += 1 }
                return "\(count)"
            }
            app.post("login") { request async throws -> String in
                // Once the password is checked: after the route, the user is stored and the key renewed.
                try await request.httpSession.logIn(userID: "ada", userType: "user")
                return "welcome"
            }
            app.post("logout") { request async throws -> String in
                try await request.httpSession.logOut()  // deleted server-side, cookie removed
                return "bye"
            }
            // README: end
            let first = try await app.testing().sendRequest(.GET, "counter")
            #expect(first.body.string == "1")
            let anonymous = try #require(Self.cookie(of: first))
            let second = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": anonymous])
            #expect(second.body.string == "2")
            let login = try await app.testing().sendRequest(.POST, "login", headers: ["Cookie": anonymous])
            #expect(login.body.string == "welcome")
            let loggedIn = try #require(Self.cookie(of: login))
            #expect(loggedIn != anonymous, "login moved the session to a new key")
            let third = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": loggedIn])
            #expect(third.body.string == "3", "the count moved with it")
            let logout = try await app.testing().sendRequest(.POST, "logout", headers: ["Cookie": loggedIn])
            #expect(logout.body.string == "bye")
            #expect(logout.headers[.setCookie].first?.contains("Max-Age=0") == true)
            let stale = try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": loggedIn])
            #expect(stale.status == .conflict, "the logged-out key's write is dropped while its tombstone lasts")
            let fresh = try await app.testing().sendRequest(.GET, "counter")
            #expect(fresh.body.string == "1", "a browser that dropped the removed cookie starts anew")
        }
    }

    @Test("the synchronous routes of the Vapor article count without await")
    func synchronousRoutes() async throws {
        let secrets = SessionSecrets(current: .generate())
        try await withApp { app in
            app.middleware.use(HTTPSessionMiddleware(store: MemorySessionStore(), secrets: secrets))
            // README: Vapor synchronous routes
            let loaded = app.grouped(HTTPSessionLoadingMiddleware())
            loaded.get("counter") { request throws -> String in
                let count = try request.loadedHTTPSession.update("counter", default: 0) { $0 += 1 }
                return "\(count)"
            }
            // README: end
            let first = try await app.testing().sendRequest(.GET, "counter")
            #expect(first.body.string == "1")
            let cookie = try #require(Self.cookie(of: first))
            #expect(try await app.testing().sendRequest(.GET, "counter", headers: ["Cookie": cookie]).body.string == "2")
        }
    }

    /// Compiled, never called: the test drives the application in memory.
    static func run(_ app: Application) async throws {
        // README: Vapor quickstart, run
        do {
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        // README: end
    }

    @Test("README and the Vapor article show the code these tests run, whole")
    func theDocumentsShowTheCodeTheseTestsRun() throws {
        let block = try ReadmeRecipe.block(
            Self.imports,
            regions: ["Vapor quickstart, start", "Vapor quickstart, routes", "Vapor quickstart, run"],
            inFile: #filePath
        )
        #expect(try ReadmeRecipe.readme().contains(block))
        let article = try ReadmeRecipe.article("UsingVapor")
        #expect(article.contains(try ReadmeRecipe.block("", regions: ["Vapor synchronous routes"], inFile: #filePath)))
    }
}
