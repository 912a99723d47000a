import Crypto
import Testing

@testable import Sessions

@Suite struct SessionCookieCodecTests {
    let payload = SessionKey.generate().rawValue

    /// The codec alone: sealing and opening, without the engine's cache of opened values.
    func codec(_ security: CookieSecurity, _ secrets: SessionSecrets, name: String = "id") -> SessionCookieCodec {
        SessionCookieCodec(security: security, secrets: secrets, cookieName: name)
    }

    /// An engine's core, whose `sealCookie` and `openCookie` go through its cache of opened values.
    func caching(_ security: CookieSecurity, _ secrets: SessionSecrets) throws -> SessionEngineCore {
        try SessionEngine(store: MemorySessionStore(), secrets: secrets, configuration: SessionConfiguration(security: security)).core
    }

    /// A value served from the engine's cache carries its key, already validated and hashed; one the codec
    /// just verified does not (the resolver validates it): `key` tells where an opened value came from.
    @Test(arguments: CookieSecurity.allCases)
    func theCacheServesOnlyValuesThatVerified(security: CookieSecurity) throws {
        let secret = SessionSecret.generate()
        let codec = try caching(security, .init(current: secret))
        let sealed = codec.sealCookie(payload)
        #expect(codec.openCookie(Substring(sealed))?.key?.rawValue == payload, "served from the cache")
        var forged = Array(sealed.utf8)
        forged[forged.count / 2] = forged[forged.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let forgedValue = Substring(String(decoding: forged, as: UTF8.self))
        #expect(codec.openCookie(forgedValue) == nil)
        #expect(codec.openCookie(forgedValue) == nil, "a refused value is never remembered as good")

        // A value sealed elsewhere under the same secret verifies once, then comes from the cache. (Another
        // payload: a signed value of this one is the same bytes as `sealed`, already cached.)
        let otherPayload = SessionKey.generate().rawValue
        let other = self.codec(security, .init(current: secret)).seal(otherPayload)
        let first = try #require(codec.openCookie(Substring(other)))
        #expect(first.payload == otherPayload && first.key == nil, "verified by the codec")
        #expect(codec.openCookie(Substring(other))?.key?.rawValue == otherPayload, "then served from the cache")
    }

    @Test(arguments: CookieSecurity.allCases)
    func sealingAndOpeningWithTheCodecAloneChangeNothing(security: CookieSecurity) throws {
        let codec = codec(security, .init(current: .generate()))
        let sealed = codec.seal(payload)
        #expect(codec.open(Substring(sealed))?.key == nil, "the codec remembers nothing it sealed")
        #expect(codec.open(Substring(sealed))?.key == nil, "nor anything it opened")
    }

    @Test(arguments: CookieSecurity.allCases)
    func theCacheMatchesValuesByteForByte(security: CookieSecurity) throws {
        let codec = try caching(security, .init(current: .generate()))
        // A sealed value with a "K" in it (random letters: one in a few tries at most).
        let (payload, sealed) = try #require(
            (0..<200).lazy.map { _ in SessionKey.generate().rawValue }.map { ($0, codec.sealCookie($0)) }.first { $0.1.contains("K") }
        )
        let header = "theme=dark; id=\(sealed); lang=en"
        let slice = try #require(CookieHeader.values(named: "id", in: header).first)
        #expect(codec.openCookie(slice)?.payload == payload, "a slice of a header finds the cached value")

        // U+212A KELVIN SIGN is canonically equivalent to "K": equal as Strings, different bytes.
        var kelvin = ""
        for scalar in sealed.unicodeScalars { kelvin.unicodeScalars.append(scalar == "K" ? "\u{212A}" : scalar) }
        #expect(kelvin == sealed && !kelvin.utf8.elementsEqual(sealed.utf8))
        #expect(codec.openCookie(Substring(kelvin)) == nil, "only the exact bytes that verified are served from the cache")
    }

