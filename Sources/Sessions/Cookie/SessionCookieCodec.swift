import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Seals a session key into a cookie value and opens it again, signed or encrypted.
///
/// - private: `base64url(nonce ‖ ciphertext ‖ tag)`, AES-256-GCM with the cookie's name as associated data.
/// - signed: `payload.base64url(HMAC-SHA256(name "=" payload))`; the payload is already base64url-safe.
///
/// Either form binds the cookie's name, so a value cannot be replayed under another cookie, and a value
/// of one form never opens as the other.
///
/// Pure: sealing and opening change nothing. The engine keeps the values it sealed or opened in its
/// `OpenedCookieCache` (`SessionEngineCore.sealCookie`, `openCookie`), so a returning visitor's cookie is
/// not verified again.
package struct SessionCookieCodec: Sendable {
    package struct Opened: Sendable {
        package var payload: String
        /// A previous secret opened it: seal it anew when the cookie is sent again.
        package var usedPreviousSecret: Bool
        /// The payload as a session key with its digest, when the engine's cache holds it and it is one: a
        /// repeat visit neither validates nor hashes the key again.
        package var key: SessionKey?

        package init(payload: String, usedPreviousSecret: Bool) {
            self.payload = payload
            self.usedPreviousSecret = usedPreviousSecret
        }
    }

    /// Values longer than this are not even tried: no browser sends them.
    package static let maximumValueLength = 4096

    let security: CookieSecurity
    let secrets: SessionSecrets
    let cookieName: [UInt8]

    package init(security: CookieSecurity, secrets: SessionSecrets, cookieName: String) {
        self.security = security
        self.secrets = secrets
        self.cookieName = Array(cookieName.utf8)
    }

    package func seal(_ payload: String) -> String {
        let value: String
        switch security {
        case .private:
            let sealed = try! AES.GCM.seal(Array(payload.utf8), using: secrets.current.encryptionKey, authenticating: cookieName)
            // `combined` is nil only for nonces of non-standard size; `seal` above uses the standard 12 bytes.
            value = Base64URL.encode(sealed.combined!)
        case .signed:
            let tag = HMAC<SHA256>.authenticationCode(for: signedMessage(payload.utf8), using: secrets.current.signingKey)
            value = payload + "." + Base64URL.encode(tag.withUnsafeBytes { Array($0) })
        }
        return value
    }

    /// The payload of a cookie value sealed under one of the secrets, or `nil` when it does not verify.
    package func open(_ value: Substring) -> Opened? {
        guard !value.isEmpty, value.utf8.count <= Self.maximumValueLength else { return nil }
        switch security {
        case .private:
            guard let combined = Base64URL.decode(value.utf8), combined.count > 28 else { return nil }
            guard let box = try? AES.GCM.SealedBox(combined: combined) else { return nil }
            for (index, secret) in allSecrets.enumerated() {
                if let plaintext = try? AES.GCM.open(box, using: secret.encryptionKey, authenticating: cookieName) {
                    guard let payload = String(validating: plaintext, as: UTF8.self) else { return nil }
                    return Opened(payload: payload, usedPreviousSecret: index > 0)
                }
            }
            return nil
        case .signed:
            guard let dot = value.utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
            let payload = value[..<dot]
            guard let tag = Base64URL.decode(value.utf8[value.utf8.index(after: dot)...]), tag.count == 32 else { return nil }
            let message = signedMessage(payload.utf8)
            for (index, secret) in allSecrets.enumerated() {
                // swift-crypto compares authentication codes in constant time.
                if HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: message, using: secret.signingKey) {
                    return Opened(payload: String(payload), usedPreviousSecret: index > 0)
                }
            }
            return nil
        }
    }

    /// The length of the value `seal` makes for a payload of `payloadLength` bytes.
    func sealedLength(payloadLength: Int) -> Int {
        switch security {
        case .private: Base64URL.encodedLength(of: 12 + payloadLength + 16)
        case .signed: payloadLength + 1 + Base64URL.encodedLength(of: 32)
        }
    }

    private var allSecrets: [SessionSecret] { [secrets.current] + secrets.previous }

    private func signedMessage(_ payload: some Collection<UInt8>) -> [UInt8] {
        var message = cookieName
        message.append(UInt8(ascii: "="))
        message.append(contentsOf: payload)
        return message
    }
}
