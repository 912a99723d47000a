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
/// JSON. A `Session` is `Sendable`; concurrent tasks of one request may share it.
///
/// ```swift
/// let count = try await session.get("counter", as: Int.self) ?? 0
/// try await session.insert("counter", count + 1)
/// try await session.renew()   // at login: the old key dies, the state moves to a new one
/// try await session.purge()   // at logout: deleted, cookie removed
/// ```
///
/// The public initializer makes a session held only in memory, for unit tests of handlers.
public final class Session: Sendable {
    struct Contents: Sendable {
        var resolution: SessionResolution
        var changes = SessionChangeSet()
        var status = SessionStatus.unchanged
    }

    private enum Phase: Sendable {
        case pending
        case resolved(Contents)
    }

    private enum Origin: Sendable {
        case engine(any SessionResolving, cookieHeader: String?, logger: Logger)
        case detached
        case unattached
    }

    private let origin: Origin
    private let phase: Mutex<Phase>

    /// A session held only in memory, already loaded with `entries`: for unit tests.
    ///
    /// ```swift
    /// let session = Session(["user_id": "ada"])
    /// #expect(try await session.get("user_id", as: String.self) == "ada")
    /// ```
    public init(_ entries: [String: JSONValue] = [:], createdAt: Date = Date()) {
        self.origin = .detached
        let state = SessionState(entries, createdAt: createdAt)
        self.phase = Mutex(.resolved(Contents(resolution: SessionResolution(key: nil, state: state, cookie: .absent))))
    }

    init(resolver: any SessionResolving, cookieHeader: String?, logger: Logger) {
        self.origin = .engine(resolver, cookieHeader: cookieHeader, logger: logger)
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
    public static let unattached = Session(unattached: ())

    // MARK: Reading

    /// The value under `key` decoded as `type`, or `nil` when absent.
    /// - Throws: ``SessionError`` when the session cannot be loaded or the value is not a `type`.
    public func get<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) async throws(SessionError) -> Value? {
        let value = try await withContents { $0.resolution.state[key] }
        guard let value else { return nil }
        return try Self.decode(value, as: type, entry: key)
    }

    /// Whether a value is stored under `key`.
    public func contains(_ key: String) async throws(SessionError) -> Bool {
        try await withContents { $0.resolution.state[key] != nil }
    }

    /// All entries of the session.
    public func entries() async throws(SessionError) -> [String: JSONValue] {
        try await withContents { $0.resolution.state.entries }
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
    public func insert<Value: Encodable>(_ key: String, _ value: Value) async throws(SessionError) {
        let json = try Self.encode(value, entry: key)
        try await withContents { contents in
            contents.set(key, json)
        }
    }

    /// Reads the value under `key`, lets `body` change it, and stores the result in one step:
    /// setting it to `nil` removes it. Marks the session changed whenever a value is written back.
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
        try await ensureResolved()
        return try phase.withLock { phase -> Result in
            guard case .resolved(var contents) = phase else { preconditionFailure("session resolved above") }
            let current = contents.resolution.state[key]
            var value = try current.map { json throws(SessionError) in try Self.decode(json, as: type, entry: key) }
            let result = try body(&value)
            if let value {
                contents.set(key, try Self.encode(value, entry: key))
            } else if current != nil {
                contents.remove(key)
            }
            phase = .resolved(contents)
            return result
        }
    }

    /// Removes the value under `key` and returns it, or `nil` when there was none.
    @discardableResult
    public func remove(_ key: String) async throws(SessionError) -> JSONValue? {
        try await withContents { contents in contents.remove(key) }
    }

    /// Removes the value under `key` and returns it decoded as `type`.
    ///
    /// A value that is not a `type` stays in place and the call throws.
    @discardableResult
    public func remove<Value: Decodable>(_ key: String, as type: Value.Type) async throws(SessionError) -> Value? {
        guard let json = try await withContents({ $0.resolution.state[key] }) else { return nil }
        let value = try Self.decode(json, as: type, entry: key)
        try await withContents { contents in _ = contents.remove(key) }
        return value
    }

    /// Removes every value; the session keeps its key.
    public func clear() async throws(SessionError) {
        try await withContents { contents in
            guard contents.status != .purged else { return }
            contents.resolution.state.entries.removeAll()
            contents.changes.recordClear()
            contents.markChanged()
        }
    }

    /// Moves the session to a new key at the end of the request and deletes the old one.
    ///
    /// Call it whenever privileges change, above all at login, to defeat session fixation.
    public func renew() async throws(SessionError) {
        try await withContents { contents in
            guard contents.status != .purged else { return }
            contents.status = .renewed
        }
    }

    /// Deletes the session from its store and removes its cookie at the end of the request.
    ///
    /// Wins over every other change; later changes in the same request are ignored.
    public func purge() async throws(SessionError) {
        try await withContents { contents in
            contents.resolution.state.entries.removeAll()
            contents.changes = SessionChangeSet()
            contents.status = .purged
        }
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

    private func withContents<Result: Sendable>(_ body: (inout Contents) throws(SessionError) -> Result) async throws(SessionError) -> Result {
        try await ensureResolved()
        return try phase.withLock { phase throws(SessionError) -> Result in
            guard case .resolved(var contents) = phase else { preconditionFailure("session resolved above") }
            let result = try body(&contents)
            phase = .resolved(contents)
            return result
        }
    }

    private func ensureResolved() async throws(SessionError) {
        let isResolved = phase.withLock { phase in
            if case .resolved = phase { return true }
            return false
        }
        if isResolved { return }
        switch origin {
        case .detached:
            return
        case .unattached:
            throw SessionError(.notAttached)
        case .engine(let resolver, let cookieHeader, let logger):
            // Two tasks touching a fresh session at once may both resolve; the first result is kept,
            // which is safe because resolving only reads.
            let resolution = try await resolver.resolve(cookieHeader: cookieHeader, logger: logger)
            phase.withLock { phase in
                if case .pending = phase { phase = .resolved(Contents(resolution: resolution)) }
            }
        }
    }

    private static func encode<Value: Encodable>(_ value: Value, entry: String) throws(SessionError) -> JSONValue {
        do {
            return try JSONValueConversion.encode(value)
        } catch {
            throw SessionError(.valueEncoding, entry: entry, underlying: error)
        }
    }

    private static func decode<Value: Decodable>(_ json: JSONValue, as type: Value.Type, entry: String) throws(SessionError) -> Value {
        do {
            return try JSONValueConversion.decode(json, as: type)
        } catch {
            throw SessionError(.valueDecoding, entry: entry, underlying: error)
        }
    }
}

extension Session.Contents {
    mutating func markChanged() {
        if status == .unchanged { status = .changed }
    }

    mutating func set(_ key: String, _ value: JSONValue) {
        guard status != .purged else { return }
        resolution.state[key] = value
        changes.recordSet(key)
        markChanged()
    }

    @discardableResult
    mutating func remove(_ key: String) -> JSONValue? {
        guard status != .purged, let old = resolution.state.entries.removeValue(forKey: key) else { return nil }
        changes.recordRemoval(key)
        markChanged()
        return old
    }
}
