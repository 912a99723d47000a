import Sessions
import SessionsTesting
import Testing

/// The login table (`SessionLoginTable`), as a pure decision and through the engine: what a request's end
/// does with the login or logout it asked for, whatever the framework.
@Suite struct LogInTests {
    // MARK: The table as a function

    struct Row: Sendable, CustomTestStringConvertible {
        var atLoad: SessionPrincipal?
        var atEnd: SessionLoginTable.End
        var accepted: Bool
        var action: SessionLoginTable.Action
        var testDescription: String { "\(atLoad?.userID ?? "none") → \(atEnd), answered below 400: \(accepted) ⇒ \(action)" }
    }

    static let ada = SessionPrincipal(userType: "user", userID: "ada")
    static let mallory = SessionPrincipal(userType: "user", userID: "mallory")
    static let rows: [Row] = [
        Row(atLoad: nil, atEnd: .unchanged, accepted: true, action: .nothing),
        Row(atLoad: nil, atEnd: .unchanged, accepted: false, action: .nothing),
        Row(atLoad: ada, atEnd: .unchanged, accepted: true, action: .nothing),
        Row(atLoad: nil, atEnd: .loggedOut, accepted: true, action: .purge),
        Row(atLoad: ada, atEnd: .loggedOut, accepted: true, action: .purge),
        Row(atLoad: ada, atEnd: .loggedOut, accepted: false, action: .purge),
        Row(atLoad: nil, atEnd: .loggedIn(ada), accepted: true, action: .logIn(ada)),
        Row(atLoad: nil, atEnd: .loggedIn(ada), accepted: false, action: .nothing),
        Row(atLoad: ada, atEnd: .loggedIn(ada), accepted: true, action: .logIn(ada)),
        Row(atLoad: ada, atEnd: .loggedIn(ada), accepted: false, action: .nothing),
        Row(atLoad: mallory, atEnd: .loggedIn(ada), accepted: true, action: .logIn(ada)),
        Row(atLoad: mallory, atEnd: .loggedIn(ada), accepted: false, action: .purge),
    ]

    @Test(arguments: rows)
    func theTableDecides(row: Row) {
        #expect(SessionLoginTable.action(atLoad: row.atLoad, atEnd: row.atEnd, accepted: row.accepted) == row.action)
    }

    @Test func anUnreadablePrincipalIsNeverAnonymous() {
        let action = SessionLoginTable.action(atLoad: nil, atLoadIsUnreadable: true, atEnd: .loggedIn(Self.ada), accepted: false)
        #expect(action == .purge, "a rejected login over something that is no principal ends it")
    }

    // MARK: The table through the engine

    enum Act: String, Sendable, CaseIterable { case nothing, logOut, logInAda }
    enum Answer: String, Sendable, CaseIterable { case ok, rejected, failed }

    struct Case: Sendable, CustomTestStringConvertible {
        var atLoad: String?
        var act: Act
        var answer: Answer
        var testDescription: String { "\(atLoad ?? "anonymous"), \(act), \(answer)" }
    }

    static let cases: [Case] = [nil, "ada", "mallory"].flatMap { atLoad in
        Act.allCases.flatMap { act in Answer.allCases.map { Case(atLoad: atLoad, act: act, answer: $0) } }
    }

