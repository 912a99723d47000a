/// How sessions behave: the cookie, how its content is protected, how long sessions live.
///
/// ```swift
/// var configuration = SessionConfiguration()
/// configuration.lifecycle = .persistent(ttl: .seconds(7 * 86_400))
/// configuration.ttlExtension = .onEveryRequest
/// configuration.absoluteTimeout = .seconds(30 * 86_400)
/// ```
public struct SessionConfiguration: Sendable, Hashable {
    /// The cookie's name and attributes.
    public var cookie: SessionCookieConfiguration
    /// Whether the cookie's content is encrypted (the default) or only signed.
    public var security: CookieSecurity
    /// Browser-session or persistent cookies, and the state's time to live.
    public var lifecycle: SessionLifecycle
    /// When a session's time to live restarts.
    public var ttlExtension: TTLExtension
    /// A cap on a session's total life from its creation, however active it stays; `nil` for none.
    ///
    /// A renew for ``SessionRenewal/newAuthentication`` starts a new window; one for
    /// ``SessionRenewal/keyRotation`` keeps the session's start.
    public var absoluteTimeout: Duration?
    /// How long after a renew or a logout a request still carrying the old key neither removes nor replaces
    /// the browser's cookie: its writes are dropped instead of starting a new session whose cookie would
    /// overwrite the fresh login (single-page apps fire requests in parallel at login). The store keeps a
    /// tombstone under the old key this long, or ``longestRequest`` when that is longer: at least a second.
    public var staleCookieGracePeriod: Duration
    /// The longest a request runs from its first touch of the session to the end of its commit (default 60
    /// seconds). A key a renew or purge ended keeps its tombstone at least this long, so that a logout by a
    /// request that loaded the session before a concurrent renew follows that renew to the new key however
    /// short ``staleCookieGracePeriod`` is (a request slower than this can miss it). Within that time a
    /// write carrying the old key is dropped too, and a renew whose answer was lost is asked again: keep it
    /// above the store's call timeout.
    public var longestRequest: Duration
    /// The most bytes of JSON one session may hold: a write that leaves it larger is refused (HTTP 422), so
    /// that no client grows the store without bound through one session. Removals are always allowed.
    public var maximumStateSize: Int
    /// Whether a request whose session changes were dropped (its session ended, or another request renewed
    /// its key away, while it ran) is answered 409 Conflict instead of the handler's response, so that no
    /// client takes a lost write for a kept one (the default). Turn it off to send the handler's response
    /// as it is (an adapter that calls `SessionEngine.commit` itself still sees
    /// `SessionResponseHeaders.changesDropped`). A handler with side effects beyond the session (an order
    /// placed) should not treat a 409 as "nothing happened": only its session changes were dropped.
    public var answersDroppedChangesWithConflict: Bool

    /// Creates a configuration; every argument has a production default.
    public init(
        cookie: SessionCookieConfiguration = .init(),
        security: CookieSecurity = .private,
        lifecycle: SessionLifecycle = .browserSession(),
        ttlExtension: TTLExtension = .default,
        absoluteTimeout: Duration? = nil,
        staleCookieGracePeriod: Duration = .seconds(60),
        longestRequest: Duration = .seconds(60),
        maximumStateSize: Int = 64 * 1024,
        answersDroppedChangesWithConflict: Bool = true
    ) {
        self.cookie = cookie
        self.security = security
        self.lifecycle = lifecycle
        self.ttlExtension = ttlExtension
        self.absoluteTimeout = absoluteTimeout
        self.staleCookieGracePeriod = staleCookieGracePeriod
        self.longestRequest = longestRequest
        self.maximumStateSize = maximumStateSize
        self.answersDroppedChangesWithConflict = answersDroppedChangesWithConflict
    }

    /// Browsers cap a cookie's `Max-Age` at 400 days (RFC 6265bis); longer values are clamped to it.
    public static let maximumCookieAge: Duration = .seconds(400 * 86_400)

    /// The longest TTL or absolute timeout accepted: ten years. Bounds every time computed from them, so no
    /// arithmetic on a request's path can overflow.
    public static let maximumLifetime: Duration = .seconds(10 * 366 * 86_400)

    /// How long a key a renew or purge ended keeps its tombstone: the longer of ``staleCookieGracePeriod`` and
    /// ``longestRequest``.
    public var tombstoneLifetime: Duration { max(staleCookieGracePeriod, longestRequest) }

    /// The longest ``staleCookieGracePeriod`` (and ``longestRequest``) accepted: one day.
    public static let maximumStaleCookieGracePeriod: Duration = .seconds(86_400)

