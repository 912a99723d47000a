import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The opaque identifier a session store files a session under.
///
/// A key travels to the browser only inside a signed or encrypted cookie, so its text never needs to be
/// shown. Keys built from outside input are validated: they must be non-empty, at most
/// ``maximumLength`` bytes, and use only the URL- and cookie-safe alphabet `A-Z a-z 0-9 - _`.
///
/// ```swift
/// let fresh = SessionKey.generate()                 // 256 bits from the system CSPRNG
/// let parsed = try SessionKey(validating: "abc-_09") // throws SessionKeyError on bad input
/// ```
///
/// `description` never prints the key itself: it prints a short hash, safe for logs.
public struct SessionKey: Sendable, Hashable, CustomStringConvertible {
    /// The longest key accepted, in bytes (actix-session's limit: 4096 minus room for the cookie's name).
    public static let maximumLength = 4064

    /// The key's text. Treat it as a secret: never log it.
    public let rawValue: String

    /// The digest computed ahead, for a key that names a session on many requests (the opened-cookie
    /// cache holds such keys): each lookup then skips hashing it again.
    private let precomputedDigest: SHA256Digest?

    /// Validates `rawValue` and wraps it.
    /// - Throws: ``SessionKeyError`` when it is empty, too long, or outside the alphabet.
    public init(validating rawValue: String) throws(SessionKeyError) {
        let utf8 = rawValue.utf8
        guard !utf8.isEmpty else { throw .empty }
        guard utf8.count <= Self.maximumLength else { throw .tooLong(utf8.count) }
        let allowed = utf8.withContiguousStorageIfAvailable { $0.allSatisfy(Self.isAllowed) } ?? utf8.allSatisfy(Self.isAllowed)
        guard allowed else { throw .invalidCharacter }
        self.rawValue = rawValue
        self.precomputedDigest = nil
    }

    /// For keys this module built itself, already in the alphabet.
    init(trusted rawValue: String) {
        self.rawValue = rawValue
        self.precomputedDigest = nil
    }

    private init(rawValue: String, precomputedDigest: SHA256Digest) {
        self.rawValue = rawValue
        self.precomputedDigest = precomputedDigest
    }

    /// The same key, carrying its digest: for keys looked up again and again.
    func withPrecomputedDigest() -> SessionKey {
        SessionKey(rawValue: rawValue, precomputedDigest: digest)
    }

    public static func == (left: SessionKey, right: SessionKey) -> Bool {
        left.rawValue == right.rawValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawValue)
    }

    /// A new key of 32 bytes (256 bits) from the system's cryptographically secure generator,
    /// base64url-encoded without padding (43 characters).
    public static func generate() -> SessionKey {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new key of 32 bytes drawn from `generator`, base64url-encoded without padding.
    ///
    /// Only ever pass a cryptographically secure generator outside tests.
    public static func generate(using generator: inout some RandomNumberGenerator) -> SessionKey {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer in
            for index in stride(from: 0, to: 32, by: 8) {
                buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: index, as: UInt64.self)
            }
            return SessionKey(trusted: Base64URL.encode(UnsafeRawBufferPointer(buffer)))
        }
    }

    /// The SHA-256 of the key: what server-side stores file sessions under, so that a dump of the store
    /// holds no usable cookie.
    ///
    /// ```swift
    /// let rowKey = key.storageDigest   // 32 bytes
    /// ```
    package var storageDigest: [UInt8] {
        Array(digest)
    }

    var digest: SHA256Digest {
        if let precomputedDigest { return precomputedDigest }
        var text = rawValue
        return text.withUTF8 { SHA256.hash(data: $0) }
    }

    /// A short, non-reversible fingerprint of the key (the first 8 hex digits of its SHA-256), for logs.
    public var fingerprint: String {
        storageDigest.prefix(4).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public var description: String { "SessionKey(\(fingerprint))" }

    @inline(__always)
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}

/// Why a string was not accepted as a ``SessionKey``.
public struct SessionKeyError: Error, Hashable, CustomStringConvertible {
    private enum Reason: Hashable {
        case empty
        case tooLong(Int)
        case invalidCharacter
    }

    private let reason: Reason

    /// The key was empty.
    public static var empty: Self { .init(reason: .empty) }
    /// The key was longer than ``SessionKey/maximumLength`` bytes.
    public static func tooLong(_ length: Int) -> Self { .init(reason: .tooLong(length)) }
    /// The key held a byte outside `A-Z a-z 0-9 - _`.
    public static var invalidCharacter: Self { .init(reason: .invalidCharacter) }

    public var description: String {
        switch reason {
        case .empty: "session key is empty"
        case .tooLong(let length): "session key is \(length) bytes, over the \(SessionKey.maximumLength)-byte limit"
        case .invalidCharacter: "session key holds a character outside A-Z a-z 0-9 - _"
        }
    }
}
