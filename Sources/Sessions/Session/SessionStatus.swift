/// What a request has done to its session so far (actix-session's `SessionStatus`).
///
/// `renewed` is sticky: changes after a renew keep it renewed. `purged` wins over everything.
public enum SessionStatus: Sendable, Hashable {
    /// Nothing changed.
    case unchanged
    /// Values were set, removed or cleared.
    case changed
    /// The session will move to a new key; the old key is deleted.
    case renewed
    /// The session will be deleted and its cookie removed.
    case purged
}