    @Test(arguments: CookieSecurity.allCases)
    func aCachedKeyCarriesItsDigestAndIsTheSameKey(security: CookieSecurity) throws {
        let codec = try caching(security, .init(current: .generate()))
        let key = SessionKey.generate()
        let sealed = codec.sealCookie(key.rawValue)
        let cached = try #require(codec.openCookie(Substring(sealed))?.key, "a key payload is cached as a key")
        #expect(cached == key && cached.hashValue == key.hashValue, "the digest does not change the key's identity")
        #expect(cached.storageDigest == Array(SHA256.hash(data: Array(key.rawValue.utf8))), "the digest computed ahead is the key's")
        #expect(codec.openCookie(Substring(codec.sealCookie("{\"not\": \"a key\"}")))?.key == nil, "a payload that is no key is cached as none")
    }

    @Test func aValueOpenedWithAPreviousSecretStaysMarkedWhenCached() throws {
        let old = SessionSecret.generate()
        let sealed = codec(.private, .init(current: old)).seal(payload)
        let rotated = try caching(.private, .init(current: .generate(), previous: [old]))
        #expect(rotated.openCookie(Substring(sealed))?.usedPreviousSecret == true)
        #expect(rotated.openCookie(Substring(sealed))?.usedPreviousSecret == true, "the cache keeps the re-issue signal")
    }

    @Test func theCacheStaysBoundedAndKeepsWhatIsInUse() throws {
        let cache = OpenedCookieCache(capacity: 4)
        let hot = "hot-value"
        cache.remember(hot, .init(payload: "hot", usedPreviousSecret: false))
        for index in 0..<100 {
            cache.remember("value-\(index)", .init(payload: "\(index)", usedPreviousSecret: false))
            #expect(cache.opened(Substring(hot))?.payload == "hot", "an entry in use survives generation turnover (\(index))")
            #expect(cache.count <= 8)
        }
        #expect(cache.opened("value-0") == nil, "old entries are dropped")
        let large = String(repeating: "k", count: OpenedCookieCache.maximumPayloadLength + 1)
        cache.remember("large", .init(payload: large, usedPreviousSecret: false))
        #expect(cache.opened("large") == nil, "large payloads (cookie-store state) are not cached")
    }

    @Test(arguments: CookieSecurity.allCases)
    func sealedValuesOpenAndAreCookieSafe(security: CookieSecurity) throws {
        let codec = codec(security, .init(current: .generate()))
        let sealed = codec.seal(payload)
        #expect(sealed.utf8.allSatisfy { SessionKey.isAllowed($0) || $0 == UInt8(ascii: ".") })
        #expect(sealed.utf8.count == codec.sealedLength(payloadLength: payload.utf8.count))
        let opened = try #require(codec.open(Substring(sealed)))
        #expect(opened.payload == payload)
        #expect(!opened.usedPreviousSecret)
    }

    @Test func privateValuesHideThePayloadAndDifferEachTime() {
        let codec = codec(.private, .init(current: .generate()))
        let first = codec.seal(payload)
        #expect(!first.contains(payload))
        #expect(first != codec.seal(payload), "a fresh nonce for every seal")
    }

    @Test(arguments: CookieSecurity.allCases)
    func everySingleByteChangeIsRejected(security: CookieSecurity) {
        let codec = codec(security, .init(current: .generate()))
        let sealed = Array(codec.seal(payload).utf8)
        for index in sealed.indices {
            for replacement in [UInt8(ascii: "A"), UInt8(ascii: "x"), UInt8(ascii: "-")] where replacement != sealed[index] {
                var tampered = sealed
                tampered[index] = replacement
                // Rejected outright: base64url decoding is canonical, so no other spelling of the same bytes opens.
                #expect(codec.open(Substring(String(decoding: tampered, as: UTF8.self))) == nil, "byte \(index) changed")
            }
        }
        #expect(codec.open(Substring(String(decoding: sealed.dropLast(), as: UTF8.self))) == nil)
        #expect(codec.open("") == nil)
    }

    @Test(arguments: CookieSecurity.allCases)
    func wrongSecretIsRejected(security: CookieSecurity) {
        let sealed = codec(security, .init(current: .generate())).seal(payload)
        #expect(codec(security, .init(current: .generate())).open(Substring(sealed)) == nil)
    }

    @Test(arguments: CookieSecurity.allCases)
    func theCookieNameIsBound(security: CookieSecurity) {
        let secrets = SessionSecrets(current: .generate())
        let sealed = codec(security, secrets, name: "id").seal(payload)
        #expect(codec(security, secrets, name: "other").open(Substring(sealed)) == nil)
    }

