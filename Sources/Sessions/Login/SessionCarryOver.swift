/// What an anonymous session's values become at login: kept (a cart, a language), or dropped.
///
/// A login over an anonymous session keeps its values by default, as Django's `login()` and Spring
/// Security's session migration do. A value planted before the login (an attacker who got their own
/// session into the victim's browser, with a return address or a token of theirs in it) then reaches the
/// victim's logged-in session: drop such values at login. A login over another user's session never keeps
/// anything of theirs, whatever this says.
///
/// ```swift
/// try await session.logIn(userID: user.id, as: User.self, carryingOver: .everything(except: ["return_to"]))
/// ```
public struct SessionCarryOver: Sendable, Hashable {
    enum Rule: Hashable {
        case everything(except: Set<String>)
        case nothing
    }

    let rule: Rule

    /// Every value of the anonymous session carries over (the default).
    public static var everything: SessionCarryOver { .init(rule: .everything(except: [])) }
    /// Every value but those named: the named entries are removed at login.
    public static func everything(except names: Set<String>) -> SessionCarryOver {
        .init(rule: .everything(except: Set(names.map(EntryName.normalized))))
    }
    /// Nothing carries over: the session is cleared at login.
    public static var nothing: SessionCarryOver { .init(rule: .nothing) }
}