    /// Checks the configuration for combinations browsers reject or that weaken security.
    /// - Throws: ``SessionConfigurationError`` naming the problem.
    public func validate() throws(SessionConfigurationError) {
        let name = cookie.name
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenCharacter) else {
            throw .invalid("cookie name '\(name)' must be a non-empty token (no spaces, separators or control characters)")
        }
        guard cookie.path.hasPrefix("/"), cookie.path.utf8.allSatisfy(Self.isAttributeCharacter) else {
            throw .invalid("cookie path '\(cookie.path)' must start with '/' and hold no ';' or control characters")
        }
        if let domain = cookie.domain {
            guard !domain.isEmpty, domain.utf8.allSatisfy(Self.isAttributeCharacter), !domain.contains(" ") else {
                throw .invalid("cookie domain '\(domain)' must be non-empty and hold no ';', spaces or control characters")
            }
        }
        // Browsers match the prefixes case-insensitively (RFC 6265bis), so `__host-id` gets the same checks.
        if Self.hasPrefix("__Host-", ignoringCase: name) {
            guard cookie.secure, cookie.path == "/", cookie.domain == nil else {
                throw .invalid("a '__Host-' cookie (matched in any case) needs Secure, Path=/ and no Domain")
            }
        }
        if Self.hasPrefix("__Secure-", ignoringCase: name), !cookie.secure {
            throw .invalid("a '__Secure-' cookie (matched in any case) needs Secure")
        }
        if cookie.sameSite == .none, !cookie.secure {
            throw .invalid("SameSite=None needs Secure")
        }
        if cookie.partitioned, !cookie.secure {
            throw .invalid("a Partitioned cookie needs Secure")
        }
        guard lifecycle.ttl > .zero else {
            throw .invalid("the session TTL must be positive")
        }
        guard lifecycle.ttl <= Self.maximumLifetime else {
            throw .invalid("the session TTL must be at most \(Self.maximumLifetime.components.seconds) seconds (ten years)")
        }
        if let absoluteTimeout {
            guard absoluteTimeout > .zero else {
                throw .invalid("the absolute timeout must be positive")
            }
            guard absoluteTimeout <= Self.maximumLifetime else {
                throw .invalid("the absolute timeout must be at most \(Self.maximumLifetime.components.seconds) seconds (ten years)")
            }
        }
        guard staleCookieGracePeriod >= .seconds(1), staleCookieGracePeriod <= Self.maximumStaleCookieGracePeriod else {
            throw .invalid("the stale-cookie grace period must be from 1 to \(Self.maximumStaleCookieGracePeriod.components.seconds) seconds")
        }
        guard longestRequest >= .seconds(1), longestRequest <= Self.maximumStaleCookieGracePeriod else {
            throw .invalid("the longest request must be from 1 to \(Self.maximumStaleCookieGracePeriod.components.seconds) seconds")
        }
        if case .whenRemainingBelow(let fraction) = ttlExtension.policy {
            guard fraction > 0, fraction <= 1 else {
                throw .invalid("the TTL extension's fraction must be above 0 and at most 1, not \(fraction)")
            }
        }
        guard maximumStateSize > 0 else {
            throw .invalid("the maximum session state size must be a positive number of bytes")
        }
    }

    private static func hasPrefix(_ prefix: String, ignoringCase name: String) -> Bool {
        let prefix = prefix.utf8
        let name = name.utf8
        guard name.count >= prefix.count else { return false }
        return zip(prefix, name).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func isAttributeCharacter(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: ";")
    }
}

/// How the cookie's content is protected.
public enum CookieSecurity: String, Sendable, Hashable, CaseIterable {
    /// AES-256-GCM: the content is secret and tamper-proof; the cookie's name is bound as associated data.
    case `private`
    /// HMAC-SHA256: the content is readable by the client but tamper-proof.
    case signed
}

/// Whether the cookie outlives the browser, and how long the session's state lives.
public struct SessionLifecycle: Sendable, Hashable {
    /// `true` for persistent cookies (`Max-Age`/`Expires` set to the TTL).
    public let isPersistent: Bool
    /// The state's time to live in the store (and the cookie's `Max-Age` when persistent).
    public let ttl: Duration

    /// A cookie that dies with the browser; the state lives `stateTTL` in the store (default one day).
    public static func browserSession(stateTTL: Duration = .seconds(86_400)) -> SessionLifecycle {
        .init(isPersistent: false, ttl: stateTTL)
    }

    /// A cookie and state that both live `ttl` (default one day).
    public static func persistent(ttl: Duration = .seconds(86_400)) -> SessionLifecycle {
        .init(isPersistent: true, ttl: ttl)
    }
}

extension SessionConfiguration {
    /// When a session's time to live restarts.
    ///
    /// A write always restarts it. The default, ``whenRemainingBelow(_:)`` with one half, also keeps a
    /// session that is only read alive, as users expect of "log out after a day of inactivity", at one
    /// store write per session per half TTL rather than one per request:
    ///
    /// ```swift
    /// var configuration = SessionConfiguration()
    /// configuration.ttlExtension = .whenRemainingBelow(0.25)  // a read restarts the TTL once 3/4 of it has passed
    /// ```
    public struct TTLExtension: Sendable, Hashable, CustomStringConvertible {
        enum Policy: Hashable {
            case onStateChanges
            case onEveryRequest
            case whenRemainingBelow(Double)
        }

        let policy: Policy

        /// Only when a request changes the session: a session that is only read expires a TTL after its
        /// last write.
        public static let onStateChanges = TTLExtension(policy: .onStateChanges)

        /// On every request that reads the session: one store write per request, even when nothing changed.
        public static let onEveryRequest = TTLExtension(policy: .onEveryRequest)

        /// On a request that reads the session and finds less than `fraction` of its TTL left (the default,
        /// one half): sliding expiry at one store write per session per `fraction` of the TTL at most. A
        /// persistent cookie's `Max-Age` is sent again with it. `fraction` is from 0 (exclusive) to 1.
        ///
        /// A store that cannot say when a session expires (``SessionStore/loadRecord(_:)``'s default) gets
        /// the TTL restarted on every such request, as ``onEveryRequest`` does.
        public static func whenRemainingBelow(_ fraction: Double) -> TTLExtension {
            TTLExtension(policy: .whenRemainingBelow(fraction))
        }

        /// The default: ``whenRemainingBelow(_:)`` one half.
        public static let `default` = whenRemainingBelow(0.5)

        public var description: String {
            switch policy {
            case .onStateChanges: "onStateChanges"
            case .onEveryRequest: "onEveryRequest"
            case .whenRemainingBelow(let fraction): "whenRemainingBelow(\(fraction))"
            }
        }
    }
}

/// A configuration or secret the library refuses, found at startup.
public struct SessionConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    /// A configuration problem described by `message`.
    public static func invalid(_ message: String) -> SessionConfigurationError { .init(message: message) }

    public var description: String { message }
}
