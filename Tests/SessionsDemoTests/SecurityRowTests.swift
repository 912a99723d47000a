import FoundationEssentials
import HTTPTypes
import Logging
import SessionsDemo
import Synchronization
import TestSupport
import Testing

@testable import Sessions

#if canImport(Glibc)
import Glibc
#endif

/// SECURITY.md's rows about HTTP, proven through both frameworks: no caching of responses that carry the
/// cookie, key rotation with previous secrets, nothing secret in the logs.
@Suite struct SecurityRowTests {
    typealias Framework = DemoRouteTests.Framework
    typealias StoreKind = DemoRouteTests.StoreKind

    /// Every way a response can set or remove the cookie: a new session, a re-issue (persistent, on every
    /// request), an update that re-issues, a renew, a removal. Each says `Cache-Control: no-store`.
    @Test(arguments: Framework.allCases, [StoreKind.memory, .cookie, .sqlite])
    func everyResponseThatSetsOrRemovesTheCookieIsNotCached(framework: Framework, kind: StoreKind) async throws {
        let configuration = SessionConfiguration(lifecycle: .persistent(ttl: .seconds(600)), ttlExtension: .onEveryRequest)
        try await DemoRouteTests.withDemo(framework, kind, configuration: configuration) { client async throws in
            let browser = TestBrowser()
            let replies = [
                try await browser.send(.get, "/counter", client: client),
                try await browser.send(.get, "/read", client: client),
                try await browser.send(.put, "/session/theme", body: #""dark""#, client: client),
                try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client),
                try await browser.send(.post, "/logout", client: client),
            ]
            for (index, reply) in replies.enumerated() {
                #expect(!reply.setCookies.isEmpty, "step \(index) sets or removes the cookie")
                #expect(reply.headers[.cacheControl] == "no-store", "step \(index)")
            }
            #expect(replies.last?.setCookies.first?.contains("Max-Age=0") == true)
            let plain = try await browser.send(.get, "/plain", client: client)
            #expect(plain.headers[.cacheControl] == nil, "a response that leaves the cookie alone says nothing of caching")
        }
    }

    /// A secret rotates: cookies sealed with the previous one still open, and come back re-issued under the
    /// current one; once the previous secret is dropped they are no session. Signed and private, in a
    /// server-side store and in the cookie store.
    static let rotations: [(CookieSecurity, StoreKind)] = [(.private, .memory), (.signed, .memory), (.private, .cookie), (.signed, .cookie)]

    @Test(arguments: Framework.allCases, rotations)
    func cookiesOfAPreviousSecretAreReissuedUnderTheCurrentOne(framework: Framework, rotation: (CookieSecurity, StoreKind)) async throws {
        let (security, kind) = rotation
        switch kind {
        case .cookie: try await Self.rotate(framework, security: security, store: CookieSessionStore())
        default: try await Self.rotate(framework, security: security, store: MemorySessionStore())
        }
    }

    static func rotate<Store: SessionStore>(_ framework: Framework, security: CookieSecurity, store: Store) async throws {
        let configuration = SessionConfiguration(security: security)
        let old = SessionSecret.generate()
        let new = SessionSecret.generate()
        let browser = TestBrowser()
        try await DemoRouteTests.withDemo(framework, store: store, configuration: configuration, secrets: .init(current: old)) {
            client async throws in
            #expect(try await browser.send(.get, "/counter", client: client).body == "1")
        }
        let sealedWithOld = try #require(browser.cookie)
        try await DemoRouteTests.withDemo(framework, store: store, configuration: configuration, secrets: .init(current: new, previous: [old])) {
            client async throws in
            let reply = try await browser.send(.get, "/read", client: client)
            #expect(reply.body == "anonymous")
            #expect(reply.setCookies.isEmpty, "a read sends no cookie: arriving after a concurrent login's, it would undo it")
            let counter = try await browser.send(.get, "/counter", client: client)
            #expect(counter.body == "2", "the session itself carried over")
            // A cookie store's update changes the key (the key is the state): that cookie is sent anyway.
            #expect(counter.setCookies.count == (store is CookieSessionStore ? 1 : 0), "an unchanged key is not sent again")
            let login = try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            #expect(login.setCookies.count == 1, "a new key is sealed with the current secret")
            #expect(login.headers[.cacheControl] == "no-store")
        }
        let sealedWithNew = try #require(browser.cookie)
        #expect(sealedWithNew != sealedWithOld)
        try await DemoRouteTests.withDemo(framework, store: store, configuration: configuration, secrets: .init(current: new)) {
            client async throws in
            let stale = TestBrowser()
            stale.cookie = sealedWithOld
            #expect(try await stale.send(.get, "/counter", client: client).body == "1", "without the previous secret its cookies are no session")
            #expect(try await browser.send(.get, "/counter", client: client).body == "3", "the login's cookie opens with the current secret")
        }
    }

