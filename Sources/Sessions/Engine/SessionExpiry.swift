#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every rule of how long a session lives, in one place: the lifecycle's time to live (the configuration's,
/// or one the session chose with `HTTPSession.setLifecycle`), when it restarts (the extension policy), the
/// absolute timeout and what restarts it, and the cookie's `Max-Age`.
///
/// The resolver and the commit ask it; neither reads those parts of the configuration itself, so changing
/// an expiry rule changes this file.
struct SessionExpiry: Sendable {
    /// The state's time to live, restarted by every write (and by every request under `.onEveryRequest`).
    let ttl: Duration
    /// The cap on a session's whole life, counted from its creation, or from its latest new authentication.
    let absoluteTimeout: Duration?
    /// Whether the cookie outlives the browser (it carries `Max-Age`), so that every TTL restart sends it
    /// again, unless the session chose otherwise.
    let cookieIsPersistent: Bool
    /// When a request that changes nothing still restarts the TTL.
    let extensionPolicy: SessionConfiguration.TTLExtension.Policy

    init(configuration: SessionConfiguration) {
        ttl = configuration.lifecycle.ttl
        absoluteTimeout = configuration.absoluteTimeout
        cookieIsPersistent = configuration.lifecycle.isPersistent
        extensionPolicy = configuration.ttlExtension.policy
    }

    /// The lifecycle `state` lives by: its own (``HTTPSession/lifecycleEntry``) or the configuration's.
    @inline(__always)
    func lifecycle(of state: SessionState) -> SessionLifecycle {
        // An empty session holds no entry: no lookup on the path of a request that starts one.
        guard !state.entries.isEmpty, let entry = state.entries[HTTPSession.lifecycleEntry], let own = SessionLifecycle(entry: entry) else {
            return SessionLifecycle(isPersistent: cookieIsPersistent, ttl: ttl)
        }
        return own
    }

    /// Whether `state`'s cookie outlives the browser.
    func cookieIsPersistent(for state: SessionState) -> Bool {
        lifecycle(of: state).isPersistent
    }

    /// The TTL for `state` at `now`: its lifecycle's, cut short by the absolute timeout when one is set.
    func ttl(for state: SessionState, now: Date) -> Duration {
        ttl(for: state, lifecycle: lifecycle(of: state), now: now)
    }

    /// ``ttl(for:now:)`` for `state`, whose lifecycle is known.
    func ttl(for state: SessionState, lifecycle: SessionLifecycle, now: Date) -> Duration {
        let ttl = lifecycle.ttl
        guard let absoluteTimeout else { return ttl }
        // In seconds, as doubles: the creation time comes from the store and may be anything, and a
        // `Duration` made from an absurd one would trap. The configuration caps both bounds at ten years.
        let remaining = absoluteTimeout.inSeconds - now.timeIntervalSince(state.createdAt)
        guard remaining < ttl.inSeconds else { return ttl }
        return .milliseconds(max(1, Int64(max(0, remaining) * 1000)))
    }

    /// Whether a request that read the session and changed nothing restarts its TTL: never, always, or when
    /// the store says less than the policy's fraction of `ttl` (what a restart would give it now, cut by the
    /// absolute timeout) is left. A store that cannot say (`expiresAt` is `nil`) gets it restarted.
    ///
    /// A persistent cookie lives at most 400 days from its last `Set-Cookie`, sent with the last restart:
    /// when the session's full TTL (the lifecycle's) is longer, the fraction is of what the cookie has left,
    /// counted from the earliest that last restart can have been, so that a reader's cookie is sent again
    /// before the browser drops it.
    func restartsTTL(expiringAt expiresAt: Date?, ttl: Duration, lifecycle: SessionLifecycle, now: Date) -> Bool {
        switch extensionPolicy {
        case .onStateChanges:
            return false
        case .onEveryRequest:
            return true
        case .whenRemainingBelow(let fraction):
            guard let expiresAt else { return true }
            let remaining = expiresAt.timeIntervalSince(now)
            let cookieAge = SessionConfiguration.maximumCookieAge.inSeconds
            if lifecycle.isPersistent, lifecycle.ttl.inSeconds > cookieAge {
                // The last restart was at least the lifecycle's TTL before the expiry; its cookie dies `cookieAge` after it.
                let cookieRemaining = remaining - (lifecycle.ttl.inSeconds - cookieAge)
                if cookieRemaining < fraction * cookieAge { return true }
            }
            return remaining < fraction * ttl.inSeconds
        }
    }

    /// Whether `state` has lived past the absolute timeout at `now`: it is then no session at all.
    func hasOutlivedAbsoluteTimeout(_ state: SessionState, now: Date) -> Bool {
        guard let absoluteTimeout else { return false }
        return now.timeIntervalSince(state.createdAt) >= absoluteTimeout.inSeconds
    }

    /// `state` as a renew moves it: a new authentication starts a new absolute-timeout window at `now`, a
    /// key rotation keeps the window's start (so that a session rotated forever still ends).
    func renewed(_ state: SessionState, for renewal: SessionRenewal?, now: Date) -> SessionState {
        SessionState(state.entries, createdAt: renewal == .newAuthentication ? now : state.createdAt)
    }

    /// The cookie's `Max-Age` for a state that lives `ttl`: none for a browser-session cookie, and at most
    /// 400 days, the longest browsers keep a cookie (RFC 6265bis), with `Expires` computed from it.
    func cookieMaxAge(for ttl: Duration, persistent: Bool) -> Int64? {
        persistent ? min(ttl, SessionConfiguration.maximumCookieAge).components.seconds : nil
    }
}
