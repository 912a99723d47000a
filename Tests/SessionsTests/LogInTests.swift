import Sessions
import SessionsTesting
import Testing

/// `HTTPSession.logIn(userID:)` and `logOut()`: a login renews the key, starts a new absolute-timeout
/// window, and never carries another user's values over.
@Suite struct LogInTests {
    @Test(arguments: EngineDriver.allCases)
    func aLoginRenewsTheKeyAndKeepsAnAnonymousSessionsValues(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let anonymous = try await harness.login(["cart": ["tea"]])
        let login = try await harness.request(cookie: anonymous) { try await $0.logIn(userID: "ada") }
        let loggedIn = try #require(login.cookieValue)
        #expect(loggedIn != anonymous, "a new key")
        try await harness.request(cookie: loggedIn) { session in
            let user = try await session.get(HTTPSession.userIDEntry, as: String.self)
            let cart = try await session.get("cart", as: [String].self)
            #expect(user == "ada")
            #expect(cart == ["tea"], "an anonymous session's values carry over")
        }
        try await harness.request(cookie: anonymous) { session in
            let entries = try await session.entries()
            #expect(entries.isEmpty, "the pre-login key is dead")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aLoginOverAnotherUsersSessionCarriesNothingOfTheirsOver(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        // An attacker's own logged-in session, planted in the victim's browser, with a value of theirs.
        let planted = try await harness.login([HTTPSession.userIDEntry: "mallory", "return_to": "https://evil.example"])
        let login = try await harness.request(cookie: planted) { try await $0.logIn(userID: "ada") }
        let loggedIn = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session in
            let entries = try await session.entries()
            #expect(entries == [HTTPSession.userIDEntry: "ada"], "nothing of mallory's session is left")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func switchingUsersKeepsWhatTheLoginRequestWrote(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let previous = try await harness.login([HTTPSession.userIDEntry: "bob", "theme": "bob's"])
        let login = try await harness.request(cookie: previous) { session in
            try await session.insert("last_login", "today")
            try await session.logIn(userID: "ada")
        }
        let loggedIn = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session in
            let entries = try await session.entries()
            #expect(entries == [HTTPSession.userIDEntry: "ada", "last_login": "today"], "bob's theme is gone, the request's write stays")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func loggingTheSameUserInAgainKeepsTheirValues(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let session = try await harness.login([HTTPSession.userIDEntry: "ada", "theme": "dark"])
        let again = try await harness.request(cookie: session) { try await $0.logIn(userID: "ada") }
        let renewed: String = try #require(again.cookieValue)
        try await harness.request(cookie: renewed) { session in
            let theme = try await session.get("theme", as: String.self)
            #expect(theme == "dark")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aLogoutEndsTheSession(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let session = try await harness.login([HTTPSession.userIDEntry: "ada"])
        let logout = try await harness.request(cookie: session) { try await $0.logOut() }
        #expect(logout.isRemoval)
        try await harness.request(cookie: session) { session in
            let entries = try await session.entries()
            #expect(entries.isEmpty)
        }
    }
}
