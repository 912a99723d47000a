import HTTPTypes
import Sessions
import TestSupport
import Testing

/// Overlapping requests of one browser against the demo, through both frameworks and every server-side
/// store, in an order the test chooses by holding a store call (``StoreHolds``): "logout is final", and
/// the stale-cookie rule.
@Suite struct DemoRaceTests {
    typealias Framework = DemoRouteTests.Framework
    typealias StoreKind = DemoRouteTests.StoreKind

    static let serverSide: [StoreKind] = [.memory, .sqlite, .postgres, .redis]

    /// A browser tab that shares `cookie` but keeps what it is sent to itself.
    static func tab(_ cookie: String?) -> TestBrowser {
        let tab = TestBrowser()
        tab.cookie = cookie
        return tab
    }

    @Test(arguments: Framework.allCases, serverSide)
    func aLoginRacingALogoutNeverBringsTheSessionBack(framework: Framework, kind: StoreKind) async throws {
        let holds = StoreHolds()
        try await DemoRouteTests.withDemo(framework, kind, holds: holds) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let cookie = try #require(browser.cookie)
            // The slow login loads the session, then waits (a password check); the logout lands meanwhile.
            let renew = holds.holdNext(.renew)
            async let slowLogin = Self.tab(cookie).send(.post, "/login?delay_ms=1", body: #"{"user_id":"mallory"}"#, client: client)
            await renew.arrived()
            let logout = try await Self.tab(cookie).send(.post, "/logout", client: client)
            #expect(logout.body == "Logged out: ada")
            renew.release()
            let login = try await slowLogin
            #expect(login.status == .conflict, "the renew found the session logged out: the login did not happen, and says so")
            #expect(login.setCookies.isEmpty, "no new key, no cookie")
            #expect(try await Self.tab(cookie).send(.get, "/", client: client).body == #"{"counter":0,"user_id":null}"#)
        }
    }

