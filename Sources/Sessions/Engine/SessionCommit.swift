import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request's end: actix-session's response table, with lazy load, no resurrection and the
/// stale-cookie rule on top.
///
/// | status | key live at load | store call | cookie |
/// |---|---|---|---|
/// | purged | yes | purge (delete, leave a tombstone) | removal |
/// | purged | no | purge each key that verified (a concurrent renew may have moved its session) | removal if a cookie came |
/// | renewed | yes | renew: move to a new key if still live, merging, tombstone the old key | the new key; gone → none |
/// | renewed for a new authentication | no | save non-empty state | the new key |
/// | renewed for a key rotation | no | as changed: there was no live session to rotate | |
/// | changed (a clear to nothing included) | yes | update (merge) | again if the key changed or the cookie is persistent; gone → none |
/// | changed | no | save non-empty state, unless a key the cookies named has a tombstone (then nothing) | the new key |
/// | unchanged | yes | updateTTL when the extension policy says so (every request, or less than its fraction left) | again if persistent and the TTL restarted |
///
/// A response never removes or replaces a cookie it did not decide to change: a key that merely failed to
/// resolve, or was found gone at commit, gets no removal cookie, and a request whose key was renewed away
/// or purged moments ago (its tombstone still there) starts no new session. The old key reads as empty
/// and its writes are dropped; it is never forwarded to the session that replaced it.
///
/// A cookie sealed with a previous secret is sealed anew only on a response that sets the cookie anyway (a
/// new key, a persistent cookie's refresh). Only a purge follows renews; a clear, or a renew of an empty
/// session, changes the contents under the key like any write.
///
/// After the handler failed (``Mode/abandon``) only what a failure must not undo is carried out: a purge
/// (with its tombstones and removal cookie), and a renew's end of its old key (a plain delete, with no
/// tombstone: the browser keeps that cookie, and no newer one exists for a tombstone to protect).
///
/// The commit makes no store call itself: ``next(after:)`` names the next call and takes the answer to
/// the previous one, so the engine drives it with `await` or, for an ``ImmediateSessionStore``, on the
/// calling thread, and the table above is written once.
struct SessionCommit {
    /// What the request's end means.
    enum Mode {
        /// The handler answered: commit the table above.
        case commit
        /// The handler failed: carry out a purge or a renew's end of its old key, drop everything else.
        case abandon
    }

    let core: SessionEngineCore
    let contents: HTTPSession.Contents
    let now: Date
    let logger: Logger
    let mode: Mode
    private(set) var headers = SessionResponseHeaders()
    private var stage = Stage.start

    /// Where the commit is: what it does with the answer to the call it last asked for.
    private enum Stage {
        case start
        case staleKeyDeleted
        /// A save answered: set the new key's cookie.
        case awaitingSave(ttl: Duration)
        /// An update or TTL update answered for the session under `key`.
        case awaitingUpdate(key: SessionKey, ttl: Duration)
        /// A renew answered for the session that was under `key`.
        case awaitingRenew(key: SessionKey, ttl: Duration)
        /// A delete or purge answered: remove the cookie or not.
        case awaitingDelete(removeCookie: Bool)
        /// A purge of `keys[index]` answered: purge the next of the request's verified keys, then remove the
        /// cookie or not.
        case awaitingPurges(keys: [SessionKey], index: Int, tombstoneTTL: Duration, removeCookie: Bool)
        /// The store said whether `keys[index]`, a key the request's cookies named, has a tombstone: if
        /// none of them has, save `state` (nothing when `nil`: a clear or removal with nothing to save).
        case awaitingTombstone(keys: [SessionKey], index: Int, state: SessionState?)
        case finished
    }

    init(core: SessionEngineCore, contents: HTTPSession.Contents, now: Date, logger: Logger, mode: Mode = .commit) {
        self.core = core
        self.contents = contents
        self.now = now
        self.logger = logger
        self.mode = mode
    }

