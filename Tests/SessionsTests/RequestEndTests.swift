import Logging
import SessionsTesting
import Testing

@testable import Sessions

/// The adapter policy, decided once in the engine (`SessionEngine.end(_:after:logger:)`): what each way a
/// handler can end means for its session and its response, for a store that waits and one that does not.
@Suite struct RequestEndTests {
    struct HandlerBug: Error {}

    /// Runs `handler` on a session begun from `cookie`, ends it after `outcome`, and returns the decision.
    func end(
        _ harness: EngineHarness,
        cookie: String? = nil,
        after outcome: SessionEngine.HandlerOutcome,
        logger: Logger? = nil,
        _ handler: (HTTPSession) async throws -> Void = { _ in }
    ) async throws -> SessionEngine.RequestEnd {
        let name = harness.engine.configuration.cookie.name
        let session = harness.engine.begin(cookieHeader: cookie.map { "\(name)=\($0)" }, logger: logger ?? harness.logger)
        try await handler(session)
        return await harness.engine.end(session, after: outcome, logger: logger ?? harness.logger)
    }

    @Test(arguments: EngineDriver.allCases)
    func anAnswerOfAnyStatusCommits(driver: EngineDriver) async throws {
        for outcome in [SessionEngine.HandlerOutcome.answered(status: 200), .answered(status: 401)] {
            let (harness, store, _) = try makeMemoryHarness(driver: driver)
            let end = try await self.end(harness, after: outcome) { try await $0.insert("user_id", "ada") }
            guard case .respond(let headers) = end else {
                Issue.record("expected the session's headers, got \(end)")
                continue
            }
            #expect(headers.setCookies.count == 1)
            #expect(headers.cacheControl == "no-store")
            #expect(store.calls == ["save"])
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func anUntouchedSessionAddsNothingAndCallsNoStore(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        #expect(try await end(harness, after: .answered(status: 200)) == .respond(adding: SessionResponseHeaders()))
        #expect(try await end(harness, after: .threw(HandlerBug())) == .rethrow)
        #expect(store.calls.isEmpty)
    }

    @Test(arguments: EngineDriver.allCases)
    func anotherErrorAfterALogoutIsAnEmpty500RemovingTheCookieAndOnlyThePurgeIsCarriedOut(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        let end = try await self.end(harness, cookie: cookie, after: .threw(HandlerBug())) { session in
            try await session.insert("after", 1)
            try await session.purge()
        }
        guard case .replace(status: 500, let headers) = end else {
            Issue.record("expected an empty 500 with the removal cookie, got \(end)")
            return
        }
        #expect(EngineHarness.Outcome(headers: headers).isRemoval)
        #expect(store.calls == ["load", "purge"])
        let next = try await harness.request(cookie: cookie) { session in
            let entries = try await session.entries()
            #expect(entries.isEmpty, "the logout happened although the handler failed")
        }
        #expect(next.cookieValue == nil)
    }

    @Test(arguments: EngineDriver.allCases)
    func anotherErrorDropsEveryOtherChange(driver: EngineDriver) async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: driver)
        let cookie = try await harness.login()
        store.resetCalls()
        #expect(try await end(harness, cookie: cookie, after: .threw(HandlerBug())) { try await $0.insert("counter", 7) } == .rethrow)
        #expect(store.calls == ["load"])
        try await harness.request(cookie: cookie) { session in
            let counter = try await session.get("counter", as: Int.self)
            #expect(counter == nil)
        }
    }

    @Test(arguments: EngineDriver.allCases)
    func aSessionErrorFromTheHandlerIsAnEmpty500LoggedUnlessTheStoreCausedIt(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let capture = SessionLoggingTests.Capture()
        let notAttached = try await end(harness, after: .threw(SessionError(.notAttached)), logger: capture.logger)
        #expect(notAttached == .replace(status: 500, adding: SessionResponseHeaders()))
        #expect(capture.all.filter { $0.level == .error }.count == 1, "a session misuse is logged once")

        let storeCapture = SessionLoggingTests.Capture()
        let loadFailed = SessionError(.loadFailed, underlying: LoadError.other(HandlerBug()))
        #expect(
            try await end(harness, after: .threw(loadFailed), logger: storeCapture.logger) == .replace(status: 500, adding: SessionResponseHeaders()))
        #expect(storeCapture.all.filter { $0.level == .error }.isEmpty, "a store failure was logged where it happened")
    }

    @Test func aFailedCommitIsAnEmpty500AndARefusedStateA422() async throws {
        let failing = EngineHarness(engine: try SessionEngine(store: FailingSessionStore(loadFailure: nil), secrets: .init(current: .generate())))
        #expect(
            try await end(failing, after: .answered(status: 200)) { try await $0.insert("a", 1) }
                == .replace(status: 500, adding: SessionResponseHeaders()))
        #expect(
            try await end(failing, after: .answered(status: 403)) { try await $0.insert("a", 1) }
                == .replace(status: 500, adding: SessionResponseHeaders()))

        var configuration = SessionConfiguration()
        configuration.maximumStateSize = 64
        let (capped, _, _) = try makeMemoryHarness(driver: .immediate, configuration: configuration)
        let end = try await self.end(capped, after: .answered(status: 200)) { try await $0.insert("big", String(repeating: "x", count: 200)) }
        #expect(end == .replace(status: 422, adding: SessionResponseHeaders()))
    }

    @Test func severalCookieFieldsAreJoinedInOrder() {
        var header: String?
        for field in ["a=1", "id=abc", "b=2"] {
            header = SessionEngine.cookieHeader(header, appending: field)
        }
        #expect(header == "a=1; id=abc; b=2")
        #expect(SessionEngine.cookieHeader(nil, appending: "id=abc") == "id=abc")
    }
}