    @Test(arguments: Framework.allCases, serverSide)
    func aLogoutThatLoadedBeforeALoginStillLogsOut(framework: Framework, kind: StoreKind) async throws {
        let holds = StoreHolds()
        try await DemoRouteTests.withDemo(framework, kind, holds: holds) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let cookie = try #require(browser.cookie)
            // The logout loads the session and is held at its purge; a second login lands meanwhile.
            let purge = holds.holdNext(.purge)
            async let logout = Self.tab(cookie).send(.post, "/logout", client: client)
            await purge.arrived()
            let relogin = try await Self.tab(cookie).send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let renewed = try #require(relogin.setCookies.first.map { String($0.prefix { $0 != ";" }.dropFirst(3)) })
            purge.release()
            #expect(try await logout.body == "Logged out: ada")
            #expect(try await Self.tab(renewed).send(.get, "/read", client: client).body == "anonymous", "the logout followed the renew")
        }
    }

    @Test(arguments: Framework.allCases, serverSide)
    func aLogoutCarryingAKeyALoginAlreadyRenewedEndsThatLogin(framework: Framework, kind: StoreKind) async throws {
        try await DemoRouteTests.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let old = try #require(browser.cookie)
            // Tab A logs in again and gets the new key; tab B still sends the old one and logs out.
            let relogin = try await Self.tab(old).send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let renewed = try #require(relogin.setCookies.first.map { String($0.prefix { $0 != ";" }.dropFirst(3)) })
            let logout = try await Self.tab(old).send(.post, "/logout", client: client)
            #expect(logout.body == "Could not log out anonymous user", "the old key names no live session")
            #expect(logout.setCookies.first?.contains("Max-Age=0") == true, "the stale tab's cookie is removed")
            #expect(try await Self.tab(renewed).send(.get, "/read", client: client).body == "anonymous", "the logout reached the renewed session")
        }
    }

    @Test(arguments: Framework.allCases, serverSide)
    func aRequestWithThePreLoginCookieLeavesTheLoginAlone(framework: Framework, kind: StoreKind) async throws {
        let holds = StoreHolds()
        try await DemoRouteTests.withDemo(framework, kind, holds: holds) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.get, "/counter", client: client)
            let anonymous = try #require(browser.cookie)
            // A parallel fetch loaded the session before the login and writes after it.
            let update = holds.holdNext(.update)
            async let parallel = Self.tab(anonymous).send(.put, "/session/theme", body: #""dark""#, client: client)
            await update.arrived()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            let loggedIn = try #require(browser.cookie)
            update.release()
            let reply = try await parallel
            #expect(reply.status == .conflict, "its write was dropped, and the answer says so")
            #expect(reply.setCookies.isEmpty, "neither a removal cookie nor a new session's cookie")
            // One sent after the login with the old cookie finds the key's tombstone: its write is dropped too.
            let late = try await Self.tab(anonymous).send(.put, "/session/lang", body: #""en""#, client: client)
            #expect(late.status == .conflict)
            #expect(late.body.isEmpty)
            #expect(late.setCookies.isEmpty)
            #expect(browser.cookie == loggedIn)
            #expect(try await browser.send(.get, "/session", client: client).body == #"{"counter":1,"user_id":"ada"}"#)
        }
    }

    @Test(arguments: Framework.allCases, serverSide)
    func aLoginCarriesOverAWriteThatLandedBeforeIt(framework: Framework, kind: StoreKind) async throws {
        let holds = StoreHolds()
        try await DemoRouteTests.withDemo(framework, kind, holds: holds) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.get, "/counter", client: client)
            let anonymous = try #require(browser.cookie)
            let renew = holds.holdNext(.renew)
            async let login = browser.send(.post, "/login?delay_ms=1", body: #"{"user_id":"ada"}"#, client: client)
            await renew.arrived()
            try await Self.tab(anonymous).send(.put, "/session/cart", body: "3", client: client)
            renew.release()
            #expect(try await login.setCookies.count == 1)
            #expect(try await browser.send(.get, "/session", client: client).body == #"{"cart":3,"counter":1,"user_id":"ada"}"#)
        }
    }

    @Test(arguments: Framework.allCases)
    func aSlowLoginTakesTheSameDelaysAsTheSlowPut(framework: Framework) async throws {
        try await DemoRouteTests.withDemo(framework, .memory) { client async throws in
            for uri in ["/login?delay_ms=2001", "/login?delay_ms=-1", "/login?delay_ms=soon"] {
                let reply = try await TestBrowser().send(.post, uri, body: #"{"user_id":"ada"}"#, client: client)
                #expect(reply.status == .badRequest, "\(uri)")
                #expect(reply.setCookies.isEmpty)
            }
            let browser = TestBrowser()
            let slow = try await browser.send(.post, "/login?delay_ms=20", body: #"{"user_id":"ada"}"#, client: client)
            #expect(slow.body == #"{"counter":0,"user_id":"ada"}"#)
            #expect(try await browser.send(.get, "/read", client: client).body == "ada")
        }
    }

    /// `POST /logout?delay_ms=N` (the history checker's slow logout) takes the same delays as the slow login.
    @Test(arguments: Framework.allCases)
    func aSlowLogoutTakesTheSameDelaysAsTheSlowLogin(framework: Framework) async throws {
        try await DemoRouteTests.withDemo(framework, .memory) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            for uri in ["/logout?delay_ms=2001", "/logout?delay_ms=-1", "/logout?delay_ms=soon"] {
                let reply = try await browser.send(.post, uri, client: client)
                #expect(reply.status == .badRequest, "\(uri)")
                #expect(reply.setCookies.isEmpty)
            }
            #expect(try await browser.send(.get, "/read", client: client).body == "ada", "a refused logout purged nothing")
            #expect(try await browser.send(.post, "/logout?delay_ms=20", client: client).body == "Logged out: ada")
            #expect(try await browser.send(.get, "/read", client: client).body == "anonymous")
        }
    }

    /// An earlier deploy stored a user and a counter of other types: nobody is locked out.
    @Test(arguments: Framework.allCases, DemoRouteTests.StoreKind.allCases)
    func aValueOfAnotherTypeLocksNobodyOut(framework: Framework, kind: StoreKind) async throws {
        try await DemoRouteTests.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.put, "/session/user_id", body: "42", client: client)
            try await browser.send(.put, "/session/counter", body: #""seven""#, client: client)
            #expect(try await browser.send(.get, "/", client: client).body == #"{"counter":0,"user_id":null}"#)
            #expect(try await browser.send(.get, "/read", client: client).body == "anonymous")
            #expect(try await browser.send(.get, "/protected/count", client: client).status == .unauthorized)
            #expect(try await browser.send(.post, "/do_something", client: client).body == #"{"counter":1,"user_id":null}"#)
            try await browser.send(.put, "/session/counter", body: #"[1]"#, client: client)
            #expect(try await browser.send(.get, "/counter", client: client).body == "1", "a counter of another type starts again")
            let logout = try await browser.send(.post, "/logout", client: client)
            #expect(logout.status == .ok)
            #expect(logout.body == "Logged out: 42")
            #expect(browser.cookie == nil, "logout purged whatever was stored")
            try await browser.send(.put, "/session/user_id", body: #"{"id":7}"#, client: client)
            let login = try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            #expect(login.status == .ok)
            #expect(login.body == #"{"counter":0,"user_id":"ada"}"#, "login replaced the user")
        }
    }

    @Test(arguments: Framework.allCases, DemoRouteTests.StoreKind.allCases)
    func aSessionOverItsSizeCapIs422(framework: Framework, kind: StoreKind) async throws {
        try await DemoRouteTests.withDemo(framework, kind) { client async throws in
            let browser = TestBrowser()
            try await browser.send(.put, "/session/a", body: "1", client: client)
            let cookie = browser.cookie
            let big = "\"" + String(repeating: "x", count: 70 * 1024) + "\""
            let reply = try await browser.send(.put, "/session/big", body: big, client: client)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.body.isEmpty)
            #expect(reply.setCookies.isEmpty)
            #expect(browser.cookie == cookie)
            #expect(try await browser.send(.get, "/session", client: client).body == #"{"a":1}"#, "nothing of the refused write was kept")
        }
    }
}
