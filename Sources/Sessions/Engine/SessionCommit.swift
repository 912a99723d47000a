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
struct SessionCommit<Store: SessionStore> {
    let engine: SessionEngine<Store>
    let contents: Session.Contents
    let now: Date
    let logger: Logger
    private(set) var headers = SessionResponseHeaders()

    init(engine: SessionEngine<Store>, contents: Session.Contents, now: Date, logger: Logger) {
        self.engine = engine
        self.contents = contents
        self.now = now
        self.logger = logger
    }

    private var store: Store { engine.store }
    private var resolution: SessionResolution { contents.resolution }
    private var state: SessionState { resolution.state }
    private var isPersistent: Bool { engine.configuration.lifecycle.isPersistent }
    private var wasRotated: Bool { resolution.cookie == .valid(rotated: true) }

    mutating func run() async throws {
        if let staleKey = resolution.staleKey {
            try await store.delete(staleKey)
        }
        guard let key = resolution.key else {
            try await commitWithoutKey()
            return
        }
        switch contents.status {
        case .purged:
            try await store.delete(key)
            removeCookie()
        case .renewed:
            // Save before deleting: if the save fails, the old session is still there, and nothing is lost.
            try await saveOrRemove(state.isEmpty ? nil : SessionState(state.entries, createdAt: now))
            try await store.delete(key)
        case .changed:
            if contents.changes.cleared && state.isEmpty {
                try await store.delete(key)
                removeCookie()
            } else {
                let ttl = engine.ttl(for: state, now: now)
                let result = try await store.update(key, to: state, changes: contents.changes, ttl: ttl)
                try handle(result, previousKey: key, ttl: ttl)
            }
        case .unchanged:
            let ttl = engine.ttl(for: state, now: now)
            if engine.configuration.ttlExtension == .onEveryRequest {
                let result = try await store.updateTTL(key, ttl: ttl)
                try handle(result, previousKey: key, ttl: ttl)
            } else if wasRotated {
                try issueCookie(for: key, ttl: ttl, onOversize: UpdateError.serialization)
            }
        }
    }

    private mutating func commitWithoutKey() async throws {
        switch contents.status {
        case .purged:
            if resolution.cookie != .absent { removeCookie() }
        case .renewed, .changed, .unchanged:
            try await saveOrRemove(state.isEmpty ? nil : state)
        }
    }

    /// Saves `state` under a new key and sets its cookie; with no state, clears any cookie that came.
    private mutating func saveOrRemove(_ state: SessionState?) async throws {
        guard let state else {
            if resolution.cookie != .absent { removeCookie() }
            return
        }
        let ttl = engine.ttl(for: state, now: now)
        let key = try await store.save(state, ttl: ttl)
        try issueCookie(for: key, ttl: ttl, onOversize: SaveError.serialization)
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
        let value = engine.codec.seal(key.rawValue)
        let size = engine.configuration.cookie.name.utf8.count + value.utf8.count
        guard size <= SessionEngine<Store>.maximumCookieSize else {
            throw onOversize(
                SessionStoreMessage(
                    "the session cookie would be \(size) bytes (name + value), over the \(SessionEngine<Store>.maximumCookieSize)-byte limit"
                )
            )
        }
        let maxAge: Int64? = isPersistent ? min(ttl, SessionConfiguration.maximumCookieAge).components.seconds : nil
        headers.setCookies.append(
            engine.setCookie.issue(value: value, maxAge: maxAge, nowUnixSeconds: Int64(now.timeIntervalSince1970.rounded(.down)))
        )
    }

    private mutating func removeCookie() {
        headers.setCookies.append(engine.setCookie.removal())
    }
}
