/// Why a session moves to a new key: it decides whether the absolute timeout starts again.
///
/// A new authentication (a login, a step-up with a password or a second factor) proves the user anew and
/// starts a new absolute-timeout window. A rotation without one (periodic, or on a change of privileges
/// the user did not re-authenticate for) keeps the window's start: otherwise a session, or a stolen
/// cookie, rotated often enough would never reach its absolute timeout.
///
/// ```swift
/// try await session.renew(.newAuthentication)   // after checking the password
/// try await session.renew(.keyRotation)         // every hour, or when a role changes
/// ```
public struct SessionRenewal: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable {
        case newAuthentication
        case keyRotation
    }

    private let kind: Kind

    /// The user just proved who they are: the absolute-timeout window starts again.
    public static var newAuthentication: SessionRenewal { .init(kind: .newAuthentication) }
    /// The same authentication under a new key: the absolute-timeout window keeps its start.
    public static var keyRotation: SessionRenewal { .init(kind: .keyRotation) }

    public var description: String {
        switch kind {
        case .newAuthentication: "new authentication"
        case .keyRotation: "key rotation"
        }
    }
}
