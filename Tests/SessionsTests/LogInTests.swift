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
    func switchingUsersDropsEverythingTheOtherSessionHeld(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let previous = try await harness.login([HTTPSession.userIDEntry: "bob", "csrf": "bob's token"])
        let login = try await harness.request(cookie: previous) { session in
            // Rewritten unchanged before the login (a lazily made token): still bob's, so it goes.
            try await session.update("csrf", as: String.self) { $0 = $0 ?? "fresh" }
            try await session.logIn(userID: "ada")
            try await session.insert("last_login", "today")
        }
        let loggedIn = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session in
            let entries = try await session.entries()
            #expect(entries == [HTTPSession.userIDEntry: "ada", "last_login": "today"], "nothing of bob's session is left")
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
