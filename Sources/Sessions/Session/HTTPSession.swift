import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The session of one request: typed values, read and written by handlers and middleware.
///
/// Nothing is verified or loaded until the first call that needs the session's contents: a request
/// that never touches it costs no crypto and no store round trip. Values are `Codable` and stored as
/// JSON. An `HTTPSession` is `Sendable`; concurrent tasks of one request may share it.
///
/// ```swift
/// let count = try await session.get("counter", as: Int.self) ?? 0
/// try await session.insert("counter", count + 1)
/// try await session.logIn(userID: user.id, as: User.self)   // at login: after the route, a new key
/// try await session.purge()   // at logout: deleted, cookie removed
/// ```
///
/// The public initializer makes a session held only in memory, for unit tests of handlers.
///
/// Named `HTTPSession`, not `Session`, so that an app importing Vapor (whose `Session` is its own
/// sessions' type) names both without a module prefix.
public final class HTTPSession: Sendable {
    struct Contents: Sendable {
        var resolution: SessionResolution
        var changes = SessionChangeSet()
        var status = SessionStatus.unchanged
        /// Why the session renews, once it does. Set while the status is still `.changed`, it is a lifecycle
        /// change (`setLifecycle`): the commit renews for it, a failed handler does not.
        var renewal: SessionRenewal?
        /// The login the request asked for, which the login table applies when the request ends.
        var login: PendingLogin?
    }

    private enum Phase: Sendable {
        case pending
        case resolved(Contents)
    }

    private enum Origin: Sendable {
        case engine(SessionEngineCore, cookieHeader: String?, logger: Logger)
        case detached
        case unattached
    }

    private let origin: Origin
    private let phase: Mutex<Phase>

    /// A session held only in memory, already loaded with `entries`: for unit tests.
    ///
    /// ```swift
    /// let session = HTTPSession(["user_id": "ada"])
    /// #expect(try await session.get("user_id", as: String.self) == "ada")
    /// ```
    public init(_ entries: [String: JSONValue] = [:], createdAt: Date = Date()) {
        self.origin = .detached
        let state = SessionState(entries, createdAt: createdAt)
        self.phase = Mutex(.resolved(Contents(resolution: SessionResolution(key: nil, state: state, cookie: .absent))))
    }

    init(core: SessionEngineCore, cookieHeader: String?, logger: Logger) {
        self.origin = .engine(core, cookieHeader: cookieHeader, logger: logger)
        self.phase = Mutex(.pending)
    }

    private init(unattached: Void) {
        self.origin = .unattached
        self.phase = Mutex(.pending)
    }

    /// A placeholder for request contexts before a session middleware runs: every call throws
    /// ``SessionError/Kind/notAttached``.
    ///
    /// One shared instance: it holds no state, so any number of contexts may carry it.
    public static let unattached = HTTPSession(unattached: ())

    // MARK: Loading

    /// Loads the session now, if nothing has yet, and returns its synchronous view.
    ///
    /// Every other call loads the session on first use; call this to load it at a chosen point, for
    /// example in a middleware that readies the session before a synchronous handler runs. A store that
    /// never waits (memory, cookie) loads on the caller's thread.
    ///
    /// ```swift
    /// let session = try await context.httpSession.load()
    /// let visits = try session.update("visits", as: Int.self) { visits in
    ///     visits = (visits ?? 0) + 1
    ///     return visits!
    /// }
    /// ```
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/loadFailed`` when the store fails.
    @discardableResult
    public func load() async throws(SessionError) -> LoadedHTTPSession {
        try await ensureResolved()
        return LoadedHTTPSession(session: self)
    }

    /// Loads the session on the calling thread when its store never waits (``ImmediateSessionStore``:
    /// memory, cookie), and returns its synchronous view; `nil` when the store would have to wait (call
    /// ``load()``). An adapter on a future-based framework uses it to skip starting a task.
    ///
    /// ```swift
    /// guard let session = try session.loadImmediately() else { return try await session.load() }
    /// ```
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/loadFailed`` when the store fails.
    package func loadImmediately() throws(SessionError) -> LoadedHTTPSession? {
        if isResolved { return LoadedHTTPSession(session: self) }
        switch origin {
        case .detached:
            return LoadedHTTPSession(session: self)
        case .unattached:
            throw SessionError(.notAttached)
        case .engine(let core, let cookieHeader, let logger):
            guard let resolution = try core.resolveImmediately(cookieHeader: cookieHeader, logger: logger) else { return nil }
            keep(resolution)
            return LoadedHTTPSession(session: self)
        }
    }