    private var resolution: SessionResolution { contents.resolution }
    private var state: SessionState { resolution.state }
    /// Whether the session's cookie outlives the browser, as the configuration or the session says.
    private var isPersistent: Bool { core.expiry.cookieIsPersistent(for: state) }
    private var tombstoneTTL: Duration { core.configuration.tombstoneLifetime }

    /// The next store call, given the answer to the previous one (`nil` at first); `nil` when the commit
    /// is done and ``headers`` are final.
    /// - Throws: a store error for a state over the configured size or a cookie the browser would refuse
    ///   (over 4096 bytes).
    @inline(__always)
    mutating func next(after answer: SessionStoreAnswer?) throws -> SessionStoreCall? {
        switch stage {
        case .start:
            if mode == .abandon { return abandon() }
            if let staleKey = resolution.staleKey {
                return awaitDelete(staleKey, then: .staleKeyDeleted)
            }
            return try decide()
        case .staleKeyDeleted:
            return try decide()
        case .awaitingSave(let ttl):
            guard case .saved(let key) = answer else { preconditionFailure("a save is answered with its key") }
            try issueCookie(for: key, ttl: ttl, onOversize: SaveError.serialization)
            return finish()
        case .awaitingUpdate(let key, let ttl):
            guard case .updated(let result) = answer else { preconditionFailure("an update is answered with its result") }
            try handle(result, previousKey: key, ttl: ttl)
            return finish()
        case .awaitingRenew(let key, let ttl):
            guard case .updated(let result) = answer else { preconditionFailure("a renew is answered with its result") }
            switch result {
            case .updated(let newKey):
                try issueCookie(for: newKey, ttl: ttl, onOversize: UpdateError.serialization)
            case .gone:
                logger.info("session ended before its renew; nothing was written", metadata: ["session": "\(key.fingerprint)"])
                // A bare key rotation that lost to another request's renew lost nothing the request asked for.
                headers.changesDropped = !contents.changes.isEmpty || contents.renewal == .newAuthentication
            }
            return finish()
        case .awaitingDelete(let remove):
            if remove { removeCookie() }
            return finish()
        case .awaitingPurges(let keys, let index, let tombstoneTTL, let remove):
            return purgeEach(keys, from: index + 1, tombstoneTTL: tombstoneTTL, removeCookie: remove)
        case .awaitingTombstone(let keys, let index, let state):
            guard case .tombstone(let present) = answer else { preconditionFailure("a tombstone check is answered with a yes or no") }
            if present {
                logger.info(
                    "request carried the key of a session renewed or logged out moments ago; its changes were dropped",
                    metadata: ["session": "\(keys[index].fingerprint)"]
                )
                headers.changesDropped = true
                return finish()
            }
            return try askForTombstone(keys, from: index + 1, else: state)
        case .finished:
            return nil
        }
    }

