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
    /// Cookie values this engine sealed or verified, and what they opened to.
    let openedCookies: OpenedCookieCache
    let clock: any SessionClock
    let setCookie: SetCookie
    /// How long sessions live: every expiry rule, in one place.
    let expiry: SessionExpiry

    init(store: any SessionStore, configuration: SessionConfiguration, codec: SessionCookieCodec, clock: any SessionClock, setCookie: SetCookie) {
        self.store = store
        self.immediateStore = store as? any ImmediateSessionStore
        self.configuration = configuration
        self.codec = codec
        self.openedCookies = OpenedCookieCache(capacity: 10_000)
        self.clock = clock
        self.setCookie = setCookie
        self.expiry = SessionExpiry(configuration: configuration)
    }
}
