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

/// The hummingbird-auth recipe of the article "Using Hummingbird", kept compiling and working: the password checked once by
/// hummingbird-auth at login, every later request authenticated from our session, a logout that ends it.
@Suite(.tags(.hummingbird)) struct HummingbirdAuthRecipeTests {
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
                try await context.httpSession.logIn(userID: user.name, as: User.self)  // after the route: stored, key renewed
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
            try await context.httpSession.logIn(userID: 42, as: User.self)  // an older version stored a number
            return "ok"
        }
        router.post("ghost-login") { _, context -> String in
            try await context.httpSession.logIn(userID: "grace", as: User.self)  // a user deleted since
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

    /// Defect 2 of the login-table issue: the middleware committed a login on any thrown error response.
    @Test(arguments: [true, false])
    func aLoginTheRouteRejectsLogsNobodyIn(thrown: Bool) async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Self.router(engine: engine, users: Self.users)
        router.post("locked-login") { _, context -> Response in
            try await context.httpSession.logIn(userID: "ada", as: User.self)
            try await context.httpSession.insert("note", "written")
            if thrown { throw HTTPError(.forbidden, message: "account locked") }
            return Response(status: .forbidden)
        }
        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            let locked = try await browser.send(.post, "/locked-login", client: demo)
            #expect(locked.status == .forbidden)
            #expect(try await browser.send(.get, "/account/me", client: demo).status == .unauthorized, "nobody is logged in")
        }
    }

    /// Defect 4: sending the password again renews the session.
    @Test func aPasswordSentAgainRenewsTheSession() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        try await Application(router: Self.router(engine: engine, users: Self.users)).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            try await browser.send(.post, "/login", headers: Self.basic("ada", "correct horse"), client: demo)
            let first = try #require(browser.cookie)
            let unchecked = try await browser.send(.post, "/login", client: demo)
            #expect(unchecked.status == .unauthorized)
            #expect(unchecked.setCookies.isEmpty, "no password: no renew, no new absolute-timeout window")
            try await browser.send(.post, "/login", headers: Self.basic("ada", "correct horse"), client: demo)
            let second = try #require(browser.cookie)
            #expect(second != first, "a new key")
            #expect(try await browser.send(.get, "/account/me", client: demo).body == "ada")
            browser.cookie = first
            #expect(try await browser.send(.get, "/account/me", client: demo).status == .unauthorized, "the old key is dead")
        }
    }

    /// Defect 6: two repositories keyed by integers: customer 7 must not authenticate as administrator 7.
    @Test func twoRepositoriesWithOverlappingIdsNeverAuthenticateEachOthersUsers() async throws {
        struct Customer: Sendable { let id: Int }
        struct Admin: Sendable { let id: Int }
        struct CustomerContext: AuthRequestContext, HTTPSessionRequestContext {
            var coreContext: CoreRequestContextStorage
            var identity: Customer?
            var httpSession: HTTPSession = .unattached
            init(source: Source) { self.coreContext = .init(source: source) }
        }
        struct AdminContext: ChildRequestContext, AuthRequestContext, HTTPSessionRequestContext {
            var coreContext: CoreRequestContextStorage
            var identity: Admin?
            var httpSession: HTTPSession
            init(context: CustomerContext) throws {
                self.coreContext = context.coreContext
                self.httpSession = context.httpSession
            }
        }
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: CustomerContext.self)
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        router.post("customer-login") { _, context -> String in
            try await context.httpSession.logIn(userID: 7, as: Customer.self)
            return "ok"
        }
        router.group("shop").add(middleware: HTTPSessionAuthenticator { (id: Int, _) in Customer(id: id) })
            .get { _, context -> String in "customer \(try context.requireIdentity().id)" }
        router.group("admin", context: AdminContext.self).add(middleware: HTTPSessionAuthenticator { (id: Int, _) in Admin(id: id) })
            .get { _, context -> String in "admin \(try context.requireIdentity().id)" }
        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            try await browser.send(.post, "/customer-login", client: demo)
            #expect(try await browser.send(.get, "/shop", client: demo).body == "customer 7")
            #expect(try await browser.send(.get, "/admin", client: demo).status == .unauthorized, "customer 7 is not admin 7")
        }
    }

    /// Defect 6: hummingbird-auth lets the last authenticator win; ours keeps the identity an earlier one
    /// set, so a session planted in the browser never overrides the password the request carries.
    @Test func thePasswordWinsOverAPlantedSession() async throws {
        let users = Self.users.merging(["mallory": User(name: "mallory", passwordHash: nil)]) { first, _ in first }
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: AppContext.self)
        router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
        router.post("planted") { _, context -> String in
            try await context.httpSession.logIn(userID: "mallory", as: User.self)
            return "ok"
        }
        router.group("login")
            .add(middleware: BasicAuthenticator { name, _ in users[name] })
            .add(middleware: HTTPSessionAuthenticator { (name: String, _) in users[name] })
            .post { _, context -> String in try context.requireIdentity().name }
        router.group("account")
            .add(middleware: HTTPSessionAuthenticator { (name: String, _) in users[name] })
            .get("me") { _, context -> String in try context.requireIdentity().name }
        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser()
            let demo = DemoClient(hummingbird: client)
            try await browser.send(.post, "/planted", client: demo)
            let login = try await browser.send(.post, "/login", headers: Self.basic("ada", "correct horse"), client: demo)
            #expect(login.body == "ada", "the password's user, not the planted session's")
        }
    }

    @Test func theReadmeShowsThisRecipe() throws {
        let readme = try ReadmeRecipe.article("UsingHummingbird")
        for region in ["hummingbird-auth recipe, types", "hummingbird-auth recipe, routes"] {
            #expect(
                readme.contains(try ReadmeRecipe.region(region, inFile: #filePath)),
                "the article UsingHummingbird shows '\(region)' as this test runs it")
        }
    }
}
