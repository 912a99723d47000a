import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the first touch of a session found out about the request's cookie.
struct SessionResolution: Sendable {
    enum Cookie: Sendable, Hashable {
        /// The request carried no session cookie.
        case absent
        /// A cookie opened and its key names a live session; `rotated` when a previous secret opened it.
        case valid(rotated: Bool)
        /// A cookie was sent but was tampered, sealed with an unknown secret, or names no live session.
        case invalid
    }

    /// The verified key of a live session, or `nil` for a fresh session.
    var key: SessionKey?
    /// The loaded state, or an empty one for a fresh session.
    var state: SessionState
    var cookie: Cookie
    /// When the store said the loaded session expires, unless its TTL restarts; `nil` for a fresh session or
    /// a store that cannot say.
    var expiresAt: Date? = nil
    /// A key that named a session past its absolute timeout or with unreadable state: delete it at commit.
    var staleKey: SessionKey? = nil
    /// The keys that verified but named no live session, in header order: any of them may have been renewed
    /// away or purged moments ago, which the commit asks the store before starting a new session. `nil`
    /// rather than empty, so that copying a resolution (several times a request) retains no array.
    var unresolvedKeys: [SessionKey]? = nil
    /// The cookie value that opened to `key` with the current secret, kept for a persistent cookie (the
    /// only kind re-issued under the same key): sent again as it is rather than sealed anew with a fresh
    /// nonce.
    var cookieValue: Substring? = nil
}