    /// The session's synchronous view, once something has loaded it (``load()`` or any other call).
    ///
    /// ```swift
    /// let user = try session.loaded.get("user_id", as: String.self)
    /// ```
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/notLoaded`` when nothing has loaded it yet.
    public var loaded: LoadedHTTPSession {
        get throws(SessionError) {
            if case .unattached = origin { throw SessionError(.notAttached) }
            guard isResolved else { throw SessionError(.notLoaded) }
            return LoadedHTTPSession(session: self)
        }
    }

    /// Whether the session has been loaded: its next call needs no store.
    public var isLoaded: Bool {
        if case .unattached = origin { return false }
        return isResolved
    }

    // MARK: Reading

    /// The value under `key` decoded as `type`, or `nil` when absent.
    /// - Throws: ``SessionError`` when the session cannot be loaded or the value is not a `type`.
    public func get<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) async throws(SessionError) -> Value? {
        try await load().get(key, as: type)
    }

    /// Whether a value is stored under `key`.
    public func contains(_ key: String) async throws(SessionError) -> Bool {
        try await load().contains(key)
    }

    /// All entries of the session.
    public func entries() async throws(SessionError) -> [String: JSONValue] {
        try await load().entries()
    }

    /// What this request has done to the session so far. Does not load the session.
    public var status: SessionStatus {
        phase.withLock { phase in
            if case .resolved(let contents) = phase { return contents.status }
            return .unchanged
        }
    }

    // MARK: Writing

    /// Stores `value` under `key`, replacing any value there. A no-op after ``purge()``.
    ///
    /// - Throws: ``SessionError`` when the value cannot be encoded, or with kind
    ///   ``SessionError/Kind/reservedEntry`` for ``HTTPSession/principalEntry`` and ``HTTPSession/lifecycleEntry``,
    ///   which only a login and ``HTTPSession/setLifecycle(_:)`` write.
    public func insert<Value: Encodable>(_ key: String, _ value: Value) async throws(SessionError) {
        try await load().insert(key, value)
    }

    /// Reads the value under `key`, lets `body` change it, and stores the result in one step:
    /// setting it to `nil` removes it. Marks the session changed whenever a value is written back.
    /// ``HTTPSession/principalEntry`` is refused (``SessionError/Kind/reservedEntry``): only a login writes it.
    ///
    /// ```swift
    /// let visits = try await session.update("visits", as: Int.self) { visits in
    ///     visits = (visits ?? 0) + 1
    ///     return visits!
    /// }
    /// ```
    public func update<Value: Codable, Result: Sendable>(
        _ key: String,
        as type: Value.Type = Value.self,
        _ body: (inout Value?) throws -> Result
    ) async throws -> Result {
        try await load().update(key, as: type, body)
    }

    /// Reads the value under `key`, or `defaultValue` when there is none, lets `body` change it, stores it
    /// and returns it. ``HTTPSession/principalEntry`` is refused, as by ``update(_:as:_:)``.
    ///
    /// ```swift
    /// let count = try await session.update("counter", default: 0) { $0 += 1 }
    /// ```
    @discardableResult
    public func update<Value: Codable & Sendable>(
        _ key: String,
        default defaultValue: Value,
        _ body: (inout Value) throws -> Void
    ) async throws -> Value {
        try await load().update(key, default: defaultValue, body)
    }

    /// Removes the value under `key` and returns it, or `nil` when there was none. ``principalEntry`` is
    /// refused (``SessionError/Kind/reservedEntry``): a logout ends a login.
    @discardableResult
    public func remove(_ key: String) async throws(SessionError) -> JSONValue? {
        try await load().remove(key)
    }

    /// Removes the value under `key` and returns it decoded as `type`.
    ///
    /// A value that is not a `type` stays in place and the call throws.
    @discardableResult
    public func remove<Value: Decodable>(_ key: String, as type: Value.Type) async throws(SessionError) -> Value? {
        try await load().remove(key, as: type)
    }

    /// Removes every value; the session keeps its key.
    public func clear() async throws(SessionError) {
        try await load().clear()
    }

    /// Moves the session to a new key at the end of the request and ends the old one.
    ///
    /// Call it whenever privileges change, above all at login, to defeat session fixation. `renewal` says
    /// whether the user just authenticated (a new absolute-timeout window) or the key only rotates (the
    /// window keeps its start). The move happens only if the session is still live when the request ends:
    /// a session logged out or expired meanwhile is not brought back.
    ///
    /// At login, call ``logIn(userID:as:carryingOver:)``, which renews for a new authentication once the
    /// route has answered below 400; call this for a step-up or a role change the login does not cover.
    ///
    /// ```swift
    /// try await session.renew(.keyRotation)   // a role changed
    /// ```
    public func renew(_ renewal: SessionRenewal) async throws(SessionError) {
        try await load().renew(renewal)
    }

    /// Deletes the session from its store and removes its cookie at the end of the request.
    ///
    /// Wins over every other change; later changes in the same request are ignored.
    public func purge() async throws(SessionError) {
        try await load().purge()
    }

    // MARK: Engine interface

    /// The session's contents for the engine's commit, or `nil` when the request never touched it.
    func contentsForCommit() -> Contents? {
        phase.withLock { phase in
            if case .resolved(let contents) = phase { return contents }
            return nil
        }
    }

    // MARK: Internals

    /// Runs `body` on the loaded contents; the caller has loaded the session.
    func withLoadedContents<Result: Sendable, Failure: Error>(_ body: (inout Contents) throws(Failure) -> Result) throws(Failure) -> Result {
        try phase.withLock { phase throws(Failure) -> Result in
            guard case .resolved(var contents) = phase else { preconditionFailure("a LoadedHTTPSession exists only for a loaded session") }
            let result = try body(&contents)
            phase = .resolved(contents)
            return result
        }
    }

    private var isResolved: Bool {
        phase.withLock { phase in
            if case .resolved = phase { return true }
            return false
        }
    }

    // The same steps as `loadImmediately()`, written out rather than called: calling it here made every
    // awaited load one malloc dearer (a bigger async frame outgrows the task allocator's first slab;
    // scripts/malloc-guard caught it).
    private func ensureResolved() async throws(SessionError) {
        if isResolved { return }
        switch origin {
        case .detached:
            return
        case .unattached:
            throw SessionError(.notAttached)
        case .engine(let core, let cookieHeader, let logger):
            // Two tasks touching a fresh session at once may both resolve; the first result is kept,
            // which is safe because resolving only reads.
            // The resolution is kept by non-async code: held in this frame, it would outgrow the task
            // allocator's first slab (one malloc a request).
            if try resolveImmediatelyAndKeep(core: core, cookieHeader: cookieHeader, logger: logger) { return }
            try await resolveAndKeep(core: core, cookieHeader: cookieHeader, logger: logger)
        }
    }

    private func resolveImmediatelyAndKeep(core: SessionEngineCore, cookieHeader: String?, logger: Logger) throws(SessionError) -> Bool {
        guard let resolution = try core.resolveImmediately(cookieHeader: cookieHeader, logger: logger) else { return false }
        keep(resolution)
        return true
    }

    private func resolveAndKeep(core: SessionEngineCore, cookieHeader: String?, logger: Logger) async throws(SessionError) {
        keep(try await core.resolve(cookieHeader: cookieHeader, logger: logger))
    }

    private func keep(_ resolution: SessionResolution) {
        phase.withLock { phase in
            if case .pending = phase { phase = .resolved(Contents(resolution: resolution)) }
        }
    }

    static func encode<Value: Encodable>(_ value: Value, entry: String) throws(SessionError) -> JSONValue {
        do {
            return try JSONValueConversion.encode(value)
        } catch {
            throw SessionError(.valueEncoding, entry: entry, underlying: error)
        }
    }

    static func decode<Value: Decodable>(_ json: JSONValue, as type: Value.Type, entry: String) throws(SessionError) -> Value {
        do {
            return try JSONValueConversion.decode(json, as: type)
        } catch {
            throw SessionError(.valueDecoding, entry: entry, expectedType: String(describing: type), underlying: error)
        }
    }
}

extension HTTPSession.Contents {
    mutating func markChanged() {
        if status == .unchanged { status = .changed }
    }

    mutating func set(_ key: String, _ value: JSONValue) {
        guard status != .purged else { return }
        resolution.state[key] = value
        changes.recordSet(key)
        markChanged()
    }

    mutating func purge() {
        resolution.state.entries.removeAll()
        changes = SessionChangeSet()
        status = .purged
        renewal = nil
        login = nil
    }

    @discardableResult
    mutating func remove(_ key: String) -> JSONValue? {
        guard status != .purged, let old = resolution.state.entries.removeValue(forKey: key) else { return nil }
        changes.recordRemoval(key)
        markChanged()
        return old
    }
}
