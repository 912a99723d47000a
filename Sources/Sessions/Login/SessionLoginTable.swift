/// The login table: what a request's end does with the login or logout it asked for, the same for every
/// framework (the article "Logging in and out" shows it to app developers).
///
/// | principal at load | principal at the end | answered below 400 | action |
/// |---|---|---|---|
/// | any | unchanged | – | nothing: the request's changes commit as they are |
/// | any | none (a logout) | – | purge |
/// | any | B | yes | store B, renew for a new authentication |
/// | none | B | no | nothing: the session as it was before the login call, no renew |
/// | B | B | no | nothing: the session as it was before the login call, no renew |
/// | A, or unreadable | B | no | purge: A's login was ended by the attempt |
///
/// A login (``HTTPSession/logIn(userID:userType:carryingOver:)``) over a session whose principal is another
/// user's clears it when called, so nothing of theirs is left whatever the answer; a login over an anonymous
/// session drops what its ``SessionCarryOver`` says. The table runs when the request ends, on what the
/// request asked for by then.
package enum SessionLoginTable {
    /// The principal a request ends with, as it asked.
    package enum End: Hashable, Sendable {
        /// It neither logged in nor out.
        case unchanged
        /// It logged out (a purge).
        case loggedOut
        /// It logged this principal in.
        case loggedIn(SessionPrincipal)
    }

    package enum Action: Hashable, Sendable {
        /// Commit the request's changes as they are.
        case nothing
        /// Store the principal and renew for a new authentication.
        case logIn(SessionPrincipal)
        /// End the session.
        case purge
    }

    /// The action for a request whose session held `atLoad` when it first logged in, ends with `atEnd`,
    /// and whose handler answered below 400 (`accepted`) or not (an error answer, returned or thrown, or a
    /// failure).
    package static func action(atLoad: SessionPrincipal?, atLoadIsUnreadable: Bool = false, atEnd: End, accepted: Bool) -> Action {
        switch atEnd {
        case .unchanged:
            return .nothing
        case .loggedOut:
            return .purge
        case .loggedIn(let principal):
            if accepted { return .logIn(principal) }
            if atLoadIsUnreadable { return .purge }
            guard let atLoad, atLoad != principal else { return .nothing }
            return .purge
        }
    }
}

/// A login a request asked for: applied by the table when the request ends. A class, so that a session's
/// contents stay small on the requests (nearly all) that never log in.
final class PendingLogin: Sendable {
    /// What the session held when the request first logged in.
    let atLoad: StoredPrincipal
    let principal: SessionPrincipal
    /// The session as it was just before the request's first login: what a rejected login leaves behind,
    /// so that neither what the login dropped nor what the route wrote after it is committed.
    let beforeLogin: HTTPSession.Contents

    init(atLoad: StoredPrincipal, principal: SessionPrincipal, beforeLogin: HTTPSession.Contents) {
        self.atLoad = atLoad
        self.principal = principal
        self.beforeLogin = beforeLogin
    }
}

extension HTTPSession.Contents {
    /// Makes these the contents the store commits once the login table has run: `accepted` when the handler
    /// answered below 400. Runs on the engine's copy, so running it again on a fresh copy gives the same.
    @inline(__always)
    mutating func settleLogin(accepted: Bool) {
        guard let login else { return }
        settle(login, accepted: accepted)
    }

    private mutating func settle(_ login: PendingLogin, accepted: Bool) {
        let atEnd: SessionLoginTable.End = status == .purged ? .loggedOut : .loggedIn(login.principal)
        self.login = nil
        switch SessionLoginTable.action(
            atLoad: login.atLoad.principal,
            atLoadIsUnreadable: login.atLoad == .unreadable,
            atEnd: atEnd,
            accepted: accepted
        ) {
        case .nothing:
            // Rejected (an accepted login is never `.nothing`): the session as the login found it.
            if !accepted { self = login.beforeLogin }
        case .logIn(let principal):
            set(HTTPSession.principalEntry, principal.stored)
            status = .renewed
            renewal = .newAuthentication
        case .purge:
            purge()
        }
    }
}
