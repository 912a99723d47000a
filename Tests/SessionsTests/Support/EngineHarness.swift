import Logging
import Sessions
import SessionsTesting
import Testing

/// Drives a ``SessionEngine`` the way an adapter does, one request at a time, with a cookie jar.
struct EngineHarness {
    let engine: SessionEngine
    let logger = Logger(label: "test")

    /// The result of one request: the headers the engine returned and the cookie value it set, if any.
    struct Outcome {
        var headers: SessionResponseHeaders
        /// The value of the one session cookie set, `""` for a removal cookie, `nil` when none was sent.
        var cookieValue: String? {
            guard let header = headers.setCookies.last else { return nil }
            let pair = header.prefix { $0 != ";" }
            return String(pair.drop { $0 != "=" }.dropFirst())
        }
        var isRemoval: Bool { headers.setCookies.last.map { $0.contains("Max-Age=0") } ?? false }
    }

    /// Runs `handler` on a session begun from `cookie` (a value of the session cookie) and commits it.
    @discardableResult
    func request(cookie: String? = nil, _ handler: (HTTPSession) async throws -> Void = { _ in }) async throws -> Outcome {
        let name = engine.configuration.cookie.name
        let session = engine.begin(cookieHeader: cookie.map { "\(name)=\($0)" }, logger: logger)
        try await handler(session)
        return Outcome(headers: try await engine.commit(session, logger: logger))
    }

    /// Begins a request carrying `cookie` without committing it: the test ends it when it chooses.
    func begin(cookie: String) -> HTTPSession {
        engine.begin(cookieHeader: "\(engine.configuration.cookie.name)=\(cookie)", logger: logger)
    }

    /// Begins a request carrying `cookie` and loads its session now: a slow request (a password check, a
    /// long handler) that loaded before the requests the test runs next commit.
    func loadedRequest(cookie: String) async throws -> HTTPSession {
        let session = begin(cookie: cookie)
        try await session.load()
        return session
    }

    /// A session logged in as "ada", a principal of kind "user", as the login table stores it.
    static let ada: [String: JSONValue] = [HTTPSession.principalEntry: ["type": "user", "id": "ada"]]

    /// Starts a session holding `entries` and returns its cookie value.
    func login(_ entries: [String: JSONValue] = ["user_id": "ada"]) async throws -> String {
        let outcome = try await request { session in
            let loaded = try await session.load()
            for (key, value) in entries { loaded.insertUnchecked(key, value) }
        }
        return try #require(outcome.cookieValue)
    }
}

/// How the engine reaches the store: every rule of the response table holds for both.
enum EngineDriver: CaseIterable, Sendable {
    /// The store answers on the calling thread (``ImmediateSessionStore``): no call is awaited.
    case immediate
    /// Every store call is awaited, as for a store across the network.
    case awaiting
}

func makeMemoryHarness(
    driver: EngineDriver,
    configuration: SessionConfiguration = .init(),
    secrets: SessionSecrets = SessionSecrets(current: .generate())
) throws -> (EngineHarness, RecordingSessionStore<MemorySessionStore>, ManualSessionClock) {
    let clock = ManualSessionClock()
    let memory = MemorySessionStore(clock: clock)
    let store =
        switch driver {
        case .immediate: ImmediateRecordingSessionStore(memory)
        case .awaiting: RecordingSessionStore(memory)
        }
    let engine = try SessionEngine(store: store, secrets: secrets, configuration: configuration, clock: clock)
    return (EngineHarness(engine: engine), store, clock)
}
