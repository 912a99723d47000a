import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The secret that signs or encrypts session cookies: 32 bytes for HMAC-SHA256 and 32 for AES-256-GCM.
///
/// Build it from 64 random bytes, or stretch a master secret of at least 32 bytes with HKDF-SHA256.
/// Keep it out of source control; load it from the environment or a secrets manager.
///
/// ```swift
/// let secret = try SessionSecret(derivingFrom: Array(masterSecret.utf8))
/// let generated = SessionSecret.generate()   // for development only: sessions die with the process
/// ```
public struct SessionSecret: Sendable {
    /// The length of a full key, in bytes.
    public static let keyLength = 64
    /// The shortest master secret accepted by ``init(derivingFrom:)``, in bytes.
    public static let minimumMasterSecretLength = 32

    let signingKey: SymmetricKey
    let encryptionKey: SymmetricKey

    /// Uses `key` as is: the first 32 bytes sign, the last 32 encrypt.
    /// - Throws: ``SessionConfigurationError`` unless `key` is exactly 64 bytes.
    public init(key: [UInt8]) throws(SessionConfigurationError) {
        guard key.count == Self.keyLength else {
            throw .invalid("a session key must be \(Self.keyLength) bytes, got \(key.count)")
        }
        signingKey = SymmetricKey(data: key[0..<32])
        encryptionKey = SymmetricKey(data: key[32..<64])
    }

    /// Stretches `masterSecret` into a full key with HKDF-SHA256.
    /// - Throws: ``SessionConfigurationError`` when `masterSecret` is shorter than 32 bytes.
    public init(derivingFrom masterSecret: [UInt8]) throws(SessionConfigurationError) {
        guard masterSecret.count >= Self.minimumMasterSecretLength else {
            throw .invalid(
                "a session master secret must be at least \(Self.minimumMasterSecretLength) bytes, got \(masterSecret.count)"
            )
        }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: masterSecret),
            info: Array("swift-sessions cookie key v1".utf8),
            outputByteCount: Self.keyLength
        )
        let bytes = derived.withUnsafeBytes { Array($0) }
        try self.init(key: bytes)
    }

    /// Accepts either form: exactly 64 bytes are used as a key, anything else of at least 32 bytes is
    /// stretched as a master secret.
    public init(bytes: [UInt8]) throws(SessionConfigurationError) {
        if bytes.count == Self.keyLength {
            try self.init(key: bytes)
        } else {
            try self.init(derivingFrom: bytes)
        }
    }

    /// A fresh random secret. Cookies sealed with it die with it: for tests and development.
    public static func generate() -> SessionSecret {
        try! SessionSecret(key: randomKeyBytes())
    }

    /// 64 bytes from the system's cryptographically secure generator.
    public static func randomKeyBytes() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// The current secret, which seals every cookie, and previous ones, still accepted for reading.
///
/// A cookie opened with a previous secret is sealed under the current one when a response sets the
/// cookie anyway (a new key, a persistent cookie's refresh; a read never re-sends a key, which could undo
/// a concurrent login). So rotating is: deploy the new secret as `current` with the old one in
/// `previous`, then drop the old one after the session TTL with persistent cookies, or after the absolute
/// timeout with browser-session cookies (without one, sessions still sealed under it end then).
///
/// ```swift
/// let secrets = SessionSecrets(current: newSecret, previous: [oldSecret])
/// ```
public struct SessionSecrets: Sendable {
    /// The secret that seals cookies.
    public var current: SessionSecret
    /// Secrets still accepted when opening cookies, tried in order after `current`.
    public var previous: [SessionSecret]

    /// Creates the set of secrets.
    public init(current: SessionSecret, previous: [SessionSecret] = []) {
        self.current = current
        self.previous = previous
    }
}
