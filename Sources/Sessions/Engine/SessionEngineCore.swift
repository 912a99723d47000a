import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything a ``SessionEngine`` holds, behind one reference and without the store's type.
///
/// Every request's ``HTTPSession`` keeps it to load itself, and the rules (`SessionResolver`, `SessionCommit`)
/// read it, so none of them is generic over the store. An adapter calls the engine from its own module,
/// where the library's generic code runs unspecialized and looks up the runtime metadata of every generic
/// type it touches: when these were generic, that cost about 2,000 instructions per request
/// (`scripts/request-cost`).
final class SessionEngineCore: Sendable {
    /// Browsers ignore cookies whose name and value together exceed this many bytes.
    static let maximumCookieSize = 4096

    let store: any SessionStore
    /// The store again when it answers on the calling thread: looked up once, not per request.
    let immediateStore: (any ImmediateSessionStore)?
    let configuration: SessionConfiguration
    let codec: SessionCookieCodec
    let clock: any SessionClock
    let setCookie: SetCookie

    init(store: any SessionStore, configuration: SessionConfiguration, codec: SessionCookieCodec, clock: any SessionClock, setCookie: SetCookie) {
        self.store = store
        self.immediateStore = store as? any ImmediateSessionStore
        self.configuration = configuration
        self.codec = codec
        self.clock = clock
        self.setCookie = setCookie
    }

    /// The TTL for `state` at `now`: the lifecycle's, cut short by the absolute timeout when one is set.
    func ttl(for state: SessionState, now: Date) -> Duration {
        let base = configuration.lifecycle.ttl
        guard let absoluteTimeout = configuration.absoluteTimeout else { return base }
        // In seconds, as doubles: the creation time comes from the store and may be anything, and a
        // `Duration` made from an absurd one would trap. The configuration caps both bounds at ten years.
        let remaining = absoluteTimeout.inSeconds - now.timeIntervalSince(state.createdAt)
        guard remaining < base.inSeconds else { return base }
        return .milliseconds(max(1, Int64(max(0, remaining) * 1000)))
    }

    func hasOutlivedAbsoluteTimeout(_ state: SessionState, now: Date) -> Bool {
        guard let absoluteTimeout = configuration.absoluteTimeout else { return false }
        return now.timeIntervalSince(state.createdAt) >= absoluteTimeout.inSeconds
    }
}
