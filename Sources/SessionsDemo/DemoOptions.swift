public import ArgumentParser
import Sessions

/// The demo server's flags: a public contract, driven by black-box tests. Keep names and meanings.
public struct DemoOptions: ParsableArguments, Sendable {
    public enum StoreKind: String, ExpressibleByArgument, CaseIterable, Sendable {
        case sqlite, memory, cookie, postgres, redis
    }

    public enum Framework: String, ExpressibleByArgument, CaseIterable, Sendable {
        case hummingbird, vapor
    }

    public enum SameSite: String, ExpressibleByArgument, CaseIterable, Sendable {
        case lax, strict, none

        var cookieSameSite: SessionCookieConfiguration.SameSite {
            switch self {
            case .lax: .lax
            case .strict: .strict
            case .none: .none
            }
        }
    }

    public enum ContentSecurity: String, ExpressibleByArgument, CaseIterable, Sendable {
        case `private`, signed
    }

    public enum Lifecycle: String, ExpressibleByArgument, CaseIterable, Sendable {
        case browser, persistent
    }

    public enum TTLExtension: String, ExpressibleByArgument, CaseIterable, Sendable {
        case whenRemainingBelow = "when-remaining-below"
        case onStateChanges = "on-state-changes"
        case onEveryRequest = "on-every-request"
    }

    @Option(help: "Address to listen on.")
    public var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    public var port = 8080

    @Option(help: "The web framework that serves the routes (both run the same session engine).")
    public var framework: Framework = .hummingbird

    @Option(help: "Where sessions live.")
    public var store: StoreKind = .sqlite

    @Option(help: "The SQLite database file for --store sqlite.")
    public var sqlitePath = "sessions-demo.sqlite"

    @Option(
        help:
            "The PostgreSQL URL for --store postgres: postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=FILE."
    )
    public var postgresUrl = "postgres://postgres@127.0.0.1:5432/postgres"

    @Option(help: "The Redis URL for --store redis: redis://[user:password@]host:port[/database], or rediss:// for TLS.")
    public var redisUrl = "redis://127.0.0.1:6379"

    @Option(help: "The session cookie's name.")
    public var cookieName = "id"

    @Option(help: "The session cookie's Path.")
    public var cookiePath = "/"

    @Option(help: "The session cookie's Domain (none by default).")
    public var cookieDomain: String?

    @Flag(help: "Drop the cookie's Secure attribute, for plain-http development.")
    public var insecureCookie = false

    @Option(help: "The session cookie's SameSite attribute.")
    public var sameSite: SameSite = .lax

    @Option(help: "Encrypt (private) or only sign the cookie's content.")
    public var contentSecurity: ContentSecurity = .private

    @Option(help: "Browser-session cookies, or persistent ones with Max-Age = --ttl.")
    public var lifecycle: Lifecycle = .browser

    @Option(help: "The session state's time to live, in seconds (and the persistent cookie's Max-Age).")
    public var ttl = 86_400

    @Option(
        help:
            "When the TTL restarts: on a request that finds less than --ttl-remaining-below of it left (and on every write), on writes only, or on every request."
    )
    public var ttlExtension: TTLExtension = .whenRemainingBelow

    @Option(help: "For --ttl-extension when-remaining-below: the fraction of the TTL, above 0 and at most 1, below which a read restarts it.")
    public var ttlRemainingBelow = 0.5

    @Option(help: "Cap on a session's total life, in seconds, however active it stays.")
    public var absoluteTimeout: Int?

    @Option(
        help:
            "Seconds after a login or logout during which a request still carrying the old cookie neither removes nor replaces it (its writes are dropped), 1 to 86400."
    )
    public var staleCookieGrace = 60

    @Option(
        help:
            "Seconds a request may run from loading its session to committing it: tombstones last at least this long, so a slow logout still follows a concurrent login, 1 to 86400."
    )
    public var longestRequest = 60

    @Option(help: "The most bytes of JSON one session may hold; a write past it is answered 422.")
    public var maxStateBytes = 64 * 1024

