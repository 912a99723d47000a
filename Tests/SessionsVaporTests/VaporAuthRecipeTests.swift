import Foundation
import Sessions
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

// README: Vapor auth recipe, types
struct Account: SessionAuthenticatable {
    let name: String
    let passwordHash: String
    var sessionID: String { name }
}

/// Every later request: the user whose id the session holds.
struct AccountSessionAuthenticator: AsyncHTTPSessionAuthenticator {
    typealias User = Account
    let users: [String: Account]
    func authenticate(sessionID: String, for request: Request) async throws {
        if let user = users[sessionID] { request.auth.login(user) }
    }
}

/// The login request: the password, checked once.
struct AccountPasswordAuthenticator: AsyncBasicAuthenticator {
    let users: [String: Account]
    func authenticate(basic: BasicAuthorization, for request: Request) async throws {
        if let user = users[basic.username], try Bcrypt.verify(basic.password, created: user.passwordHash) {
            request.auth.login(user)
        }
    }
}
// README: end

/// The Vapor authentication recipe of the article "Using Vapor", kept compiling and working: `req.auth.require(Account.self)` for a
/// user logged in through our session, the password checked once, a logout that ends the session.
@Suite(.tags(.vapor)) struct VaporAuthRecipeTests {
    static let accountType = AccountSessionAuthenticator(users: [:]).userType
    static let users = ["ada": Account(name: "ada", passwordHash: try! Bcrypt.hash("correct horse", cost: 4))]

    static func routes(_ app: Application, engine: SessionEngine, users: [String: Account]) {
        // README: Vapor auth recipe, routes
        app.middleware.use(HTTPSessionMiddleware(engine: engine))
        // The login route runs the password authenticator alone: the user it finds was checked now.
        app.grouped(AccountPasswordAuthenticator(users: users)).post("login") { request async throws -> String in
            let account = try request.auth.require(Account.self)
            try await request.httpSession.logIn(userID: account.sessionID, as: Account.self)  // renews, after the route
            return "welcome, \(account.name)"
        }
        // Every other route: the user the session holds.
        let sessions = app.grouped(AccountSessionAuthenticator(users: users))
        sessions.grouped(Account.guardMiddleware()).get("me") { request -> String in
            try request.auth.require(Account.self).name
        }
        app.post("logout") { request async throws -> String in
            try await request.httpSession.logOut()  // in any route: deleted server-side, cookie removed
            return "bye"
        }
        // README: end
    }

    static func basic(_ user: String, _ password: String) -> HTTPHeaders {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    static func cookie(of response: TestingHTTPResponse) -> String? {
        response.headers[.setCookie].compactMap { value -> String? in
            let pair = value.prefix { $0 != ";" }
            guard pair.hasPrefix("id=") else { return nil }
            return String(pair.dropFirst(3))
        }.last
    }

    /// `POST /ghost` stores a cart and the id of an account deleted since; `GET /stored`, outside the
    /// authenticator so that what it left in the store is what is read, answers "<id> <cart> <note>".
    static func ghostAndStoredRoutes(_ app: Application) {
        app.post("ghost") { request async throws -> String in
            try await request.httpSession.insert("cart", ["tea"])
            try await request.httpSession.logIn(userID: "grace", userType: Self.accountType)
            return "ok"
        }
        app.get("stored") { request async throws -> String in
            let id = try await request.httpSession.principal()?.userID
            let cart = try await request.httpSession.get("cart", as: [String].self) ?? []
            let note = try await request.httpSession.get("note", as: String.self) ?? "none"
            return "\(id.map { "\($0)" } ?? "none") \(cart) \(note)"
        }
    }

    @Test func logInReachAGuardedRouteAndLogOut() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            #expect(try await app.testing().sendRequest(.GET, "me").status == .unauthorized)

            let wrong = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "wrong"))
            #expect(wrong.status == .unauthorized)
            #expect(Self.cookie(of: wrong) == nil, "a failed login starts no session")

            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            #expect(login.body.string == "welcome, ada")
            let cookie = try #require(Self.cookie(of: login))
            let me = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"])
            #expect(me.status == .ok)
            #expect(me.body.string == "ada", "authenticated from the session, without a password")

            let logout = try await app.testing().sendRequest(.POST, "logout", headers: ["Cookie": "id=\(cookie)"])
            #expect(logout.body.string == "bye")
            #expect(Self.cookie(of: logout) == "", "the cookie is removed")
            let after = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"])
            #expect(after.status == .unauthorized, "the logged-out key is dead")
        }
    }

    /// The recipe's routes on a memory store, and `POST /visit`, which starts an anonymous session: returns
    /// that session's cookie value.
    static func anonymousVisit(_ app: Application) async throws -> String {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        Self.routes(app, engine: engine, users: Self.users)
        app.post("visit") { request async throws -> String in
            try await request.httpSession.insert("visited", true)
            return "ok"
        }
        return try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "visit")))
    }

    @Test("a logout from a tab whose key another tab's login renewed ends that login")
    func aLogoutThroughARenewedKeyEndsTheLogin() async throws {
        try await withApp { app in
            let anonymous = try await Self.anonymousVisit(app)
            let headers = Self.basic("ada", "correct horse").adding(["Cookie": "id=\(anonymous)"])
            let login = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "login", headers: headers)))
            // The other tab still holds the pre-login key: the authenticator finds nobody there.
            let logout = try await app.testing().sendRequest(.POST, "logout", headers: ["Cookie": "id=\(anonymous)"])
            #expect(logout.body.string == "bye")
            #expect(Self.cookie(of: logout) == "", "the cookie is removed")
            let me = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(login)"])
            #expect(me.status == .unauthorized, "the login the other tab made is over")
        }
    }

    /// Defect 4 of the login-table issue: a password sent again renewed nothing. It renews now, and a
    /// request to the login route without the password, or with a wrong one, renews nothing.
    @Test func aPasswordSentAgainRenewsTheSessionAndNothingElseDoes() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            let first = try #require(
                Self.cookie(of: try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))))
            for headers in [["Cookie": "id=\(first)"], Self.basic("ada", "wrong").adding(["Cookie": "id=\(first)"])] as [HTTPHeaders] {
                let unchecked = try await app.testing().sendRequest(.POST, "login", headers: headers)
                #expect(unchecked.status == .unauthorized)
                #expect(unchecked.headers[.setCookie].isEmpty, "no credentials checked: no renew, no new absolute-timeout window")
            }
            let again = try await app.testing().sendRequest(
                .POST, "login", headers: Self.basic("ada", "correct horse").adding(["Cookie": "id=\(first)"]))
            let second = try #require(Self.cookie(of: again))
            #expect(!second.isEmpty && second != first, "a new key")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(second)"]).body.string == "ada")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(first)"]).status == .unauthorized)
        }
    }

    @Test func aLoginRenewsTheKeyAndKillsThePreLoginOne() async throws {
        try await withApp { app in
            let anonymous = try await Self.anonymousVisit(app)
            let login = try await app.testing().sendRequest(
                .POST, "login", headers: Self.basic("ada", "correct horse").adding(["Cookie": "id=\(anonymous)"]))
            let loggedIn = try #require(Self.cookie(of: login))
            #expect(loggedIn != anonymous)
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(anonymous)"]).status == .unauthorized)
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(loggedIn)"]).status == .ok)
        }
    }

    @Test func anIdOfAnotherTypeOrAnUnknownUserIsNoUserNotAnError() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.post("old-login") { request async throws -> String in
                try await request.httpSession.logIn(userID: 42, userType: Self.accountType)  // no account has a number
                return "ok"
            }
            app.post("ghost-login") { request async throws -> String in
                try await request.httpSession.logIn(userID: "grace", userType: Self.accountType)  // a user deleted since
                return "ok"
            }
            for route in ["old-login", "ghost-login"] {
                let cookie = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, .init(stringLiteral: route))))
                let me = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"])
                #expect(me.status == .unauthorized, "\(route)")
            }
        }
    }

    @Test func twoUserTypesNeverReadEachOthersIds() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            // An administrator named "ada" too: the account's session must not make its holder this admin.
            let admins = app.grouped(AccountSessionAuthenticator(users: Self.users), AdminSessionAuthenticator(admins: ["ada": Admin(name: "ada")]))
            admins.get("admin") { request -> String in
                let admin = request.auth.get(Admin.self)?.name ?? "nobody"
                let account = request.auth.get(Account.self)?.name ?? "nobody"
                return "\(admin) \(account)"
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let admin = try await app.testing().sendRequest(.GET, "admin", headers: ["Cookie": "id=\(cookie)"])
            #expect(admin.body.string == "nobody ada", "the account's id is not an admin's")
            #expect(Self.cookie(of: admin) == nil, "the admin authenticator found nothing and changed nothing")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).body.string == "ada")
        }
    }

    @Test func aUserAnEarlierMiddlewareAuthenticatedStartsNoSession() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            app.middleware.use(HTTPSessionMiddleware(engine: engine))
            let users = Self.users.merging(["grace": Account(name: "grace", passwordHash: "")]) { first, _ in first }
            let api = app.grouped(AccountTokenAuthenticator(users: users), AccountSessionAuthenticator(users: users))
            api.get("api", "me") { request -> String in try request.auth.require(Account.self).name }
            let reply = try await app.testing().sendRequest(.GET, "api/me", headers: ["Authorization": "Bearer ada"])
            #expect(reply.body.string == "ada")
            #expect(reply.headers[.setCookie].isEmpty, "a token-authenticated request starts no session")

            // The token's user wins over the session's, which is left as it was.
            app.post("grace-login") { request async throws -> String in
                try await request.httpSession.logIn(userID: "grace", userType: Self.accountType)
                return "ok"
            }
            let grace = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "grace-login")))
            let both = try await app.testing().sendRequest(.GET, "api/me", headers: ["Authorization": "Bearer ada", "Cookie": "id=\(grace)"])
            #expect(both.body.string == "ada", "the session's user does not replace the token's")
            #expect(both.headers[.setCookie].isEmpty, "the session is neither read into request.auth nor written")
        }
    }

    @Test func aLogoutFollowedByARedirectStillEndsTheSession() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("logout-and-redirect") { request -> String in
                request.auth.logout(Account.self)
                throw Abort.redirect(to: "/")
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let logout = try await app.testing().sendRequest(.POST, "logout-and-redirect", headers: ["Cookie": "id=\(cookie)"])
            #expect(logout.status == .seeOther)
            #expect(Self.cookie(of: logout) == "", "the cookie is removed on the redirect")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).status == .unauthorized)
        }
    }

    @Test func anIdThatNamesNoUserAuthenticatesNobodyAndItsValuesNeverReachTheNextLogin() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            Self.ghostAndStoredRoutes(app)
            app.post("unreadable") { request async throws -> String in
                try await request.httpSession.insert("cart", ["tea"])
                try await request.httpSession.load().insertUnchecked(HTTPSession.principalEntry, true)  // no principal at all
                return "ok"
            }
            let sessions = app.grouped(AccountSessionAuthenticator(users: Self.users))
            sessions.get("whoami") { request -> String in request.auth.get(Account.self)?.name ?? "nobody" }
            for route in ["ghost", "unreadable"] {
                let cookie = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, .init(stringLiteral: route))))
                let whoami = try await app.testing().sendRequest(.GET, "whoami", headers: ["Cookie": "id=\(cookie)"])
                #expect(whoami.status == .ok, "\(route): no user is no error")
                #expect(whoami.body.string == "nobody", "\(route)")
                let login = try await app.testing().sendRequest(
                    .POST, "login", headers: Self.basic("ada", "correct horse").adding(["Cookie": "id=\(cookie)"]))
                let loggedIn = try #require(Self.cookie(of: login))
                let stored = try await app.testing().sendRequest(.GET, "stored", headers: ["Cookie": "id=\(loggedIn)"])
                #expect(stored.body.string.hasSuffix(" [] none"), "\(route): the gone user's cart is not ada's")
                #expect(stored.body.string != "none [] none", "\(route): ada is logged in")
            }
        }
    }

    @Test func aRouteBehindAnIdThatNamesNoUserRunsAsAnonymousAndKeepsWhatItWrites() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            Self.ghostAndStoredRoutes(app)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("note") { request async throws -> String in
                try await request.httpSession.insert("note", "written after the dead id")
                return request.auth.get(Account.self)?.name ?? "nobody"
            }
            let ghost = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "ghost")))
            let note = try await app.testing().sendRequest(.POST, "note", headers: ["Cookie": "id=\(ghost)"])
            #expect(note.body.string == "nobody")
            let cookie = Self.cookie(of: note) ?? ghost
            let stored = try await app.testing().sendRequest(.GET, "stored", headers: ["Cookie": "id=\(cookie)"])
            #expect(stored.body.string.hasSuffix(" written after the dead id"), "the route's write is kept")
        }
    }

    @Test func anIdThatNamesNoAdminLeavesAnAccountLoginOfTheSameRequest() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.post("ghost-admin") { request async throws -> String in
                try await request.httpSession.logIn(userID: "root", as: Admin.self)  // an admin removed since
                return "ok"
            }
            app.grouped(
                AdminSessionAuthenticator(admins: [:]), AccountSessionAuthenticator(users: Self.users),
                AccountPasswordAuthenticator(users: Self.users)
            ).post("office-login") { request -> String in
                try request.auth.require(Account.self).name
            }
            let ghost = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "ghost-admin")))
            let login = try await app.testing().sendRequest(
                .POST, "office-login", headers: Self.basic("ada", "correct horse").adding(["Cookie": "id=\(ghost)"]))
            #expect(login.body.string == "ada")
            let cookie = try #require(Self.cookie(of: login))
            #expect(cookie != ghost && !cookie.isEmpty, "the login moved the session to a new key")
            let me = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"])
            #expect(me.body.string == "ada", "the dead admin id did not take the account's login with it")
        }
    }

    @Test func aRouteThatRejectsALoginWithAnErrorLogsNobodyIn() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            // The password is right, but the route wants a second factor it did not get.
            app.grouped(AccountSessionAuthenticator(users: Self.users), AccountPasswordAuthenticator(users: Self.users))
                .post("login-second-factor") { request -> String in
                    _ = try request.auth.require(Account.self)
                    throw Abort(.unauthorized, reason: "second factor required")
                }
            let rejected = try await app.testing().sendRequest(.POST, "login-second-factor", headers: Self.basic("ada", "correct horse"))
            #expect(rejected.status == .unauthorized)
            #expect(rejected.headers[.setCookie].isEmpty, "the password alone started no session")
        }
    }

    @Test func aLoginAnsweredWithAnErrorResponseLogsNobodyIn() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users), AccountPasswordAuthenticator(users: Self.users))
                .post("login-locked") { request -> Response in
                    _ = try request.auth.require(Account.self)
                    return Response(status: .forbidden, body: "account locked")  // returned, not thrown
                }
            let rejected = try await app.testing().sendRequest(.POST, "login-locked", headers: Self.basic("ada", "correct horse"))
            #expect(rejected.status == .forbidden)
            #expect(rejected.headers[.setCookie].isEmpty, "an error response starts no session")
        }
    }

    @Test func twoUserTypesOfOneNameInDifferentNamespacesAreTwoKinds() {
        #expect(Shop.SessionAuthenticator().userType != Office.SessionAuthenticator().userType)
        #expect(Shop.SessionAuthenticator().userType.hasSuffix("Shop.User"))
    }

    @Test func twoPrivateUserTypesOfOneNameInDifferentScopesAreTwoKinds() {
        #expect(Kitchen.userType != Garden.userType)
        #expect(Kitchen.userType == "SessionsVaporTests.Kitchen.(unknown context).User", "the same in every launch: no load address")
        #expect(Garden.userType == "SessionsVaporTests.Garden.(unknown context).User")
    }

    @Test func aLocalUserTypeNeverTakesTheKindOfAModuleLevelTypeOfItsName() {
        #expect(AdminSessionAuthenticator(admins: [:]).userType == "SessionsVaporTests.Admin")
        #expect(localAdminType() != AdminSessionAuthenticator(admins: [:]).userType)
    }

    @Test(arguments: [
        ("App.User", "App.User"),
        ("App.Shop.(unknown context at $55f47cf279c0).User", "App.Shop.(unknown context).User"),
        ("App.(unknown context at $1a).(unknown context at $2b).User", "App.(unknown context).(unknown context).User"),
        ("App.G<App.(unknown context at $3c).P>.(unknown context at $4d).User", "App.G<App.(unknown context).P>.(unknown context).User"),
        ("App.(unknown context at $5e", "App.(unknown context at $5e"),  // unterminated: kept whole, never cut short
    ])
    func aReflectedNameLosesOnlyItsLoadAddresses(reflected: String, stable: String) {
        #expect(SessionPrincipal.stableName(of: reflected) == stable)
    }

    @Test func aLoginFollowedByAThrownRedirectLogsTheUserIn() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users), AccountPasswordAuthenticator(users: Self.users))
                .post("login-and-redirect") { request -> String in
                    _ = try request.auth.require(Account.self)
                    throw Abort.redirect(to: "/me")
                }
            let login = try await app.testing().sendRequest(.POST, "login-and-redirect", headers: Self.basic("ada", "correct horse"))
            #expect(login.status == .seeOther)
            let cookie = try #require(Self.cookie(of: login), "the redirect carries the session's cookie")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).body.string == "ada")
        }
    }

    /// Defect 3 of the login-table issue: a planted session of one user type kept its login through the
    /// victim's login of another type (`customer=mallory staff=victim`).
    @Test func aLoginOfOneUserTypeEndsAnotherTypesLogin() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            let admins = ["grace": Admin(name: "grace")]
            let group = app.grouped(AccountSessionAuthenticator(users: Self.users), AdminSessionAuthenticator(admins: admins))
            group.post("admin-login") { request -> String in
                request.auth.login(admins["grace"]!)  // say, after checking grace's password
                return "welcome"
            }
            group.get("office") { request -> String in
                "\(request.auth.get(Account.self)?.name ?? "nobody") \(request.auth.get(Admin.self)?.name ?? "nobody")"
            }
            let planted = try #require(
                Self.cookie(of: try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))))
            let login = try await app.testing().sendRequest(.POST, "admin-login", headers: ["Cookie": "id=\(planted)"])
            #expect(login.body.string == "welcome")
            let cookie = try #require(Self.cookie(of: login))
            #expect(!cookie.isEmpty && cookie != planted, "the admin's login moved the session to a new key")
            let office = try await app.testing().sendRequest(.GET, "office", headers: ["Cookie": "id=\(cookie)"])
            #expect(office.body.string == "nobody grace", "one principal a session: ada's login ended with grace's")
        }
    }

    @Test func aRouteThatClearsTheSessionOfItsUserThenFailsLeavesItAsItWas() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("reset-fails") { request async throws -> String in
                try await request.httpSession.clear()
                throw CancellationError()  // not an AbortError: the clear is not committed
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let failed = try await app.testing().sendRequest(.POST, "reset-fails", headers: ["Cookie": "id=\(cookie)"])
            #expect(failed.status == .internalServerError)
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).body.string == "ada")
        }
    }

    @Test func aRouteThatClearsTheSessionOfItsUserLogsThemOutWithoutANewLogin() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("reset") { request async throws -> String in
                try await request.httpSession.clear()
                try await request.httpSession.insert("theme", "dark")
                return "reset"
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let reset = try await app.testing().sendRequest(.POST, "reset", headers: ["Cookie": "id=\(cookie)"])
            #expect(reset.body.string == "reset")
            #expect(Self.cookie(of: reset) == nil, "not a new login: no renew")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).status == .unauthorized)
        }
    }

    @Test func aLogoutThenALoginTheRouteRejectsEndsTheFirstUsersSession() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("switch") { request -> String in
                request.auth.logout(Account.self)
                request.auth.login(Account(name: "bob", passwordHash: ""))
                throw Abort(.forbidden, reason: "bob's second factor is missing")
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let switched = try await app.testing().sendRequest(.POST, "switch", headers: ["Cookie": "id=\(cookie)"])
            #expect(switched.status == .forbidden)
            #expect(Self.cookie(of: switched) == "", "ada's session ended")
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).status == .unauthorized)
        }
    }

    @Test func aLoginFollowedByAnotherErrorLogsNobodyInAndKeepsTheAnonymousSession() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.post("cart") { request async throws -> String in
                try await request.httpSession.insert("cart", ["tea"])
                return "ok"
            }
            app.get("cart") { request async throws -> String in
                (try await request.httpSession.get("cart", as: [String].self) ?? []).joined()
            }
            app.grouped(AccountSessionAuthenticator(users: Self.users), AccountPasswordAuthenticator(users: Self.users))
                .post("login-fails") { request -> String in
                    _ = try request.auth.require(Account.self)
                    throw CancellationError()  // not an AbortError: not an answer
                }
            let anonymous = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "cart")))
            let failed = try await app.testing().sendRequest(
                .POST, "login-fails", headers: Self.basic("ada", "correct horse").adding(["Cookie": "id=\(anonymous)"]))
            #expect(failed.status == .internalServerError)
            let cart = try await app.testing().sendRequest(.GET, "cart", headers: ["Cookie": "id=\(anonymous)"])
            #expect(cart.body.string == "tea", "nobody logged in: the anonymous session was not renewed away")
        }
    }

    @Test func aLogoutFollowedByAnotherErrorStillEndsTheSession() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            app.grouped(AccountSessionAuthenticator(users: Self.users)).post("logout-fails") { request -> String in
                request.auth.logout(Account.self)
                throw CancellationError()
            }
            let login = try await app.testing().sendRequest(.POST, "login", headers: Self.basic("ada", "correct horse"))
            let cookie = try #require(Self.cookie(of: login))
            let failed = try await app.testing().sendRequest(.POST, "logout-fails", headers: ["Cookie": "id=\(cookie)"])
            #expect(failed.status == .internalServerError)
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).status == .unauthorized)
        }
    }

    @Test func aLogoutOfOneUserTypeAndALoginOfAnotherEndWithNobodyLoggedIn() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            Self.routes(app, engine: engine, users: Self.users)
            let admins = ["root": Admin(name: "root")]
            app.post("admin-login") { request async throws -> String in
                try await request.httpSession.logIn(userID: "root", as: Admin.self)
                return "ok"
            }
            app.grouped(AdminSessionAuthenticator(admins: admins), AccountSessionAuthenticator(users: Self.users))
                .post("become-ada") { request -> String in
                    request.auth.logout(Admin.self)
                    request.auth.login(Self.users["ada"]!)
                    return "welcome"
                }
            let cookie = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "admin-login")))
            let become = try await app.testing().sendRequest(.POST, "become-ada", headers: ["Cookie": "id=\(cookie)"])
            #expect(become.body.string == "welcome")
            #expect(Self.cookie(of: become) == "", "the logout ends the whole session, the account's login with it")
            let after = Self.cookie(of: become).flatMap { $0.isEmpty ? nil : $0 } ?? cookie
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(after)"]).status == .unauthorized)
        }
    }

    @Test func theReadmeShowsThisRecipe() throws {
        let readme = try ReadmeRecipe.article("UsingVapor")
        for region in ["Vapor auth recipe, types", "Vapor auth recipe, routes"] {
            #expect(
                readme.contains(try ReadmeRecipe.region(region, inFile: #filePath)), "the article UsingVapor shows '\(region)' as this test runs it")
        }
    }
}

extension HTTPHeaders {
    func adding(_ other: HTTPHeaders) -> HTTPHeaders {
        var headers = self
        for (name, value) in other { headers.add(name: name, value: value) }
        return headers
    }
}

struct Admin: SessionAuthenticatable {
    let name: String
    var sessionID: String { name }
}

struct AdminSessionAuthenticator: AsyncHTTPSessionAuthenticator {
    typealias User = Admin
    let admins: [String: Admin]
    func authenticate(sessionID: String, for request: Request) async throws {
        if let admin = admins[sessionID] { request.auth.login(admin) }
    }
}

/// An API token: the bearer token is the account's name (a test, not a token scheme).
struct AccountTokenAuthenticator: AsyncBearerAuthenticator {
    let users: [String: Account]
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        if let user = users[bearer.token] { request.auth.login(user) }
    }
}

