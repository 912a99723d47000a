@testable import Sessions
import Testing

@Suite struct SessionCookieCodecTests {
    let payload = SessionKey.generate().rawValue

    func codec(_ security: CookieSecurity, _ secrets: SessionSecrets, name: String = "id") -> SessionCookieCodec {
        SessionCookieCodec(security: security, secrets: secrets, cookieName: name)
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
                #expect(codec.open(Substring(String(decoding: tampered, as: UTF8.self)))?.payload != payload)
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

    @Test func oversizedValuesAreNotEvenTried() {
        let codec = codec(.signed, .init(current: .generate()))
        let huge = String(repeating: "a", count: 5000) + "." + String(repeating: "b", count: 43)
        #expect(codec.open(Substring(huge)) == nil)
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
