import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request's lazy load without the store call: which cookie's key to load next, and what each answer
/// means. The engine drives it with an `await`ed load, or on the calling thread for an
/// ``ImmediateSessionStore``; the rules are written once, here.
///
/// Every cookie value under the session's name is tried in header order (a browser may send a stale
/// one first): the first that opens, holds a valid key and names a live session within its absolute
/// timeout wins.
struct SessionResolver {
    private let core: SessionEngineCore
    private let logger: Logger
    private let now: Date
    private let candidates: CookieCandidates
    private var next = 0
    /// Whether the cookie of the key being loaded was sealed with a previous secret.
    private var openedWithPreviousSecret = false
    private(set) var resolution: SessionResolution

    init(core: SessionEngineCore, cookieHeader: String?, logger: Logger) {
        self.core = core
        self.logger = logger
        self.now = core.clock.now
        self.candidates = CookieHeader.values(named: core.configuration.cookie.name, in: cookieHeader ?? "")
        self.resolution = SessionResolution(key: nil, state: SessionState(createdAt: now), cookie: candidates.isEmpty ? .absent : .invalid)
    }

    /// The verified key of the next cookie to load, or `nil` when none is left: ``resolution`` is final.
    mutating func nextKey() -> SessionKey? {
        while next < candidates.endIndex {
            let value = candidates[next]
            next += 1
            guard let opened = core.openCookie(value) else {
                logger.warning("session cookie failed verification: tampered, or sealed with an unknown secret")
                continue
            }
            guard let key = opened.key ?? (try? SessionKey(validating: opened.payload)) else {
                logger.warning("session cookie verified but holds no valid session key")
                continue
            }
            openedWithPreviousSecret = opened.usedPreviousSecret
            return key
        }
        return nil
    }

    /// Takes the store's answer for `key` (from ``nextKey()``); returns `true` when it settles the
    /// resolution, `false` to go on with the next cookie.
    /// - Throws: ``SessionError`` with kind ``SessionError/Kind/loadFailed`` when the store failed.
    mutating func accept(_ answer: Result<SessionRecord?, LoadError>, for key: SessionKey) throws(SessionError) -> Bool {
        let loaded: SessionRecord?
        switch answer {
        case .success(let record):
            loaded = record
        case .failure(let error) where error.kind == .deserialization:
            logger.warning("session state unreadable; starting afresh", metadata: ["session": "\(key.fingerprint)", "error": "\(error)"])
            resolution.staleKey = key
            return false
        case .failure(let error):
            logger.error("session load failed", metadata: ["session": "\(key.fingerprint)", "error": "\(error)"])
            throw SessionError(.loadFailed, underlying: error)
        }
        guard let loaded else {
            logger.debug("session cookie names no live session", metadata: ["session": "\(key.fingerprint)"])
            resolution.unresolvedKeys = (resolution.unresolvedKeys ?? []) + [key]
            return false
        }
        if core.expiry.hasOutlivedAbsoluteTimeout(loaded.state, now: now) {
            logger.debug("session reached its absolute timeout", metadata: ["session": "\(key.fingerprint)"])
            resolution.staleKey = key
            return false
        }
        resolution.key = key
        resolution.state = loaded.state
        resolution.expiresAt = loaded.expiresAt
        resolution.cookie = .valid(rotated: openedWithPreviousSecret)
        // Only a persistent cookie is ever sent again under the same key; a browser-session one is not.
        if !openedWithPreviousSecret, core.expiry.cookieIsPersistent(for: loaded.state) {
            resolution.cookieValue = candidates[next - 1]
        }
        return true
    }
}

extension SessionEngineCore {
    /// Loads the session a request's cookie names (or a fresh one), `await`ing the store.
    func resolve(cookieHeader: String?, logger: Logger) async throws(SessionError) -> SessionResolution {
        var resolver = SessionResolver(core: self, cookieHeader: cookieHeader, logger: logger)
        while let key = resolver.nextKey() {
            let answer: Result<SessionRecord?, LoadError>
            do {
                answer = .success(try await store.loadRecord(key))
            } catch {
                answer = .failure(error)
            }
            if try resolver.accept(answer, for: key) { break }
        }
        return resolver.resolution
    }

    /// The resolution made on the calling thread, or `nil` when the store would have to wait.
    func resolveImmediately(cookieHeader: String?, logger: Logger) throws(SessionError) -> SessionResolution? {
        guard let immediateStore else { return nil }
        var resolver = SessionResolver(core: self, cookieHeader: cookieHeader, logger: logger)
        while let key = resolver.nextKey() {
            if try resolver.accept(Result { () throws(LoadError) in try immediateStore.loadRecordImmediately(key) }, for: key) { break }
        }
        return resolver.resolution
    }
}
