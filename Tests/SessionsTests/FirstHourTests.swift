import Foundation
import Sessions
import SessionsTesting
import Testing

/// What an app developer meets first: the secret read from the environment or a file, the counter without
/// a force unwrap, a memory store that cannot grow without bound, a default configuration that needs no `try`.
@Suite struct SessionSecretTextTests {
    static let keyBytes = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    static let keyHex = keyBytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    static let keyBase64 = Data(keyBytes).base64EncodedString()

    /// Whether a cookie sealed with `sealing` opens with `opening`: the two are the same key.
    static func sameKey(_ sealing: SessionSecret, _ opening: SessionSecret) -> Bool {
        let payload = SessionKey.generate().rawValue
        let sealed = SessionCookieCodec(security: .private, secrets: .init(current: sealing), cookieName: "id").seal(payload)
        return SessionCookieCodec(security: .private, secrets: .init(current: opening), cookieName: "id").open(Substring(sealed))?.payload == payload
    }

    /// The message of the configuration error `body` throws, or `nil` (recorded) when it throws none.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
        } catch let error as SessionConfigurationError {
            return error.message
        } catch {}
        Issue.record("expected a SessionConfigurationError")
        return nil
    }

    @Test("128 hex digits are the key itself, in either case, whitespace around it ignored")
    func hexKey() throws {
        let key = try SessionSecret(key: Self.keyBytes)
        #expect(Self.sameKey(key, try SessionSecret(text: Self.keyHex, encoding: .hex)))
        #expect(Self.sameKey(key, try SessionSecret(text: "  \(Self.keyHex.uppercased())\n", encoding: .hex)))
        let master = Array(Self.keyHex.prefix(80))  // 40 bytes: a master secret, stretched
        let derived = try SessionSecret(derivingFrom: stride(from: 0, to: 80, by: 2).map { UInt8(String(master[$0...$0 + 1]), radix: 16)! })
        #expect(Self.sameKey(derived, try SessionSecret(text: String(master), encoding: .hex)))
        #expect(!Self.sameKey(key, derived))
    }

    @Test("base64 reads standard and URL-safe, padded or not, as the same key")
    func base64Key() throws {
        let key = try SessionSecret(key: Self.keyBytes)
        let urlSafe = Self.keyBase64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(Self.keyBase64.contains("=") && (Self.keyBase64.contains("+") || Self.keyBase64.contains("/")), "the sample exercises both spellings")
        for text in [Self.keyBase64, urlSafe, String(urlSafe.prefix { $0 != "=" }), Self.keyBase64 + "\n"] {
            #expect(Self.sameKey(key, try SessionSecret(text: text, encoding: .base64)), "\(text)")
        }
    }

    @Test("a bad secret names its source and the lengths accepted, never the text")
    func errorsNameTheSource() throws {
        let notHex = Self.message { _ = try SessionSecret(text: "zz" + Self.keyHex.dropFirst(2), encoding: .hex, source: "APP_SECRET") }
        #expect(notHex == "APP_SECRET must be hexadecimal (an even number of the digits 0-9, a-f); `openssl rand -hex 64` makes one")
        let odd = Self.message { _ = try SessionSecret(text: String(Self.keyHex.dropFirst()), encoding: .hex, source: "APP_SECRET") }
        #expect(odd?.hasPrefix("APP_SECRET must be hexadecimal") == true)
        let short = try #require(Self.message { _ = try SessionSecret(text: String(Self.keyHex.prefix(40)), encoding: .hex, source: "APP_SECRET") })
        #expect(short.hasPrefix("APP_SECRET is too short: 40 hex digits, expected 128 (a 64-byte key) or at least 64 (a master secret)"))
        #expect(!short.contains(Self.keyHex.prefix(40)))
        let shortBase64 = try #require(Self.message { _ = try SessionSecret(text: "c2hvcnQ=", encoding: .base64, source: "APP_SECRET") })
        #expect(shortBase64.hasPrefix("APP_SECRET is too short: 5 bytes once decoded, expected 64"))
        let notBase64 = Self.message { _ = try SessionSecret(text: "not base64!", encoding: .base64, source: "APP_SECRET") }
        #expect(notBase64 == "APP_SECRET must be base64 (standard or URL-safe); `openssl rand -base64 48` makes one")
        #expect(
            Self.message { _ = try SessionSecret(text: "===", encoding: .base64) }
                == "the session secret must be base64 (standard or URL-safe); `openssl rand -base64 48` makes one")
    }

    @Test("the environment gives the current secret and, during a rotation, previous ones")
    func environment() throws {
        let other = SessionSecret.randomKeyBytes()
        let otherHex = other.map { String(format: "%02x", $0) }.joined()
        let secrets = try SessionSecrets(
            environmentVariable: "APP_SECRET",
            environment: ["APP_SECRET": Self.keyHex, "SESSIONS_PREVIOUS_SECRETS": "\(otherHex), \(String(Self.keyHex.prefix(64)))"]
        )
        #expect(Self.sameKey(try SessionSecret(key: Self.keyBytes), secrets.current))
        #expect(secrets.previous.count == 2)
        #expect(Self.sameKey(try SessionSecret(key: other), secrets.previous[0]))
        #expect(try SessionSecrets(environmentVariable: "APP_SECRET", environment: ["APP_SECRET": Self.keyHex]).previous.isEmpty)
        let base64 = try SessionSecrets(
            environmentVariable: "S", previousVariable: "P", encoding: .base64, environment: ["S": Self.keyBase64, "P": ""])
        #expect(Self.sameKey(try SessionSecret(key: Self.keyBytes), base64.current) && base64.previous.isEmpty)
    }

    @Test("base64 may be wrapped over lines, as openssl prints it, and a byte-order mark is ignored")
    func wrappedBase64() throws {
        let key = try SessionSecret(key: Self.keyBytes)
        let wrapped = String(Self.keyBase64.prefix(64)) + "\n" + String(Self.keyBase64.dropFirst(64)) + "\n"
        #expect(Self.sameKey(key, try SessionSecret(text: wrapped, encoding: .base64)))
        #expect(Self.sameKey(key, try SessionSecret(text: "\u{FEFF}" + Self.keyHex, encoding: .hex)))
    }

    @Test("a secret passed where the variable's name belongs is refused without repeating it")
    func aValuePassedAsTheName() throws {
        let message = try #require(Self.message { _ = try SessionSecrets(environmentVariable: Self.keyBase64, environment: [:]) })
        #expect(!message.contains(Self.keyBase64.prefix(16)))
        #expect(message.contains("pass the variable's name, not its value"))
    }

    @Test("an unset variable, or a bad previous secret, is an error naming the variable")
    func environmentErrors() throws {
        for environment in [[:], ["APP_SECRET": ""], ["APP_SECRET": " \n"]] {
            let unset = Self.message { _ = try SessionSecrets(environmentVariable: "APP_SECRET", environment: environment) }
            #expect(unset == "APP_SECRET is not set: set it to a secret of 64 random bytes, for example `export APP_SECRET=$(openssl rand -hex 64)`")
        }
        let badPrevious = Self.message {
            _ = try SessionSecrets(
                environmentVariable: "APP_SECRET", environment: ["APP_SECRET": Self.keyHex, "SESSIONS_PREVIOUS_SECRETS": "\(Self.keyHex),abc"])
        }
        #expect(badPrevious?.hasPrefix("secret 2 in SESSIONS_PREVIOUS_SECRETS must be hexadecimal") == true)
    }

    @Test("a file gives the current secret on its first line and previous ones after it")
    func file() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let other = SessionSecret.randomKeyBytes().map { String(format: "%02x", $0) }.joined()
        try "\(Self.keyHex)\n\n\(other)\n".write(toFile: path, atomically: true, encoding: .utf8)
        let secrets = try SessionSecrets(contentsOfFile: path)
        #expect(Self.sameKey(try SessionSecret(key: Self.keyBytes), secrets.current))
        #expect(secrets.previous.count == 1)

        try "\(Self.keyHex)\nnot-hex\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(
            Self.message { _ = try SessionSecrets(contentsOfFile: path) }?.hasPrefix(
                "previous secret 1 in the session secret file \(path) must be hexadecimal") == true)
        try "\n \n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(Self.message { _ = try SessionSecrets(contentsOfFile: path) } == "the session secret file \(path) holds no secret")
        let missing = path + "-missing"
        #expect(
            Self.message { _ = try SessionSecrets(contentsOfFile: missing) }
                == "the session secret file \(missing) could not be opened: No such file or directory")
        #expect(Self.message { _ = try SessionSecrets(contentsOfFile: "/dev/zero") } == "the session secret file /dev/zero is not a regular file")
        try String(repeating: Self.keyHex + "\n", count: 600).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(Self.message { _ = try SessionSecrets(contentsOfFile: path) } == "the session secret file \(path) is larger than 64 KiB")
        // A secret passed where the path belongs is not repeated in the error.
        let misplaced = try #require(Self.message { _ = try SessionSecrets(contentsOfFile: Self.keyHex) })
        #expect(!misplaced.contains(Self.keyHex) && misplaced.contains("could not be opened"))
    }
}

