/// A failure of a session operation, thrown to handlers and adapters.
///
/// Adapters answer any `SessionError` that escapes a handler with an empty HTTP 500 (422 for a state the
/// store refused): the cause goes to the log (`description`), never to the client.
///
/// A stored value that is not of the type asked for (an earlier deploy stored another type) is
/// ``Kind/valueDecoding``, naming the entry and the type, and is not a store failure: handle it where it
/// matters. It never stops ``HTTPSession/insert(_:_:)``, ``HTTPSession/clear()``, ``HTTPSession/renew(_:)`` or
/// ``HTTPSession/purge()``, which read no value:
///
/// ```swift
/// do {
///     count = try await session.get("counter", as: Int.self) ?? 0
/// } catch let error as SessionError where error.kind == .valueDecoding {
///     count = 0                                // an old deploy stored something else: start again
/// }
/// ```
public struct SessionError: Error, CustomStringConvertible {
    /// What went wrong, in general terms.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        // A byte, not a name: every `async throws(SessionError)` frame on the request's path holds room for
        // the error, and a larger one outgrew the task allocator's first slab (one malloc a request).
        private enum Code: UInt8 {
            case loadFailed, commitFailed, valueEncoding, valueDecoding, notAttached, notLoaded, reservedEntry, invalidLifecycle
        }

        private let code: Code
        /// The store failed while loading the session.
        public static var loadFailed: Kind { .init(code: .loadFailed) }
        /// The store failed while saving, updating or deleting the session at the end of the request.
        public static var commitFailed: Kind { .init(code: .commitFailed) }
        /// A value could not be encoded as JSON.
        public static var valueEncoding: Kind { .init(code: .valueEncoding) }
        /// A stored value could not be decoded as the requested type.
        public static var valueDecoding: Kind { .init(code: .valueDecoding) }
        /// The session was used on a request that no session middleware handled.
        public static var notAttached: Kind { .init(code: .notAttached) }
        /// The session was read synchronously (``HTTPSession/loaded``) before anything loaded it.
        public static var notLoaded: Kind { .init(code: .notLoaded) }
        /// A handler wrote ``HTTPSession/principalEntry``, which only a login writes, or
        /// ``HTTPSession/lifecycleEntry``, which only ``HTTPSession/setLifecycle(_:)`` writes.
        public static var reservedEntry: Kind { .init(code: .reservedEntry) }
        /// ``HTTPSession/setLifecycle(_:)`` was given a TTL under a second or over ten years.
        public static var invalidLifecycle: Kind { .init(code: .invalidLifecycle) }

        public var description: String {
            switch code {
            case .loadFailed: "load failed"
            case .commitFailed: "commit failed"
            case .valueEncoding: "value encoding"
            case .valueDecoding: "value decoding"
            case .notAttached: "not attached"
            case .notLoaded: "not loaded"
            case .reservedEntry: "reserved entry"
            case .invalidLifecycle: "invalid lifecycle"
            }
        }
    }

    /// The entry and type a value error names, boxed for the same reason as ``Kind``'s code: made only
    /// when such an error is.
    private final class Value: Sendable {
        let entry: String
        let expectedType: String?

        init(entry: String, expectedType: String?) {
            self.entry = entry
            self.expectedType = expectedType
        }
    }

    /// What went wrong.
    public let kind: Kind
    private let value: Value?
    /// The error beneath, for logs.
    public let underlying: (any Error)?

    /// The name of the session value involved, if any.
    public var entry: String? { value?.entry }
    /// For ``Kind/valueDecoding``: the type the value was read as.
    public var expectedType: String? { value?.expectedType }

    init(_ kind: Kind, entry: String? = nil, expectedType: String? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.value = entry.map { Value(entry: $0, expectedType: expectedType) }
        self.underlying = underlying
    }

    /// Whether a store failed: the engine has already logged these at error level, with their cause.
    public var isStoreFailure: Bool { kind == .loadFailed || kind == .commitFailed }

    /// The store refused to serialize this request's state (too large for a cookie, a character the
    /// database cannot hold): the request's input is at fault, not the server.
    public var isStateRefused: Bool {
        guard kind == .commitFailed else { return false }
        switch underlying {
        case let error as SaveError: return error.kind == .serialization
        case let error as UpdateError: return error.kind == .serialization
        default: return false
        }
    }

    /// The status an adapter answers with, body empty: 422 when the state was refused, 400 for a write of
    /// the reserved ``HTTPSession/principalEntry`` (a route that writes entries a client names: input alone
    /// never causes a 5xx), 500 for everything else.
    ///
    /// ```swift
    /// catch let error as SessionError { return Response(status: .init(code: error.httpStatus)) }
    /// ```
    public var httpStatus: Int {
        if isStateRefused { return 422 }
        return kind == .reservedEntry ? 400 : 500
    }

    public var description: String {
        var text = "session \(kind)"
        if let entry { text += " for value '\(entry)'" }
        if let expectedType { text += " as \(expectedType)" }
        if kind == .notAttached { text += ": no session middleware handled this request" }
        if kind == .notLoaded { text += ": load the session (HTTPSession.load() or a loading middleware) before using it synchronously" }
        if kind == .reservedEntry {
            text +=
                entry == HTTPSession.lifecycleEntry
                ? ": only HTTPSession.setLifecycle writes the session's lifecycle" : ": only HTTPSession.logIn writes the session's principal"
        }
        if kind == .invalidLifecycle { text += ": a session's TTL must be from a second to ten years" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
