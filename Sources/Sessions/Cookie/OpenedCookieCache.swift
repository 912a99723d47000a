import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Cookie values this engine has already verified, and what they opened to: a repeat visit skips
/// base64url, AES-GCM (or HMAC) and UTF-8 validation, which dominate the cost of resolving a session.
///
/// Only values that verified are cached, so a forged value is never served from here, and it is keyed by
/// the exact value, so nothing else can match an entry. The secrets are fixed for an engine's life: a
/// rotation builds a new engine and with it an empty cache. Small payloads only (session keys), so the
/// cookie store's multi-kilobyte values never fill memory. Two generations bound the size: when the
/// current one is full it becomes the previous one and the one before is dropped, so entries in use
/// stay (a hit in the previous generation moves back into the current one).
final class OpenedCookieCache: Sendable {
    /// Payloads longer than this are not cached.
    static let maximumPayloadLength = 128

    private struct Generations {
        var current: [CookieValue: SessionCookieCodec.Opened] = [:]
        var previous: [CookieValue: SessionCookieCodec.Opened] = [:]
    }

    private let capacity: Int
    private let generations = Mutex(Generations())

    /// Keeps at most about `2 × capacity` values; `capacity` 0 disables the cache.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// How many values are cached now, both generations.
    var count: Int { generations.withLock { $0.current.count + $0.previous.count } }

    func opened(_ value: Substring) -> SessionCookieCodec.Opened? {
        guard capacity > 0 else { return nil }
        let value = CookieValue(value)
        return generations.withLock { generations in
            if let hit = generations.current[value] { return hit }
            guard let index = generations.previous.index(forKey: value) else { return nil }
            // Moved with the cache's own copy of the value: the request's is a slice of its whole `Cookie`
            // header, which the cache must not keep.
            let (cachedValue, hit) = generations.previous.remove(at: index)
            Self.insert(cachedValue, hit, into: &generations, capacity: capacity)
            return hit
        }
    }

    func remember(_ value: String, _ opened: SessionCookieCodec.Opened) {
        guard capacity > 0, opened.payload.utf8.count <= Self.maximumPayloadLength else { return }
        var opened = opened
        opened.key = (try? SessionKey(validating: opened.payload))?.withPrecomputedDigest()
        generations.withLock { generations in
            // Its own copy: the request's value is a slice of a whole `Cookie` header.
            Self.insert(CookieValue(Substring(value)), opened, into: &generations, capacity: capacity)
        }
    }

    private static func insert(_ value: CookieValue, _ opened: SessionCookieCodec.Opened, into generations: inout Generations, capacity: Int) {
        if generations.current.count >= capacity {
            generations.previous = generations.current
            generations.current = [:]
            generations.current.reserveCapacity(capacity)
        }
        generations.current[value] = opened
    }
}

/// A cookie value compared byte for byte. `String` equality is Unicode canonical equivalence, under which
/// a value spelled with U+212A KELVIN SIGN equals one spelled with "K": such a value must go through the
/// cryptography (and fail), not match a cached one. Lookups use the request's slice as it is, with no copy.
private struct CookieValue: Hashable, Sendable {
    let text: Substring

    init(_ text: Substring) {
        self.text = text
    }

    static func == (lhs: CookieValue, rhs: CookieValue) -> Bool {
        let lhs = lhs.text.utf8
        let rhs = rhs.text.utf8
        guard lhs.count == rhs.count else { return false }
        // memcmp: a generic byte loop here costs more than the lookup it serves.
        let equal = lhs.withContiguousStorageIfAvailable { left in
            rhs.withContiguousStorageIfAvailable { right in
                left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
        return (equal ?? nil) ?? lhs.elementsEqual(rhs)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}