    /// Each row, end to end: who the browser is logged in as afterwards, whether the key moved, whether
    /// anything of the previous user is left, and that a moved-away key is dead.
    @Test(arguments: cases, EngineDriver.allCases)
    func theEngineCarriesTheTableOut(case row: Case, driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        var entries: [String: JSONValue] = ["theirs": "held at load"]
        if let user = row.atLoad { entries[HTTPSession.principalEntry] = ["type": "user", "id": .string(user)] }
        let cookie = try await harness.login(entries)
        let session = harness.begin(cookie: cookie)
        switch row.act {
        case .nothing: try await session.insert("mine", "written")
        case .logOut: try await session.logOut()
        case .logInAda: try await session.logIn(userID: "ada", userType: "user")
        }
        let end: SessionEngine.RequestEnd
        switch row.answer {
        case .ok: end = await harness.engine.end(session, after: .answered(status: 200), logger: harness.logger)
        case .rejected: end = await harness.engine.end(session, after: .answered(status: 403), logger: harness.logger)
        case .failed: end = await harness.engine.end(session, after: .threw(CancellationError()), logger: harness.logger)
        }
        let headers: SessionResponseHeaders
        switch end {
        case .respond(let added), .replace(_, let added): headers = added
        case .rethrow: headers = SessionResponseHeaders()
        }
        let set = EngineHarness.Outcome(headers: headers).cookieValue

        // What the table says.
        let accepted = row.answer == .ok
        let ends = row.act == .logOut || (row.act == .logInAda && !accepted && row.atLoad != nil && row.atLoad != "ada")
        let renews = row.act == .logInAda && accepted
        let loggedIn: String? = ends ? nil : renews ? "ada" : row.atLoad

        if ends {
            #expect(set == "", "the session ends: its cookie is removed")
        } else if renews {
            #expect(set != nil && set != "" && set != cookie, "a login moves the session to a new key")
        } else {
            #expect(set == nil || set == cookie, "no new key: \(String(describing: set))")
        }
        let now = set.flatMap { $0.isEmpty ? nil : $0 } ?? cookie
        try await harness.request(cookie: now) { session async throws in
            #expect(try await session.principal()?.userID == loggedIn)
            let theirs = try await session.get("theirs", as: String.self)
            if ends {
                #expect(try await session.entries().isEmpty)
            } else if renews, let user = row.atLoad, user != "ada" {
                #expect(theirs == nil, "nothing of \(user)'s session is left")
            } else {
                #expect(theirs == "held at load")
            }
        }
        if renews {
            try await harness.request(cookie: cookie) { session async throws in
                #expect(try await session.entries().isEmpty, "the key before the login is dead")
            }
        }
    }

    // MARK: The rules around the table