@Suite struct UpdateWithDefaultTests {
    @Test("a counter needs no optional: the default is stored, changed and returned", arguments: EngineDriver.allCases)
    func counter(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        var counts: [Int] = []
        let first = try await harness.request { session async throws in
            counts.append(try await session.update("counter", default: 0) { $0 += 1 })
        }
        let cookie = try #require(first.cookieValue)
        try await harness.request(cookie: cookie) { session async throws in
            counts.append(try await session.update("counter", default: 0) { $0 += 1 })
            counts.append(try session.loadImmediately()?.update("counter", default: 0) { $0 += 10 } ?? -1)
        }
        #expect(counts == [1, 2, 12])
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("counter", as: Int.self) == 12)
            // An untouched default is stored too: the call says the value is now this.
            try await session.update("visited", default: true) { _ in }
            #expect(try await session.get("visited", as: Bool.self) == true)
        }
    }

    @Test("the principal's entry is refused, and a throwing body changes nothing")
    func refusals() async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: .immediate)
        let cookie = try await harness.login(["counter": 5])
        try await harness.request(cookie: cookie) { session async throws in
            await #expect(throws: SessionError.self) { try await session.update(HTTPSession.principalEntry, default: "x") { _ in } }
            struct Refused: Error {}
            await #expect(throws: Refused.self) { try await session.update("counter", default: 0) { _ in throw Refused() } }
            #expect(try await session.get("counter", as: Int.self) == 5)
            #expect(session.status == .unchanged)
        }
    }
}

