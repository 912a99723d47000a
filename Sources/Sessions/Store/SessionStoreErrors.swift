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

    package static var call: String { "load" }
    package init(kind: Kind, underlying: any Error) {
        self.kind = kind
        self.underlying = underlying
    }
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

    package static var call: String { "save" }
    package init(kind: Kind, underlying: any Error) {
        self.kind = kind
        self.underlying = underlying
    }
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

    package static var call: String { "update" }
    package init(kind: Kind, underlying: any Error) {
        self.kind = kind
        self.underlying = underlying
    }
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

    package static var call: String { "delete" }
    package init(kind: Kind, underlying: any Error) {
        self.kind = kind
        self.underlying = underlying
    }
}

/// The shape the four store errors share, written once: a kind that says what went wrong in general
/// terms (each error has its own, all with `other`), the error beneath, `other(_:)`, and a description
/// that names the call.
package protocol SessionStoreFailure: Error, CustomStringConvertible {
    associatedtype Kind: CustomStringConvertible
    /// The store call, as the description names it.
    static var call: String { get }
    /// What went wrong, in general terms.
    var kind: Kind { get }
    /// The error beneath, for logs. Never shown to clients.
    var underlying: any Error { get }
    init(kind: Kind, underlying: any Error)
    /// The kind of ``other(_:)``.
    static var otherKind: Kind { get }
}

extension SessionStoreFailure {
    /// Anything else, such as an unreachable store: wraps the store's own error.
    public static func other(_ underlying: any Error) -> Self { .init(kind: otherKind, underlying: underlying) }

    public var description: String { "session \(Self.call) failed (\(kind)): \(underlying)" }
}

extension LoadError { package static var otherKind: Kind { .other } }
extension SaveError { package static var otherKind: Kind { .other } }
extension UpdateError { package static var otherKind: Kind { .other } }
extension DeleteError { package static var otherKind: Kind { .other } }

/// A plain message as an error, for stores that have no richer error of their own.
package struct SessionStoreMessage: Error, Hashable, CustomStringConvertible {
    /// The message.
    package let description: String
    /// Wraps `description`.
    package init(_ description: String) { self.description = description }
}
