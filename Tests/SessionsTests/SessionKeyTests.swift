import Testing

@testable import Sessions

@Suite struct SessionKeyTests {
    @Test func generatedKeysCarry256BitsInTheCookieSafeAlphabet() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let key = SessionKey.generate()
            #expect(key.rawValue.utf8.count == 43)
            #expect(Base64URL.decode(key.rawValue.utf8)?.count == 32)
            #expect(try SessionKey(validating: key.rawValue) == key)
            seen.insert(key.rawValue)
        }
        #expect(seen.count == 1000)
    }

    /// Unique keys prove little: 64 random bits padded, or repeated to fill 32 bytes, are unique too. Every
    /// byte position must vary across keys (uniform bytes show ~251 of 256 values in 1,000 keys), and no two
    /// positions may agree more often than chance allows (~4 in 1,000; 20 is below 1e-8 for one pair).
    @Test("every byte of a generated key is independent random data")
    func generatedKeysHave256IndependentBits() throws {
        let keys = try (0..<1000).map { _ in try #require(Base64URL.decode(SessionKey.generate().rawValue.utf8)) }
        for position in 0..<32 {
            let values = Set(keys.map { $0[position] })
            #expect(values.count >= 200, "byte \(position) took only \(values.count) values")
            for other in (position + 1)..<32 {
                let equal = keys.count { $0[position] == $0[other] }
                #expect(equal <= 20, "bytes \(position) and \(other) agree in \(equal) of 1,000 keys")
            }
        }
    }

    @Test(arguments: [
        ("", SessionKeyError.empty),
        (String(repeating: "a", count: 4065), .tooLong(4065)),
        ("abc def", .invalidCharacter),
        ("abc.def", .invalidCharacter),
        ("abc=", .invalidCharacter),
        ("ключ", .invalidCharacter),
        ("a\u{0}b", .invalidCharacter),
        ("a;b", .invalidCharacter),
    ])
    func invalidKeysAreRejectedWithAClearError(input: String, expected: SessionKeyError) {
        #expect(throws: expected) { try SessionKey(validating: input) }
    }

    @Test func keysUpToTheLimitAreAccepted() throws {
        let longest = String(repeating: "Az09-_", count: 4064 / 6) + "ab"
        #expect(longest.utf8.count == 4064)
        #expect(try SessionKey(validating: longest).rawValue == longest)
        #expect(try SessionKey(validating: "x").rawValue == "x")
    }

    @Test func errorsDescribeTheProblem() {
        #expect("\(SessionKeyError.tooLong(5000))".contains("4064"))
        #expect("\(SessionKeyError.empty)" == "session key is empty")
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded.utf8.count == Base64URL.encodedLength(of: length))
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded.utf8) == bytes)
        }
    }

    @Test func knownVectors() {
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }

    @Test func rejectsInvalidInput() {
        #expect(Base64URL.decode("Zm9v=".utf8) == nil)
        #expect(Base64URL.decode("Z".utf8) == nil, "a length of 1 mod 4 is impossible")
        #expect(Base64URL.decode("Zm+v".utf8) == nil)
        #expect(Base64URL.decode("Zm8".utf8) == Array("fo".utf8))
        #expect(Base64URL.decode("Zm9=".utf8) == nil)
        #expect(Base64URL.decode("Zm-".utf8) == nil, "non-zero padding bits are not canonical")
    }
}
