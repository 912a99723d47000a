import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdBasicAuth
import HummingbirdBcrypt
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import SessionsHummingbirdAuth
import TestSupport
import Testing

// README: hummingbird-auth recipe, types
struct User: PasswordAuthenticatable {
    let name: String
    let passwordHash: String?
}

struct AppContext: AuthRequestContext, HTTPSessionRequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: User?
    var httpSession: HTTPSession = .unattached
    init(source: Source) { self.coreContext = .init(source: source) }
}
// README: end

/// README's hummingbird-auth recipe, kept compiling and working: the password checked once by
/// hummingbird-auth at login, every later request authenticated from our session, a logout that ends it.
@Suite struct HummingbirdAuthRecipeTests {
    static let users = ["ada": User(name: "ada", passwordHash: Bcrypt.hash("correct horse", cost: 4))]

    static func router(engine: SessionEngine, users: [String: User]) -> Router<AppContext> {
        // README: hummingbird-auth recipe, routes
        let router = Router(context: AppContext.self)
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        // The password is checked once, at login, by hummingbird-auth's basic authenticator...
        router.group("login")
            .add(middleware: BasicAuthenticator { name, _ in users[name] })
            .post { _, context -> String in
                let user = try context.requireIdentity()
                try await context.httpSession.logIn(userID: user.name)  // stores the id, renews the key
                return "welcome, \(user.name)"
            }
        // ...and every later request is authenticated from the session.
        router.group("account")
            .add(middleware: HTTPSessionAuthenticator { (name: String, _) in users[name] })
            .get("me") { _, context -> String in try context.requireIdentity().name }
        router.post("logout") { _, context -> String in
            try await context.httpSession.logOut()  // deleted server-side, cookie removed
            return "bye"
        }
        // README: end
        return router
    }

    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test func logInReachAGuardedRouteAndLogOut() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        try await Application(router: Self.router(engine: engine, users: Self.users)).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            let visitor = try await browser.send(.get, "/account/me", client: demo)
            #expect(visitor.status == .unauthorized)
            #expect(browser.cookie == nil, "a visitor's failed authentication starts no session")

            let wrong = try await browser.send(.post, "/login", headers: Self.basic("ada", "wrong"), client: demo)
            #expect(wrong.status == .unauthorized)
            #expect(browser.cookie == nil, "a failed login starts no session")

            let login = try await browser.send(.post, "/login", headers: Self.basic("ada", "correct horse"), client: demo)
            #expect(login.body == "welcome, ada")
            let loggedIn = try #require(browser.cookie)
            let me = try await browser.send(.get, "/account/me", client: demo)
            #expect(me.status == .ok)
            #expect(me.body == "ada", "authenticated from the session, without a password")

            #expect(try await browser.send(.post, "/logout", client: demo).body == "bye")
            #expect(browser.cookie == nil)
            browser.cookie = loggedIn
            #expect(try await browser.send(.get, "/account/me", client: demo).status == .unauthorized, "the logged-out key is dead")
        }
    }

    @Test func aLoginRenewsTheKeyAndKillsThePreLoginOne() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Self.router(engine: engine, users: Self.users)
        router.post("visit") { _, context -> String in
            try await context.httpSession.insert("visited", true)
            return "ok"
        }
        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            try await browser.send(.post, "/visit", client: demo)
            let anonymous = try #require(browser.cookie)
            try await browser.send(.post, "/login", headers: Self.basic("ada", "correct horse"), client: demo)
            #expect(browser.cookie != anonymous)
            browser.cookie = anonymous
            #expect(try await browser.send(.get, "/account/me", client: demo).status == .unauthorized)
        }
    }

    @Test func anIdOfAnotherTypeOrAnUnknownUserIsNoIdentityNotAnError() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Self.router(engine: engine, users: Self.users)
        router.post("old-login") { _, context -> String in
            try await context.httpSession.logIn(userID: 42)  // an older version stored a number
            return "ok"
        }
        router.post("ghost-login") { _, context -> String in
            try await context.httpSession.logIn(userID: "grace")  // a user deleted since
            return "ok"
        }
        try await Application(router: router).test(.router) { client in
            for route in ["/old-login", "/ghost-login"] {
                let browser = TestBrowser()
                let demo = DemoClient(hummingbird: client)
                try await browser.send(.post, route, client: demo)
                #expect(try await browser.send(.get, "/account/me", client: demo).status == .unauthorized, "\(route)")
            }
        }
    }

    @Test func theReadmeShowsThisRecipe() throws {
        let readme = try ReadmeRecipe.readme()
        for region in ["hummingbird-auth recipe, types", "hummingbird-auth recipe, routes"] {
            #expect(readme.contains(try ReadmeRecipe.region(region, inFile: #filePath)), "README shows '\(region)' as this test runs it")
        }
    }
}
