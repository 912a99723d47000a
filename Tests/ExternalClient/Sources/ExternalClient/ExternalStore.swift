import Foundation
import Logging
import Sessions
import Synchronization

/// A store written outside the package: every requirement of the contract (those with defaults too), its
/// typed errors built with their public constructors, and the engine's adapter API.
final class ExternalStore: SessionStore {
    struct Unreachable: Error {}
    struct KeyInUse: Error {}

    let sessions = Mutex<[SessionKey: SessionState]>([:])
    let reachable: Bool

    init(reachable: Bool = true) { self.reachable = reachable }

    func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        guard reachable else { throw .other(Unreachable()) }
        return sessions.withLock { $0[key] }
    }

    func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        guard reachable else { throw .other(Unreachable()) }
        let key = SessionKey.generate()
        sessions.withLock { $0[key] = state }
        return key
    }

    func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        guard reachable else { throw .serialization(Unreachable()) }
        return sessions.withLock { sessions in
            guard let stored = sessions[key] else { return .gone }
            sessions[key] = state.merged(into: stored, changes: changes)
            return .updated(key)
        }
    }

    func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        guard reachable else { throw .other(Unreachable()) }
        return sessions.withLock { $0[key] == nil ? .gone : .updated(key) }
    }

    func delete(_ key: SessionKey) async throws(DeleteError) {
        guard reachable else { throw .other(Unreachable()) }
        _ = sessions.withLock { $0.removeValue(forKey: key) }
    }

    // The three calls with defaults, written natively, as a store on a real backend would.

    func renew(_ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration)
        async throws(UpdateError) -> SessionUpdateResult
    {
        guard reachable else { throw .other(Unreachable()) }
        return try sessions.withLock { sessions throws(UpdateError) in
            guard sessions[newKey] == nil else { throw .other(KeyInUse()) }
            guard let stored = sessions.removeValue(forKey: key) else { return .gone }
            sessions[newKey] = state.renewed(from: stored, changes: changes)
            return .updated(newKey)
        }
    }

    func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        try await delete(key)
    }

    func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        false
    }

    /// `false`: without tombstones its renew cannot tell a repeat from a session that ended.
    var renewIsSafeToAskAgain: Bool { false }
}

/// What an app and an adapter do, with only the public API.
func useThePublicAPI() async throws {
    let failure: LoadError = .deserialization(ExternalStore.Unreachable())
    _ = (failure.kind == .deserialization, failure.description, failure.underlying)
    _ = DeleteError.other(ExternalStore.Unreachable()).description

    let memory = MemorySessionStore()
    let key = try await memory.save(SessionState(["a": 1], createdAt: Date()), ttl: .seconds(60))
    _ = try await memory.load(key)
    _ = try await CookieSessionStore().load(key)

    var configuration = SessionConfiguration()
    configuration.ttlExtension = .onEveryRequest
    configuration.cookie.sameSite = .strict
    let engine = try SessionEngine(store: ExternalStore(), secrets: SessionSecrets(current: .generate()), configuration: configuration)
    let logger = Logger(label: "external")
    var cookieHeader: String?
    for field in ["theme=dark", "id=abc"] { cookieHeader = SessionEngine.cookieHeader(cookieHeader, appending: field) }
    let session: HTTPSession = engine.begin(cookieHeader: cookieHeader, logger: logger)
    try await session.insert("user_id", "ada")
    try await session.logIn(userID: "ada", as: String.self)
    let principal: SessionPrincipal? = try await session.principal()
    _ = principal?.userID
    switch await engine.end(session, after: .answered(status: 200), logger: logger) {
    case .respond(let headers): _ = (headers.setCookies, headers.cacheControl)
    case .replace(let status, let headers): _ = (status, headers.setCookies)
    case .rethrow: break
    }
    _ = engine.store as? ExternalStore
}
