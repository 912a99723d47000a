import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request's end: actix-session's response table, with lazy load, stale-cookie clearing and
/// no resurrection on top.
///
/// | status | valid key | what happens |
/// |---|---|---|
/// | purged | yes | delete; removal cookie |
/// | purged | no | removal cookie if a cookie came |
/// | renewed | any | save non-empty state under a new key and set it, then delete the old key |
/// | changed | yes | update (merge); cookie again if the key changed, the cookie is persistent or was rotated; gone → removal cookie |
/// | changed | no | save non-empty state under a new key and set it |
/// | unchanged | yes | updateTTL under on-every-request; cookie again if persistent or rotated |
/// | any | no, with state empty | removal cookie if an invalid cookie came |
///
/// The commit makes no store call itself: ``next(after:)`` names the next call and takes the answer to
/// the previous one, so the engine drives it with `await` or, for an ``ImmediateSessionStore``, on the
/// calling thread, and the table above is written once.
struct SessionCommit {
    let core: SessionEngineCore
    let contents: Session.Contents
    let now: Date
    let logger: Logger
    private(set) var headers = SessionResponseHeaders()
    private var stage = Stage.start

    /// Where the commit is: what it does with the answer to the call it last asked for.
    private enum Stage {
        case start
        case staleKeyDeleted
        /// A save answered: set the new key's cookie, then delete `thenDelete` if there is one.
        case awaitingSave(ttl: Duration, thenDelete: SessionKey?)
        /// An update or TTL update answered for the session under `key`.
        case awaitingUpdate(key: SessionKey, ttl: Duration)
        /// A delete answered: remove the cookie or not.
        case awaitingDelete(removeCookie: Bool)
        case finished
    }

    init(core: SessionEngineCore, contents: Session.Contents, now: Date, logger: Logger) {
        self.core = core
        self.contents = contents
        self.now = now
        self.logger = logger
    }

    private var resolution: SessionResolution { contents.resolution }
    private var state: SessionState { resolution.state }
    private var isPersistent: Bool { core.configuration.lifecycle.isPersistent }
    private var wasRotated: Bool { resolution.cookie == .valid(rotated: true) }

    /// The next store call, given the answer to the previous one (`nil` at first); `nil` when the commit
    /// is done and ``headers`` are final.
    /// - Throws: a store error for a cookie the browser would refuse (over 4096 bytes).
    mutating func next(after answer: SessionStoreAnswer?) throws -> SessionStoreCall? {
        switch stage {
        case .start:
            if let staleKey = resolution.staleKey {
                return awaitDelete(staleKey, then: .staleKeyDeleted)
            }
            return try decide()
        case .staleKeyDeleted:
            return try decide()
        case .awaitingSave(let ttl, let thenDelete):
            guard case .saved(let key) = answer else { preconditionFailure("a save is answered with its key") }
            try issueCookie(for: key, ttl: ttl, onOversize: SaveError.serialization)
            return finish(thenDelete: thenDelete)
        case .awaitingUpdate(let key, let ttl):
            guard case .updated(let result) = answer else { preconditionFailure("an update is answered with its result") }
            try handle(result, previousKey: key, ttl: ttl)
            return finish(thenDelete: nil)
        case .awaitingDelete(let remove):
            if remove { removeCookie() }
            return finish(thenDelete: nil)
        case .finished:
            return nil
        }
    }

    /// The table above, from the status and the key: the request's main store call.
    private mutating func decide() throws -> SessionStoreCall? {
        guard let key = resolution.key else {
            switch contents.status {
            case .purged:
                if resolution.cookie != .absent { removeCookie() }
                return finish(thenDelete: nil)
            case .renewed, .changed, .unchanged:
                return saveOrRemove(state.isEmpty ? nil : state, thenDelete: nil)
            }
        }
        switch contents.status {
        case .purged:
            return awaitDelete(key, then: .awaitingDelete(removeCookie: true))
        case .renewed:
            // Save before deleting: if the save fails, the old session is still there, and nothing is lost.
            return saveOrRemove(state.isEmpty ? nil : SessionState(state.entries, createdAt: now), thenDelete: key)
        case .changed:
            if contents.changes.cleared && state.isEmpty {
                return awaitDelete(key, then: .awaitingDelete(removeCookie: true))
            }
            let ttl = core.ttl(for: state, now: now)
            stage = .awaitingUpdate(key: key, ttl: ttl)
            return .update(key, to: state, changes: contents.changes, ttl: ttl)
        case .unchanged:
            let ttl = core.ttl(for: state, now: now)
            if core.configuration.ttlExtension == .onEveryRequest {
                stage = .awaitingUpdate(key: key, ttl: ttl)
                return .updateTTL(key, ttl: ttl)
            }
            if wasRotated {
                try issueCookie(for: key, ttl: ttl, onOversize: UpdateError.serialization)
            }
            return finish(thenDelete: nil)
        }
    }

    /// Saves `state` under a new key and sets its cookie; with no state, clears any cookie that came.
    /// Then deletes `thenDelete`, if any.
    private mutating func saveOrRemove(_ state: SessionState?, thenDelete: SessionKey?) -> SessionStoreCall? {
        guard let state else {
            if resolution.cookie != .absent { removeCookie() }
            return finish(thenDelete: thenDelete)
        }
        let ttl = core.ttl(for: state, now: now)
        stage = .awaitingSave(ttl: ttl, thenDelete: thenDelete)
        return .save(state, ttl: ttl)
    }

    private mutating func awaitDelete(_ key: SessionKey, then stage: Stage) -> SessionStoreCall {
        self.stage = stage
        return .delete(key)
    }

    /// Deletes `key` last, or ends the commit.
    private mutating func finish(thenDelete key: SessionKey?) -> SessionStoreCall? {
        guard let key else {
            stage = .finished
            return nil
        }
        return awaitDelete(key, then: .awaitingDelete(removeCookie: false))
    }

    private mutating func handle(_ result: SessionUpdateResult, previousKey: SessionKey, ttl: Duration) throws {
        switch result {
        case .updated(let key):
            if key != previousKey || isPersistent || wasRotated {
                try issueCookie(for: key, ttl: ttl, onOversize: UpdateError.serialization)
            }
        case .gone:
            logger.info(
                "session ended while the request ran; its changes were dropped",
                metadata: ["session": "\(previousKey.fingerprint)"]
            )
            removeCookie()
        }
    }

    private mutating func issueCookie<Failure: Error>(for key: SessionKey, ttl: Duration, onOversize: (any Error) -> Failure) throws {
        let value = core.codec.seal(key.rawValue)
        let size = core.configuration.cookie.name.utf8.count + value.utf8.count
        guard size <= SessionEngineCore.maximumCookieSize else {
            throw onOversize(
                SessionStoreMessage(
                    "the session cookie would be \(size) bytes (name + value), over the \(SessionEngineCore.maximumCookieSize)-byte limit"
                )
            )
        }
        let maxAge: Int64? = isPersistent ? min(ttl, SessionConfiguration.maximumCookieAge).components.seconds : nil
        headers.setCookies.append(
            core.setCookie.issue(value: value, maxAge: maxAge, nowUnixSeconds: Int64(now.timeIntervalSince1970.rounded(.down)))
        )
    }

    private mutating func removeCookie() {
        headers.setCookies.append(core.setCookie.removal())
    }
}