    /// The table above, from the status and the key: the request's main store call.
    private mutating func decide() throws -> SessionStoreCall? {
        guard let key = resolution.key else {
            switch contents.status {
            case .purged:
                // A key that verified but named no live session may have been renewed moments ago by another
                // request (a login in another tab): its purge follows the tombstone to the session it moved to.
                return purgeEach(resolution.unresolvedKeys ?? [], from: 0, tombstoneTTL: tombstoneTTL, removeCookie: resolution.cookie != .absent)
            case .renewed where contents.renewal == .newAuthentication:
                // A new authentication on a fresh session: the request decided to set a cookie.
                return state.isEmpty ? finish() : try save(state)
            case .renewed, .changed:
                // A key rotation of a session that no longer resolves has nothing to rotate: it is a write. A
                // clear or removal that leaves nothing to save is asked about too: if the key was renewed or
                // logged out moments ago, the request's changes were dropped and it must say so.
                guard !state.isEmpty || !contents.changes.isEmpty else { return finish() }
                return try askForTombstone(resolution.unresolvedKeys ?? [], from: 0, else: state.isEmpty ? nil : state)
            case .unchanged:
                return finish()
            }
        }
        // A change that brought a renewal with it (a lifecycle chosen) moves the key as a renew does.
        let status = contents.status == .changed && contents.renewal != nil ? .renewed : contents.status
        switch status {
        case .purged:
            return awaitPurge(key)
        case .renewed:
            // An empty session is renewed like any other: only a purge follows renews and ends the session.
            try checkSize(of: contents.resolution.state)
            let renewed = core.expiry.renewed(state, for: contents.renewal, now: now)
            let ttl = core.expiry.ttl(for: renewed, now: now)
            stage = .awaitingRenew(key: key, ttl: ttl)
            // The engine, not the store, draws the new key: asked again with the same key, a store answers
            // what a renew whose answer never came did (see `SessionEngine.answerAskingAgain`).
            return .renew(key, as: SessionKey.generate(), to: renewed, changes: contents.changes, ttl: ttl, tombstoneTTL: tombstoneTTL)
        case .changed:
            // A clear to nothing is a change of the contents under the same key, not a logout: it must not
            // follow a concurrent login's renew and end the new session.
            try checkSize(of: contents.resolution.state)
            let ttl = core.expiry.ttl(for: state, now: now)
            stage = .awaitingUpdate(key: key, ttl: ttl)
            return .update(key, to: state, changes: contents.changes, ttl: ttl)
        case .unchanged:
            let lifecycle = core.expiry.lifecycle(of: state)
            let ttl = core.expiry.ttl(for: state, lifecycle: lifecycle, now: now)
            if core.expiry.restartsTTL(expiringAt: resolution.expiresAt, ttl: ttl, lifecycle: lifecycle, now: now) {
                stage = .awaitingUpdate(key: key, ttl: ttl)
                return .updateTTL(key, ttl: ttl)
            }
            return finish()
        }
    }

    /// After a failed handler: a purge is carried out as in a commit, tombstones and removal cookie
    /// included (a cookie store's session ends only so), and so is a renew's end of the old key (the renewed
    /// state is not saved), as a plain delete with no tombstone: the browser keeps its cookie after a failed
    /// renew, and its next write should start a session rather than be dropped as stale. Nothing else is
    /// written.
    private mutating func abandon() -> SessionStoreCall? {
        guard let key = resolution.key else {
            guard contents.status == .purged else { return finish() }
            return purgeEach(resolution.unresolvedKeys ?? [], from: 0, tombstoneTTL: tombstoneTTL, removeCookie: resolution.cookie != .absent)
        }
        switch contents.status {
        case .purged:
            // A logout: it also ends the session wherever a concurrent renew moved it.
            return ask(.purge(key, tombstoneTTL: tombstoneTTL), then: .awaitingDelete(removeCookie: true))
        case .renewed:
            // This request's own renew failed: end only the key it held. A concurrent request may have moved
            // the session on by a login of its own, which is not this request's to undo.
            return ask(.delete(key), then: .awaitingDelete(removeCookie: false))
        case .changed, .unchanged:
            return finish()
        }
    }

    /// Asks about the tombstone of each of `keys` from `index` on, then saves `state` (if any) if none has one.
    private mutating func askForTombstone(_ keys: [SessionKey], from index: Int, else state: SessionState?) throws -> SessionStoreCall? {
        guard index < keys.count else {
            guard let state else { return finish() }
            return try save(state)
        }
        stage = .awaitingTombstone(keys: keys, index: index, state: state)
        return .hasTombstone(keys[index])
    }

    /// Saves `state` under a new key and sets its cookie.
    private mutating func save(_ state: SessionState) throws -> SessionStoreCall {
        try checkSize(of: state)
        let ttl = core.expiry.ttl(for: state, now: now)
        stage = .awaitingSave(ttl: ttl)
        return .save(state, ttl: ttl)
    }