    /// Defect 1 of the login-table issue: the authenticator's second login with the id as a string
    /// cleared what the route wrote after its own login with an integer id.
    @Test(arguments: EngineDriver.allCases)
    func idsAreComparedAsTextSoASecondLoginOfOneUserKeepsTheRoutesWrites(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let planted = try await harness.login([HTTPSession.principalEntry: ["type": "member", "id": "6"]])
        let login = try await harness.request(cookie: planted) { session async throws in
            try await session.logIn(userID: 7, userType: "member")
            try await session.insert("flash", "welcome")
            try await session.logIn(userID: "7", userType: "member")  // an authenticator following request.auth
            #expect(try await session.principal() == SessionPrincipal(userType: "member", userID: "7"))
        }
        let loggedIn: String = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.get("flash", as: String.self) == "welcome")
            #expect(try await session.principal()?.userID(as: Int.self) == 7)
        }
    }

    /// Defect 3: a login of one kind of user kept another kind's login.
    @Test(arguments: EngineDriver.allCases)
    func aSessionHoldsOnePrincipalWhateverItsKind(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let planted = try await harness.login([
            HTTPSession.principalEntry: ["type": "customer", "id": "mallory"], "return_to": "https://evil.example",
        ])
        let login = try await harness.request(cookie: planted) { try await $0.logIn(userID: "victim", userType: "staff") }
        let loggedIn: String = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.entries() == [HTTPSession.principalEntry: ["type": "staff", "id": "victim"]])
        }
    }

    /// Defect 4: logging in the user the session holds (a password asked again) renews, and the absolute
    /// timeout starts again.
    @Test(arguments: EngineDriver.allCases)
    func aReauthenticationRenewsAndRestartsTheAbsoluteTimeout(driver: EngineDriver) async throws {
        let (harness, _, clock) = try makeMemoryHarness(driver: driver, configuration: SessionConfiguration(absoluteTimeout: .seconds(7200)))
        let first = try #require(try await harness.request { try await $0.logIn(userID: "ada", userType: "user") }.cookieValue)
        try await harness.request(cookie: first) { try await $0.insert("theme", "dark") }
        clock.advance(by: .seconds(3600))
        let again = try #require(try await harness.request(cookie: first) { try await $0.logIn(userID: "ada", userType: "user") }.cookieValue)
        #expect(again != first)
        clock.advance(by: .seconds(3700))
        try await harness.request(cookie: again) { session async throws in
            #expect(try await session.principal()?.userID == "ada", "the window started again at the second login")
            #expect(try await session.get("theme", as: String.self) == "dark", "the same user's values stay")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func anAnonymousSessionsValuesCarryOverAsTheLoginSays(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let carryOvers: [(SessionCarryOver, [String: JSONValue])] = [
            (.everything, ["cart": ["tea"], "return_to": "/x"]),
            (.everything(except: ["return_to"]), ["cart": ["tea"]]),
            (.nothing, [:]),
        ]
        for (carryOver, kept) in carryOvers {
            let anonymous = try await harness.login(["cart": ["tea"], "return_to": "/x"])
            let login = try await harness.request(cookie: anonymous) { session async throws in
                try await session.logIn(userID: "ada", userType: "user", carryingOver: carryOver)
                try await session.insert("after", true)
            }
            let loggedIn: String = try #require(login.cookieValue)
            try await harness.request(cookie: loggedIn) { session async throws in
                var expected = kept
                expected[HTTPSession.principalEntry] = ["type": "user", "id": "ada"]
                expected["after"] = true
                #expect(try await session.entries() == expected, "\(carryOver)")
            }
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aLoginOverAnotherUsersSessionKeepsOnlyWhatIsWrittenAfterIt(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let previous = try await harness.login([HTTPSession.principalEntry: ["type": "user", "id": "bob"], "csrf": "bob's token"])
        let login = try await harness.request(cookie: previous) { session async throws in
            // Rewritten unchanged before the login (a lazily made token): still bob's, so it goes.
            try await session.update("csrf", as: String.self) { $0 = $0 ?? "fresh" }
            try await session.logIn(userID: "ada", userType: "user", carryingOver: .everything)
            try await session.insert("last_login", "today")
        }
        let loggedIn: String = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.entries() == [HTTPSession.principalEntry: ["type": "user", "id": "ada"], "last_login": "today"])
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aLogoutWinsOverALoginOfTheSameRequest(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        for logOutFirst in [true, false] {
            let cookie = try await harness.login(EngineHarness.ada)
            let outcome = try await harness.request(cookie: cookie) { session async throws in
                if logOutFirst { try await session.logOut() }
                try await session.logIn(userID: "grace", userType: "user")
                if !logOutFirst { try await session.logOut() }
                #expect(try await session.principal() == nil)
            }
            #expect(outcome.isRemoval, "logged out first: \(logOutFirst)")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func somethingThatIsNoPrincipalIsNeverCarriedOverALogin(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let odd = try await harness.login([HTTPSession.principalEntry: true, "cart": ["tea"]])
        try await harness.request(cookie: odd) { session async throws in #expect(try await session.principal() == nil) }
        let rejected = harness.begin(cookie: odd)
        try await rejected.logIn(userID: "ada", userType: "user")
        let end = await harness.engine.end(rejected, after: .answered(status: 403), logger: harness.logger)
        guard case .respond(let headers) = end else { throw Unexpected(end: end) }
        #expect(EngineHarness.Outcome(headers: headers).isRemoval, "a rejected login over something that is no principal ends it")
        let again = try await harness.login([HTTPSession.principalEntry: true, "cart": ["tea"]])
        let login = try await harness.request(cookie: again) { try await $0.logIn(userID: "ada", userType: "user") }
        let loggedIn: String = try #require(login.cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.entries() == [HTTPSession.principalEntry: ["type": "user", "id": "ada"]])
        }
    }

    @Test(arguments: [nil, "ada"] as [String?], EngineDriver.allCases)
    func aRejectedLoginLeavesTheSessionAsTheLoginFoundIt(atLoad: String?, driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        var entries: [String: JSONValue] = ["cart": ["tea"]]
        if let atLoad { entries[HTTPSession.principalEntry] = ["type": "user", "id": .string(atLoad)] }
        let cookie = try await harness.login(entries)
        let session = harness.begin(cookie: cookie)
        try await session.insert("before", true)
        try await session.logIn(userID: "ada", userType: "user", carryingOver: .nothing)
        try await session.insert("email", "ada@example.com")
        let end = await harness.engine.end(session, after: .answered(status: 403), logger: harness.logger)
        guard case .respond(let headers) = end else { throw Unexpected(end: end) }
        #expect(headers.setCookies.isEmpty, "no new key")
        try await harness.request(cookie: cookie) { session async throws in
            var expected = entries
            expected["before"] = true
            #expect(try await session.entries() == expected, "what came before the login stays, nothing after it")
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aValueDroppedAtLoginStaysDroppedWhenPlantedWhileTheLoginRan(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let planted = try await harness.login(["cart": ["tea"]])
        let login = try await harness.loadedRequest(cookie: planted)
        try await harness.request(cookie: planted) { try await $0.insert("return_to", "https://evil.example") }
        try await login.logIn(userID: "ada", userType: "user", carryingOver: .everything(except: ["return_to"]))
        let loggedIn: String = try #require(
            EngineHarness.Outcome(headers: try await harness.engine.commit(login, logger: harness.logger)).cookieValue)
        try await harness.request(cookie: loggedIn) { session async throws in
            #expect(try await session.get("return_to", as: String.self) == nil)
            #expect(try await session.get("cart", as: [String].self) == ["tea"])
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aSessionOfAnEarlierVersionsLoginCarriesNothingOver(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        for legacy in ["user_id", "user_id:App.User"] {
            let old = try await harness.login([legacy: "bob", "cart": ["tea"]])
            let login = try await harness.request(cookie: old) { try await $0.logIn(userID: "ada", userType: "user") }
            let loggedIn: String = try #require(login.cookieValue)
            try await harness.request(cookie: loggedIn) { session async throws in
                #expect(try await session.entries() == [HTTPSession.principalEntry: ["type": "user", "id": "ada"]], "\(legacy)")
            }
        }
    }

    @Test func onlyALoginWritesThePrincipal() async throws {
        let session = HTTPSession()
        let inserted = await #expect(throws: SessionError.self) {
            try await session.insert(HTTPSession.principalEntry, ["type": "user", "id": "1"] as JSONValue)
        }
        #expect(inserted?.kind == .reservedEntry)
        let updated = await #expect(throws: SessionError.self) {
            try await session.update(HTTPSession.principalEntry, as: String.self) { $0 = "1" }
        }
        #expect(updated?.kind == .reservedEntry)
        let removed = await #expect(throws: SessionError.self) { try await session.remove(HTTPSession.principalEntry) }
        #expect(removed?.kind == .reservedEntry)
        #expect(removed?.httpStatus == 400, "a client naming the entry is the client's fault, never a 5xx")
        #expect(try await session.principal() == nil)
    }

    @Test(arguments: EngineDriver.allCases)
    func aHandlerThatWritesThePrincipalIsAnswered400(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let session = harness.engine.begin(cookieHeader: nil, logger: harness.logger)
        var thrown: (any Error)?
        do { try await session.insert(HTTPSession.principalEntry, "1") } catch { thrown = error }
        let end = await harness.engine.end(session, after: .threw(try #require(thrown)), logger: harness.logger)
        #expect(end == .replace(status: 400, adding: SessionResponseHeaders()))
    }

    @Test func anIntegerIdIsReadOnlyFromTheTextALoginWrites() {
        #expect(SessionPrincipal(userType: "user", userID: "7").userID(as: Int.self) == 7)
        #expect(SessionPrincipal(userType: "user", userID: "07").userID(as: Int.self) == nil)
        #expect(SessionPrincipal(userType: "user", userID: "+7").userID(as: Int.self) == nil)
        #expect(SessionPrincipal(userType: "user", userID: "ada").userID(as: String.self) == "ada")
    }

    @Test func anIdThatIsNeitherAStringNorAnIntegerIsRefused() async throws {
        let session = HTTPSession()
        let error = await #expect(throws: SessionError.self) { try await session.logIn(userID: [1, 2], userType: "user") }
        #expect(error?.kind == .valueEncoding)
        #expect(try await session.principal() == nil)
    }

    @Test func aUserTypeIsTheTypesStableName() {
        struct Local {}
        #expect(SessionPrincipal.userType(of: Int.self) == "Swift.Int")
        #expect(!SessionPrincipal.userType(of: Local.self).contains(" at "), "no load address")
    }

    struct Unexpected: Error { var end: SessionEngine.RequestEnd }
}