@Suite struct BoundedByDefaultTests {
    @Test("the default configuration is valid, so the one-call middlewares need no try")
    func theDefaultConfigurationIsValid() throws {
        try SessionConfiguration().validate()
    }

    @Test("the memory store holds 100,000 sessions unless told otherwise, then refuses new ones")
    func theMemoryStoreIsBoundedByDefault() async throws {
        #expect(MemorySessionStore.Configuration().capacity == 100_000)
        let store = MemorySessionStore(clock: ManualSessionClock())
        let state = SessionState(["a": 1], createdAt: Date(timeIntervalSince1970: 0))
        for _ in 0..<100_000 { _ = try store.saveImmediately(state, ttl: .seconds(60)) }
        do {
            _ = try await store.save(state, ttl: .seconds(60))
            Issue.record("the 100,001st session must be refused")
        } catch {
            #expect("\(error)".contains("capacity 100000"))
        }
    }
}

@Suite struct CatalogOverviewTests {
    @Test("the catalog's overview stores a value and logs in after the route", arguments: EngineDriver.allCases)
    func theOverviewRuns(driver: EngineDriver) async throws {
        let (harness, _, _) = try makeMemoryHarness(driver: driver)
        let outcome = try await harness.request { session async throws in
            // README: Overview, a route
            try await session.insert("cart", ["tea"])  // any Codable, stored as JSON
            try await session.logIn(userID: "ada", userType: "user")  // after the route: the old key ends, the state moves
            // README: end
        }
        let cookie = try #require(outcome.cookieValue)
        try await harness.request(cookie: cookie) { session async throws in
            #expect(try await session.get("cart", as: [String].self) == ["tea"])
            #expect(try await session.principal() == SessionPrincipal(userType: "user", userID: "ada"))
        }
    }
}