    @Test func signedAndPrivateNeverOpenEachOther() {
        let secrets = SessionSecrets(current: .generate())
        let signed = codec(.signed, secrets).seal(payload)
        let sealed = codec(.private, secrets).seal(payload)
        #expect(codec(.private, secrets).open(Substring(signed)) == nil)
        #expect(codec(.signed, secrets).open(Substring(sealed)) == nil)
    }

    @Test(arguments: CookieSecurity.allCases)
    func previousSecretsOpenAndSayTheyWereUsed(security: CookieSecurity) throws {
        let old = SessionSecret.generate()
        let new = SessionSecret.generate()
        let sealed = codec(security, .init(current: old)).seal(payload)
        let opened = try #require(codec(security, .init(current: new, previous: [.generate(), old])).open(Substring(sealed)))
        #expect(opened.payload == payload)
        #expect(opened.usedPreviousSecret)
        let resealed = codec(security, .init(current: new, previous: [old])).seal(payload)
        #expect(codec(security, .init(current: new)).open(Substring(resealed))?.usedPreviousSecret == false)
    }

    @Test(arguments: CookieSecurity.allCases)
    func oversizedValuesAreNotEvenTried(security: CookieSecurity) {
        // A value this codec sealed itself, so it would open if tried: over the limit, it is not.
        let secrets = SessionSecrets(current: .generate())
        let large = String(repeating: "a", count: SessionCookieCodec.maximumValueLength)
        let sealed = codec(security, secrets).seal(large)
        #expect(sealed.utf8.count > SessionCookieCodec.maximumValueLength)
        #expect(codec(security, secrets).open(Substring(sealed)) == nil)
        let fits = String(repeating: "a", count: 1000)
        #expect(codec(security, secrets).open(Substring(codec(security, secrets).seal(fits)))?.payload == fits)
    }
}

@Suite struct SessionSecretTests {
    @Test func aKeyMustBeExactly64Bytes() throws {
        _ = try SessionSecret(key: [UInt8](repeating: 7, count: 64))
        #expect(throws: SessionConfigurationError.self) { try SessionSecret(key: [UInt8](repeating: 7, count: 63)) }
        #expect(throws: SessionConfigurationError.self) { try SessionSecret(key: []) }
    }

    @Test func aMasterSecretNeedsAtLeast32Bytes() throws {
        _ = try SessionSecret(derivingFrom: [UInt8](repeating: 1, count: 32))
        do {
            _ = try SessionSecret(derivingFrom: [UInt8](repeating: 1, count: 31))
            Issue.record("a 31-byte master secret must be refused")
        } catch {
            #expect(error.message.contains("at least 32 bytes"))
        }
    }

    @Test func derivationIsDeterministicAndSeparatesSecrets() throws {
        let master = Array("correct horse battery staple, really quite long".utf8)
        let payload = SessionKey.generate().rawValue
        let sealed = SessionCookieCodec(security: .private, secrets: .init(current: try .init(derivingFrom: master)), cookieName: "id").seal(payload)
        let again = SessionCookieCodec(security: .private, secrets: .init(current: try .init(derivingFrom: master)), cookieName: "id")
        #expect(again.open(Substring(sealed))?.payload == payload, "the same master secret derives the same key")
        var other = master
        other[0] ^= 1
        let different = SessionCookieCodec(security: .private, secrets: .init(current: try .init(derivingFrom: other)), cookieName: "id")
        #expect(different.open(Substring(sealed)) == nil)
    }

    @Test func bytesPickKeyOrDerivation() throws {
        let key = [UInt8](repeating: 9, count: 64)
        let payload = SessionKey.generate().rawValue
        let sealed = SessionCookieCodec(security: .signed, secrets: .init(current: try .init(key: key)), cookieName: "id").seal(payload)
        let viaBytes = SessionCookieCodec(security: .signed, secrets: .init(current: try .init(bytes: key)), cookieName: "id")
        #expect(viaBytes.open(Substring(sealed))?.payload == payload, "64 bytes are used as a key")
        #expect(throws: SessionConfigurationError.self) { try SessionSecret(bytes: [1, 2, 3]) }
    }
}
