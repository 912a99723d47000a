import NIOCore
import Sessions
import SessionsRESP

/// The parsers that hostile bytes reach, each as one fuzz entry point. `sessions-fuzz` runs them under
/// libFuzzer (`scripts/fuzz`); `FuzzCorpusTests` replays every saved input through them in the test
/// suite, so a crash once found stays fixed. Each checks its own invariants and traps when one breaks.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// The `Cookie` header reader.
    case cookieHeader = "cookie-header"
    /// Opening a signed cookie value.
    case signedCookie = "signed-cookie"
    /// Opening a private (AES-GCM) cookie value.
    case privateCookie = "private-cookie"
    /// `SessionKey(validating:)` and base64url.
    case sessionKey = "session-key"
    /// The persisted state format (`{"v":1,...}`).
    case persistedState = "persisted-state"
    /// The Redis RESP reply parser.
    case respReply = "resp-reply"

    /// Runs one input; traps on a broken invariant (libFuzzer reports that as a crash).
    package func run(_ bytes: [UInt8]) {
        switch self {
        case .cookieHeader: Self.cookieHeader(bytes)
        case .signedCookie: Self.cookie(bytes, codec: Self.signed)
        case .privateCookie: Self.cookie(bytes, codec: Self.private)
        case .sessionKey: Self.sessionKey(bytes)
        case .persistedState: Self.persistedState(bytes)
        case .respReply: Self.respReply(bytes)
        }
    }

    private static let secrets = SessionSecrets(current: try! SessionSecret(key: Array(repeating: 7, count: 64)))
    // No cache: every input must go through the cryptography.
    private static let signed = SessionCookieCodec(security: .signed, secrets: secrets, cookieName: "id")
    private static let `private` = SessionCookieCodec(security: .private, secrets: secrets, cookieName: "id")

    private static func cookieHeader(_ bytes: [UInt8]) {
        let header = String(decoding: bytes, as: UTF8.self)
        for name in ["id", "__Host-id", ""] {
            let values = CookieHeader.values(named: name, in: header)
            precondition(values.count <= CookieHeader.maximumCandidates, "more candidates than the bound")
            for value in values {
                precondition(value.utf8.count <= header.utf8.count, "a value longer than the header")
            }
        }
    }

    private static func cookie(_ bytes: [UInt8], codec: SessionCookieCodec) {
        let value = String(decoding: bytes, as: UTF8.self)
        // Nobody without the secret can make a value that opens, and the fuzzer has no secret: any value
        // that opens is a forgery.
        precondition(codec.open(Substring(value)) == nil, "a value the fuzzer made up opened")
        // Whatever key it is, sealing then opening gives it back, as long as the sealed value is one a
        // browser keeps (the engine refuses to issue longer ones; the codec does not even try to open them).
        if let key = try? SessionKey(validating: value) {
            let sealed = codec.seal(key.rawValue)
            let opened = codec.open(Substring(sealed))
            if sealed.utf8.count <= SessionCookieCodec.maximumValueLength {
                precondition(opened?.payload == key.rawValue, "seal then open lost the payload")
            } else {
                precondition(opened == nil, "a value over the length limit opened")
            }
        }
    }

    private static func sessionKey(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let key = try? SessionKey(validating: text) {
            precondition(key.rawValue == text, "a valid key changed")
            precondition(key.storageDigest.count == 32, "a digest that is not SHA-256")
        }
        if let decoded = Base64URL.decode(bytes) {
            precondition(Array(Base64URL.encode(decoded).utf8) == bytes, "base64url is not canonical")
        }
    }

    private static func persistedState(_ bytes: [UInt8]) {
        guard let (state, expiresAt) = try? PersistedSessionState.decode(bytes) else { return }
        guard let encoded = try? PersistedSessionState.encode(state, expiresAt: expiresAt) else {
            preconditionFailure("a decoded state does not encode")
        }
        guard let (again, _) = try? PersistedSessionState.decode(encoded) else { preconditionFailure("a re-encoded state does not decode") }
        precondition(again == state, "the state changed on a round trip")
    }

    private static func respReply(_ bytes: [UInt8]) {
        let parser = RESPParser(limits: .init(maximumBulkLength: 1 << 16, maximumAggregateCount: 1024, maximumDepth: 8, maximumLineLength: 1024))
        var buffer = ByteBuffer(bytes: bytes)
        while true {
            let before = buffer.readerIndex
            do {
                guard try parser.parse(&buffer) != nil else {
                    precondition(buffer.readerIndex == before, "an incomplete reply consumed bytes")
                    return
                }
                precondition(buffer.readerIndex > before, "a reply consumed nothing")
            } catch {
                return
            }
        }
    }
}
