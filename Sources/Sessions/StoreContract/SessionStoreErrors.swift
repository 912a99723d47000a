/// A failure to load a session (actix-session's `LoadError`).
///
/// ```swift
/// throw LoadError.deserialization(DecodingError.dataCorrupted(context))
/// ```
public struct LoadError: SessionStoreFailure {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// Stored bytes could not be read as a session state.
        public static var deserialization: Kind { .init(name: "deserialization") }
        /// Anything else, such as an unreachable store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    public let kind: Kind
    public let underlying: any Error

    /// Stored bytes could not be read as a session state.
    public static func deserialization(_ underlying: any Error) -> LoadError { .init(kind: .deserialization, underlying: underlying) }

    /// Anything else, such as an unreachable store: wraps the store's own error.
    public static func other(_ underlying: any Error) -> LoadError { .init(kind: .other, underlying: underlying) }

    package static var call: String { "load" }
}

/// A failure to save a new session (actix-session's `SaveError`).
///
/// ```swift
/// throw SaveError.serialization(EncodingError.invalidValue(value, context))
/// ```
public struct SaveError: SessionStoreFailure {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The state could not be turned into the store's format.
        public static var serialization: Kind { .init(name: "serialization") }
        /// Anything else, such as an unreachable or full store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    public let kind: Kind
    public let underlying: any Error

    /// The state could not be turned into the store's format.
    public static func serialization(_ underlying: any Error) -> SaveError { .init(kind: .serialization, underlying: underlying) }

    /// Anything else, such as an unreachable store: wraps the store's own error.
    public static func other(_ underlying: any Error) -> SaveError { .init(kind: .other, underlying: underlying) }

    package static var call: String { "save" }
}

/// A failure to update a session or its time to live (actix-session's `UpdateError`).
///
/// ```swift
/// throw UpdateError.other(connectionError)
/// ```
public struct UpdateError: SessionStoreFailure {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The state could not be turned into the store's format.
        public static var serialization: Kind { .init(name: "serialization") }
        /// Anything else, such as an unreachable store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    public let kind: Kind
    public let underlying: any Error

    /// The state could not be turned into the store's format.
    public static func serialization(_ underlying: any Error) -> UpdateError { .init(kind: .serialization, underlying: underlying) }

    /// Anything else, such as an unreachable store: wraps the store's own error.
    public static func other(_ underlying: any Error) -> UpdateError { .init(kind: .other, underlying: underlying) }

    package static var call: String { "update" }
}

/// A failure to delete a session.
///
/// ```swift
/// throw DeleteError.other(connectionError)
/// ```
public struct DeleteError: SessionStoreFailure {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// Any failure, such as an unreachable store.
        public static var other: Kind { .init(name: "other") }
        public var description: String { name }
    }

    public let kind: Kind
    public let underlying: any Error

    /// Anything else, such as an unreachable store: wraps the store's own error.
    public static func other(_ underlying: any Error) -> DeleteError { .init(kind: .other, underlying: underlying) }

    package static var call: String { "delete" }
}

/// The shape the four store errors share: a kind that says what went wrong in general terms (each error
/// has its own, all with `other`), the error beneath, and a description that names the call, written once.
package protocol SessionStoreFailure: Error, CustomStringConvertible {
    associatedtype Kind: CustomStringConvertible
    /// The store call, as the description names it.
    static var call: String { get }
    /// What went wrong, in general terms.
    var kind: Kind { get }
    /// The error beneath, for logs. Never shown to clients.
    var underlying: any Error { get }
}

extension SessionStoreFailure {
    // Public, and declared here once: each error's `CustomStringConvertible` conformance is public, so
    // clients reach it through that protocol.
    public var description: String { "session \(Self.call) failed (\(kind)): \(underlying)" }
}

/// A plain message as an error, for stores that have no richer error of their own.
package struct SessionStoreMessage: Error, Hashable, CustomStringConvertible {
    /// The message.
    package let description: String
    /// Wraps `description`.
    package init(_ description: String) { self.description = description }
}
