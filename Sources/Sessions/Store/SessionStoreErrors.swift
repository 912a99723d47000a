/// A failure to load a session (actix-session's `LoadError`).
///
/// ```swift
/// throw LoadError.deserialization(PersistedSessionStateError.malformed)
/// ```
public struct LoadError: Error, CustomStringConvertible {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// Stored bytes could not be read as a session state.
        public static var deserialization: Kind { .init(name: "deserialization") }
        /// Anything else, such as an unreachable store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    /// What went wrong.
    public let kind: Kind
    /// The error beneath, for logs. Never shown to clients.
    public let underlying: any Error

    /// Stored bytes could not be read as a session state.
    public static func deserialization(_ underlying: any Error) -> LoadError { .init(kind: .deserialization, underlying: underlying) }
    /// Anything else, such as an unreachable store.
    public static func other(_ underlying: any Error) -> LoadError { .init(kind: .other, underlying: underlying) }

    public var description: String { "session load failed (\(kind)): \(underlying)" }
}

/// A failure to save a new session (actix-session's `SaveError`).
public struct SaveError: Error, CustomStringConvertible {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The state could not be turned into the store's format.
        public static var serialization: Kind { .init(name: "serialization") }
        /// Anything else, such as an unreachable or full store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    /// What went wrong.
    public let kind: Kind
    /// The error beneath, for logs. Never shown to clients.
    public let underlying: any Error

    /// The state could not be turned into the store's format.
    public static func serialization(_ underlying: any Error) -> SaveError { .init(kind: .serialization, underlying: underlying) }
    /// Anything else, such as an unreachable or full store.
    public static func other(_ underlying: any Error) -> SaveError { .init(kind: .other, underlying: underlying) }

    public var description: String { "session save failed (\(kind)): \(underlying)" }
}

/// A failure to update a session or its time to live (actix-session's `UpdateError`).
public struct UpdateError: Error, CustomStringConvertible {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The state could not be turned into the store's format.
        public static var serialization: Kind { .init(name: "serialization") }
        /// Anything else, such as an unreachable store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    /// What went wrong.
    public let kind: Kind
    /// The error beneath, for logs. Never shown to clients.
    public let underlying: any Error

    /// The state could not be turned into the store's format.
    public static func serialization(_ underlying: any Error) -> UpdateError { .init(kind: .serialization, underlying: underlying) }
    /// Anything else, such as an unreachable store.
    public static func other(_ underlying: any Error) -> UpdateError { .init(kind: .other, underlying: underlying) }

    public var description: String { "session update failed (\(kind)): \(underlying)" }
}

/// A failure to delete a session.
public struct DeleteError: Error, CustomStringConvertible {
    /// The error beneath, for logs. Never shown to clients.
    public let underlying: any Error

    /// Wraps the store's own error.
    public static func other(_ underlying: any Error) -> DeleteError { .init(underlying: underlying) }

    public var description: String { "session delete failed: \(underlying)" }
}

/// A plain message as an error, for stores that have no richer error of their own.
public struct SessionStoreMessage: Error, Hashable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// Wraps `description`.
    public init(_ description: String) { self.description = description }
}