    /// A whole login, renew, write, re-issue and logout, with every log line captured at trace level: no
    /// session key, cookie value or secret appears anywhere in it.
    @Test(arguments: Framework.allCases, CookieSecurity.allCases)
    func aWholeSessionLogsNoKeyCookieOrSecret(framework: Framework, security: CookieSecurity) async throws {
        let capture = LogCapture()
        var secretBytes = [UInt8](repeating: 0, count: 64)
        for index in secretBytes.indices { secretBytes[index] = .random(in: 0 ... .max) }
        let secrets = SessionSecrets(current: try SessionSecret(bytes: secretBytes))
        let configuration = SessionConfiguration(security: security, lifecycle: .persistent(ttl: .seconds(600)), ttlExtension: .onEveryRequest)
        let cookies = Mutex<[String]>([])
        try await DemoRouteTests.withDemo(
            framework, store: MemorySessionStore(), configuration: configuration, secrets: secrets, logger: capture.logger
        ) {
            client async throws in
            let browser = TestBrowser()
            func keep() { if let cookie = browser.cookie { cookies.withLock { $0.append(cookie) } } }
            try await browser.send(.get, "/counter", client: client)
            keep()
            try await browser.send(.post, "/login", body: #"{"user_id":"ada"}"#, client: client)
            keep()
            try await browser.send(.get, "/read", client: client)
            let stale = TestBrowser()
            stale.cookie = cookies.withLock { $0.first }
            try await stale.send(.put, "/session/x", body: "1", client: client)
            let tampered = TestBrowser()
            tampered.cookie = (browser.cookie ?? "") + "x"
            try await tampered.send(.get, "/read", client: client)
            try await browser.send(.post, "/logout", client: client)
        }
        let log = capture.text
        #expect(!log.isEmpty, "the run logged something to search")
        let codec = SessionCookieCodec(security: security, secrets: secrets, cookieName: "id")
        let values = cookies.withLock { $0 }
        #expect(values.count == 2)
        for value in values {
            #expect(!log.contains(value), "no cookie value in the log")
            let key = try #require(codec.open(Substring(value))?.payload)
            #expect(!log.contains(key), "no session key in the log")
            #expect(!log.contains(String(key.prefix(16))), "not even part of one")
        }
        for fragment in Self.renderings(of: secretBytes) {
            #expect(!log.contains(fragment), "no part of the secret in the log, in any rendering (\(fragment.count) characters)")
        }
    }

    /// Fragments of `bytes` as a log could render them: six bytes from every offset in lower- and uppercase
    /// hex and as a Swift array, and twelve characters of base64 and base64url from every alignment.
    static func renderings(of bytes: [UInt8]) -> Set<String> {
        var fragments = Set<String>()
        for start in 0...(bytes.count - 6) {
            let window = bytes[start..<(start + 6)]
            let hex = window.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            fragments.insert(hex)
            fragments.insert(hex.uppercased())
            fragments.insert(window.map(String.init).joined(separator: ", "))
        }
        for dropped in 0..<3 {
            let base64 = Data(bytes.dropFirst(dropped)).base64EncodedString()
            let base64URL = base64.replacing("+", with: "-").replacing("/", with: "_")
            for encoded in [base64, base64URL] {
                let characters = Array(encoded)
                for start in stride(from: 0, to: characters.count - 12, by: 4) {
                    fragments.insert(String(characters[start..<(start + 12)]))
                }
            }
        }
        return fragments
    }
}
