/// Who a session is logged in as: a kind of user and that user's id.
///
/// A session holds at most one principal, under ``HTTPSession/principalEntry``: a login of another user,
/// of the same kind or another, replaces it and clears what the session held (see the article "Logging in
/// and out"). Ids are compared as text, so `7` and `"7"` name the same user.
///
/// ```swift
/// if let principal = try await session.principal(), principal.userType == SessionPrincipal.userType(of: User.self) {
///     let user = try await users.find(principal.userID)
/// }
/// ```
public struct SessionPrincipal: Sendable, Hashable {
    /// The kind of user, by default the user type's name with its module (``userType(of:)``): a customer
    /// `7` and an administrator `7` are two principals.
    public let userType: String
    /// The user's id as text: a string id as it is, an integer id in decimal.
    public let userID: String

    /// A principal of `userType` with the id `userID`.
    public init(userType: String, userID: String) {
        self.userType = userType
        self.userID = userID
    }

    /// The user's id read as `Identifier`: the text as a JSON string (a `String`, a `UUID`), or else as a
    /// JSON number (an `Int`); `nil` when it is neither.
    ///
    /// ```swift
    /// let id = principal.userID(as: Int.self)   // 7 for "7"
    /// ```
    public func userID<Identifier: Decodable>(as type: Identifier.Type) -> Identifier? {
        if let id = try? JSONValueConversion.decode(.string(userID), as: type) { return id }
        // Only the text a login writes for an integer ("7", never "07" or "+7"): one user, one text.
        guard let number = Int64(userID), String(number) == userID else { return nil }
        return try? JSONValueConversion.decode(.integer(number), as: type)
    }

    /// The kind of user a type names: its name with its module and enclosing types, stable across
    /// launches (`App.User`).
    ///
    /// A private or local type's reflected name holds load addresses that change with every launch; each
    /// is written `(unknown context)` instead, so two private types of one name in one scope share a kind:
    /// give them a `userType` of their own.
    ///
    /// ```swift
    /// SessionPrincipal.userType(of: User.self)   // "App.User"
    /// ```
    public static func userType<User>(of type: User.Type) -> String {
        stableName(of: String(reflecting: type))
    }

    /// A reflected type name with each "(unknown context at $…)" written "(unknown context)". The marker
    /// stays, so that no such name reads as a public type's (`App.(unknown context).User` is not `App.User`).
    package static func stableName(of reflected: String) -> String {
        var rest = Substring(reflected)
        var name = ""
        while let context = rest.firstRange(of: "(unknown context at ") {
            // An unterminated context is kept whole: unstable across launches, but never another type's name.
            guard let end = rest[context.upperBound...].firstIndex(of: ")") else { return reflected }
            name += rest[..<context.lowerBound] + "(unknown context)"
            rest = rest[rest.index(after: end)...]
        }
        return name + rest
    }
}

/// What ``HTTPSession/principalEntry`` holds, as the login table reads it.
enum StoredPrincipal: Equatable {
    /// Nobody: an anonymous session.
    case none
    case principal(SessionPrincipal)
    /// Something that is no principal (written by hand, or by another version): never anonymous, so that
    /// a login clears what came with it.
    case unreadable

    init(_ value: JSONValue?) {
        guard let value else {
            self = .none
            return
        }
        guard case .object(let fields) = value, case .string(let userType)? = fields["type"], case .string(let userID)? = fields["id"] else {
            self = .unreadable
            return
        }
        self = .principal(SessionPrincipal(userType: userType, userID: userID))
    }

    /// What a login finds in `state`: a session holding no principal but an entry where versions before
    /// the login table kept a user id (`user_id`, `user_id:App.User`) is taken for another user's, so
    /// nothing of it carries over.
    init(atLoginIn state: SessionState) {
        self.init(state[HTTPSession.principalEntry])
        guard self == .none else { return }
        if state.entries.keys.contains(where: { $0 == "user_id" || $0.hasPrefix("user_id:") }) { self = .unreadable }
    }

    var principal: SessionPrincipal? {
        if case .principal(let principal) = self { return principal }
        return nil
    }
}

extension SessionPrincipal {
    /// The value stored under ``HTTPSession/principalEntry``.
    var stored: JSONValue {
        .object(["type": .string(userType), "id": .string(userID)])
    }

    /// A user id as text: a string as it is, an integer in decimal; anything else is refused, since it
    /// could not be compared as text with the id an authenticator reads back.
    static func text(ofUserID userID: some Encodable) throws(SessionError) -> String {
        switch try HTTPSession.encode(userID, entry: HTTPSession.principalEntry) {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: throw SessionError(.valueEncoding, entry: HTTPSession.principalEntry, expectedType: "a string or an integer user id")
        }
    }
}