    @Option(
        help:
            "Seconds between sweeps of expired sessions (memory, SQLite and PostgreSQL stores; Redis expires keys itself). Default: 60 for memory, 300 for SQL."
    )
    public var sweepInterval: Int?

    @Option(help: "The most sessions the memory store holds; a new session past it is answered 500. 0 for no bound.")
    public var memoryCapacity = MemorySessionStore.Configuration.defaultCapacity

    @Option(help: "The cookie secret in hex: 64 bytes used as is, or 32+ bytes stretched with HKDF. Also read from SESSIONS_SECRET.")
    public var secret: String?

    @Option(help: "A previous secret in hex, still accepted for reading; repeatable.")
    public var previousSecret: [String] = []

    @Option(help: "Where the demo keeps the secret it generates when none is given.")
    public var secretFile = ".sessions-demo-secret"

    public init() {}

    /// `--sweep-interval`, validated; `nil` leaves each store's default.
    public func sweepIntervalDuration() throws -> Duration? {
        guard let sweepInterval else { return nil }
        guard sweepInterval > 0, sweepInterval <= 86_400 else { throw ValidationError("--sweep-interval must be from 1 to 86400 seconds") }
        return .seconds(sweepInterval)
    }

    /// The memory store's configuration these flags describe, validated.
    public func memoryStoreConfiguration() throws -> MemorySessionStore.Configuration {
        guard memoryCapacity >= 0 else { throw ValidationError("--memory-capacity must be 0 (no bound) or more") }
        var configuration = MemorySessionStore.Configuration(capacity: memoryCapacity == 0 ? nil : memoryCapacity)
        if let interval = try sweepIntervalDuration() { configuration.sweepInterval = interval }
        return configuration
    }

    /// The session configuration these flags describe, validated.
    public func sessionConfiguration() throws -> SessionConfiguration {
        let longest = SessionConfiguration.maximumLifetime.components.seconds
        guard ttl > 0, ttl <= longest else { throw ValidationError("--ttl must be from 1 to \(longest) seconds (ten years)") }
        _ = try memoryStoreConfiguration()
        if let absoluteTimeout, absoluteTimeout <= 0 || absoluteTimeout > longest {
            throw ValidationError("--absolute-timeout must be from 1 to \(longest) seconds (ten years)")
        }
        let longestGrace = SessionConfiguration.maximumStaleCookieGracePeriod.components.seconds
        guard staleCookieGrace >= 1, staleCookieGrace <= longestGrace else {
            throw ValidationError("--stale-cookie-grace must be from 1 to \(longestGrace) seconds")
        }
        guard longestRequest >= 1, longestRequest <= longestGrace else {
            throw ValidationError("--longest-request must be from 1 to \(longestGrace) seconds")
        }
        guard maxStateBytes > 0 else { throw ValidationError("--max-state-bytes must be a positive number of bytes") }
        let cookie = SessionCookieConfiguration(
            name: cookieName,
            path: cookiePath,
            domain: cookieDomain,
            secure: !insecureCookie,
            sameSite: sameSite.cookieSameSite
        )
        let configuration = SessionConfiguration(
            cookie: cookie,
            security: contentSecurity == .private ? .private : .signed,
            lifecycle: lifecycle == .persistent ? .persistent(ttl: .seconds(ttl)) : .browserSession(stateTTL: .seconds(ttl)),
            ttlExtension: sessionTTLExtension,
            absoluteTimeout: absoluteTimeout.map { .seconds($0) },
            staleCookieGracePeriod: .seconds(staleCookieGrace),
            longestRequest: .seconds(longestRequest),
            maximumStateSize: maxStateBytes
        )
        try configuration.validate()
        return configuration
    }

    private var sessionTTLExtension: SessionConfiguration.TTLExtension {
        switch ttlExtension {
        case .whenRemainingBelow: .whenRemainingBelow(ttlRemainingBelow)
        case .onStateChanges: .onStateChanges
        case .onEveryRequest: .onEveryRequest
        }
    }
}