enum Shop {
    struct User: SessionAuthenticatable {
        var sessionID: String { "" }
    }
    struct SessionAuthenticator: AsyncHTTPSessionAuthenticator {
        typealias User = Shop.User
        func authenticate(sessionID: String, for request: Request) async throws {}
    }
}

enum Office {
    struct User: SessionAuthenticatable {
        var sessionID: String { "" }
    }
    struct SessionAuthenticator: AsyncHTTPSessionAuthenticator {
        typealias User = Office.User
        func authenticate(sessionID: String, for request: Request) async throws {}
    }
}

enum Kitchen {
    private struct User: SessionAuthenticatable {
        var sessionID: String { "" }
    }
    private struct SessionAuthenticator: AsyncHTTPSessionAuthenticator {
        typealias User = Kitchen.User
        func authenticate(sessionID: String, for request: Request) async throws {}
    }
    static var userType: String { SessionAuthenticator().userType }
}

enum Garden {
    private struct User: SessionAuthenticatable {
        var sessionID: String { "" }
    }
    private struct SessionAuthenticator: AsyncHTTPSessionAuthenticator {
        typealias User = Garden.User
        func authenticate(sessionID: String, for request: Request) async throws {}
    }
    static var userType: String { SessionAuthenticator().userType }
}

/// The kind of an `Admin` type local to a free function, which shadows the module's `Admin`.
func localAdminType() -> String {
    struct Admin: SessionAuthenticatable {
        var sessionID: String { "" }
    }
    struct SessionAuthenticator: AsyncHTTPSessionAuthenticator {
        typealias User = Admin
        func authenticate(sessionID: String, for request: Request) async throws {}
    }
    return SessionAuthenticator().userType
}