    /// Purges each of `keys` from `index` on, then removes the cookie or not.
    private mutating func purgeEach(_ keys: [SessionKey], from index: Int, tombstoneTTL: Duration, removeCookie remove: Bool) -> SessionStoreCall? {
        guard index < keys.count else {
            if remove { removeCookie() }
            return finish()
        }
        stage = .awaitingPurges(keys: keys, index: index, tombstoneTTL: tombstoneTTL, removeCookie: remove)
        return .purge(keys[index], tombstoneTTL: tombstoneTTL)
    }

    private mutating func awaitPurge(_ key: SessionKey) -> SessionStoreCall {
        ask(.purge(key, tombstoneTTL: tombstoneTTL), then: .awaitingDelete(removeCookie: true))
    }

    private mutating func awaitDelete(_ key: SessionKey, then stage: Stage) -> SessionStoreCall {
        ask(.delete(key), then: stage)
    }

    private mutating func ask(_ call: SessionStoreCall, then stage: Stage) -> SessionStoreCall {
        self.stage = stage
        return call
    }

    private mutating func finish() -> SessionStoreCall? {
        stage = .finished
        return nil
    }

    private mutating func handle(_ result: SessionUpdateResult, previousKey: SessionKey, ttl: Duration) throws {
        switch result {
        case .updated(let key):
            // A cookie sealed with a previous secret is sealed anew only on a response that sets the cookie
            // anyway: re-sending an unchanged key could land after a concurrent login's cookie and undo it.
            if key != previousKey || isPersistent {
                try issueCookie(for: key, ttl: ttl, onOversize: UpdateError.serialization)
            }
        case .gone:
            // No removal cookie: the browser may already hold the cookie of the session that replaced this
            // one (a renew by a concurrent request), and this response would arrive after it.
            guard contents.status == .changed else { return }  // a TTL refresh changed nothing
            logger.info(
                "session ended while the request ran; its changes were dropped",
                metadata: ["session": "\(previousKey.fingerprint)"]
            )
            headers.changesDropped = true
        }
    }

    /// Refuses a write that leaves the session's JSON over the configured cap: the request's input is at
    /// fault (422). A request that only removes may always shrink a session, whatever its size.
    @inline(__always)
    private func checkSize(of state: borrowing SessionState) throws {
        guard !contents.changes.setKeys.isEmpty else { return }
        let limit = core.configuration.maximumStateSize
        let size = state.encodedSizeEstimate(upTo: limit)
        guard size <= limit else {
            let message = SessionStoreMessage("the session state is over its \(limit)-byte limit (at least \(size) bytes of JSON)")
            // The error of the call the commit would have made: adapters answer a serialization error with 422.
            throw resolution.key == nil ? SaveError.serialization(message) as any Error : UpdateError.serialization(message)
        }
    }

    private mutating func issueCookie<Failure: Error>(for key: SessionKey, ttl: Duration, onOversize: (any Error) -> Failure) throws {
        // The same key as the cookie that came, opened with the current secret: send that value back rather
        // than seal again, which would spend a fresh nonce on every request of a persistent session.
        let value: String
        if key == resolution.key, let cookieValue = resolution.cookieValue {
            value = String(cookieValue)
        } else {
            value = core.sealCookie(key.rawValue)
        }
        let size = core.configuration.cookie.name.utf8.count + value.utf8.count
        guard size <= SessionEngineCore.maximumCookieSize else {
            throw onOversize(
                SessionStoreMessage(
                    "the session cookie would be \(size) bytes (name + value), over the \(SessionEngineCore.maximumCookieSize)-byte limit"
                )
            )
        }
        let maxAge = core.expiry.cookieMaxAge(for: ttl, persistent: isPersistent)
        headers.setCookies.append(
            core.setCookie.issue(value: value, maxAge: maxAge, nowUnixSeconds: Int64(now.timeIntervalSince1970.rounded(.down)))
        )
    }

    private mutating func removeCookie() {
        headers.setCookies.append(core.setCookie.removal())
    }
}
