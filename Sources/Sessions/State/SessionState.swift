#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything a session holds: string keys to JSON values, plus when the session was created.
///
/// `createdAt` lets the engine enforce an absolute timeout; stores keep it unchanged across updates.
///
/// ```swift
/// var state = SessionState(["user_id": "ada"], createdAt: .now)
/// state["counter"] = 1
/// ```
public struct SessionState: Sendable, Hashable {
    /// The session's values by key.
    public var entries: [String: JSONValue]
    /// When the session was first saved.
    public var createdAt: Date

    /// Creates a state from its entries and creation time.
    public init(_ entries: [String: JSONValue] = [:], createdAt: Date) {
        self.entries = entries
        self.createdAt = createdAt
    }

    /// The value under `key`, or `nil`.
    public subscript(key: String) -> JSONValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// Whether the state holds no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// This state with `changes` applied on top of `base`: what a merging store writes.
    ///
    /// Keys the request set take this state's values; keys it removed go; a clear drops everything in
    /// `base` first. Keys the request never touched keep `base`'s values, so two requests that change
    /// different keys of one session both survive.
    public func merged(into base: SessionState, changes: SessionChangeSet) -> SessionState {
        var result = base
        result.apply(changes, from: self)
        return result
    }

    /// Applies `changes`, with the values `source` holds for the keys they set, to this state in place:
    /// ``merged(into:changes:)`` for a store that owns the base and would otherwise copy it.
    mutating func apply(_ changes: SessionChangeSet, from source: SessionState) {
        if changes.cleared { entries.removeAll() }
        for key in changes.removedKeys { entries[key] = nil }
        for key in changes.setKeys { entries[key] = source.entries[key] }
    }
}

/// What one request changed in its session: the keys it set, the keys it removed, whether it cleared it.
///
/// Travels to ``SessionStore/update(_:to:changes:ttl:)`` beside the full state so that a server-side
/// store can write field by field.
public struct SessionChangeSet: Sendable, Hashable {
    /// Keys given a value (after any clear).
    public var setKeys: Set<String>
    /// Keys removed (after any clear), never also in ``setKeys``.
    public var removedKeys: Set<String>
    /// Whether the request cleared the session before its other changes.
    public var cleared: Bool

    /// Creates a change set.
    public init(setKeys: Set<String> = [], removedKeys: Set<String> = [], cleared: Bool = false) {
        self.setKeys = setKeys
        self.removedKeys = removedKeys
        self.cleared = cleared
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { setKeys.isEmpty && removedKeys.isEmpty && !cleared }

    mutating func recordSet(_ key: String) {
        setKeys.insert(key)
        removedKeys.remove(key)
    }

    mutating func recordRemoval(_ key: String) {
        removedKeys.insert(key)
        setKeys.remove(key)
    }

    mutating func recordClear() {
        self = SessionChangeSet(cleared: true)
    }
}
