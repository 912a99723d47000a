import ArgumentParser
import Dispatch
import FoundationEssentials
import Logging
import Sessions
import Synchronization
import Testing

@testable import SessionsDemo

#if canImport(Glibc)
import Glibc
#endif

/// The demo's flags are a public contract: each maps to the configuration it names.
@Suite struct DemoOptionsTests {
    @Test func defaultsAreTheLibraryDefaults() throws {
        let options = try DemoOptions.parse([])
        #expect(options.host == "127.0.0.1")
        #expect(options.port == 8080)
        #expect(options.store == .sqlite)
        #expect(options.sqlitePath == "sessions-demo.sqlite")
        #expect(try options.sessionConfiguration() == SessionConfiguration())
    }

    @Test func storeURLsAreTakenAsGiven() throws {
        let redis = try DemoOptions.parse(["--store", "redis", "--redis-url", "rediss://cache.internal:6380/2"])
        #expect(redis.store == .redis)
        #expect(redis.redisUrl == "rediss://cache.internal:6380/2")
        #expect(try DemoOptions.parse([]).redisUrl == "redis://127.0.0.1:6379")
        let postgres = try DemoOptions.parse(["--store", "postgres", "--postgres-url", "postgres://app@db/app"])
        #expect(postgres.store == .postgres)
        #expect(postgres.postgresUrl == "postgres://app@db/app")
    }

    @Test func everyFlagMapsToItsSetting() throws {
        let options = try DemoOptions.parse([
            "--host", "0.0.0.0", "--port", "9000", "--store", "cookie", "--cookie-name", "sid", "--cookie-path", "/app",
            "--cookie-domain", "example.com", "--insecure-cookie", "--same-site", "strict", "--content-security", "signed",
            "--lifecycle", "persistent", "--ttl", "60", "--ttl-extension", "on-every-request", "--absolute-timeout", "600",
            "--stale-cookie-grace", "5", "--longest-request", "7", "--max-state-bytes", "2048",
            "--secret", String(repeating: "ab", count: 32), "--previous-secret", String(repeating: "cd", count: 64),
            "--previous-secret", String(repeating: "ef", count: 40),
        ])
        #expect(options.host == "0.0.0.0")
        #expect(options.port == 9000)
        #expect(options.store == .cookie)
        #expect(options.previousSecret.count == 2)
        let expected = SessionConfiguration(
            cookie: .init(name: "sid", path: "/app", domain: "example.com", secure: false, sameSite: .strict),
            security: .signed,
            lifecycle: .persistent(ttl: .seconds(60)),
            ttlExtension: .onEveryRequest,
            absoluteTimeout: .seconds(600),
            staleCookieGracePeriod: .seconds(5),
            longestRequest: .seconds(7),
            maximumStateSize: 2048
        )
        #expect(try options.sessionConfiguration() == expected)
        #expect(try DemoOptions.parse(["--sweep-interval", "7"]).sweepIntervalDuration() == .seconds(7))
        #expect(try DemoOptions.parse([]).sweepIntervalDuration() == nil)
        #expect(try DemoOptions.parse([]).memoryStoreConfiguration().capacity == 100_000)
        #expect(try DemoOptions.parse([]).sessionConfiguration().ttlExtension == .whenRemainingBelow(0.5), "the demo runs the library's default")
        #expect(try DemoOptions.parse([]).sessionConfiguration().ttlExtension == SessionConfiguration().ttlExtension)
        #expect(try DemoOptions.parse(["--ttl-extension", "on-state-changes"]).sessionConfiguration().ttlExtension == .onStateChanges)
        #expect(try DemoOptions.parse(["--ttl-remaining-below", "0.9"]).sessionConfiguration().ttlExtension == .whenRemainingBelow(0.9))
        #expect(throws: SessionConfigurationError.self) { try DemoOptions.parse(["--ttl-remaining-below", "0"]).sessionConfiguration() }
        #expect(try DemoOptions.parse(["--memory-capacity", "0"]).memoryStoreConfiguration().capacity == nil)
        #expect(try DemoOptions.parse(["--memory-capacity", "5", "--sweep-interval", "2"]).memoryStoreConfiguration().sweepInterval == .seconds(2))
        let (secrets, note) = try DemoSecrets.resolve(options: options, environment: [:])
        #expect(secrets.previous.count == 2)
        #expect(note == nil)
    }

    @Test(arguments: [
        ["--same-site", "none", "--insecure-cookie"],
        ["--cookie-name", "__Host-id", "--cookie-path", "/app"],
        ["--ttl=0"],
        ["--sweep-interval", "0"],
        ["--memory-capacity=-1"],
        ["--absolute-timeout=-5"],
        ["--cookie-name", "bad name"],
        // Overflowed the millisecond arithmetic at the first save.
        ["--ttl", "10000000000000000"],
        ["--absolute-timeout", "10000000000000000"],
        ["--sweep-interval", "10000000000000000"],
        ["--stale-cookie-grace=-1"],
        ["--stale-cookie-grace", "0"],
        ["--stale-cookie-grace", "86401"],
        ["--longest-request", "0"],
        ["--longest-request", "86401"],
        ["--max-state-bytes", "0"],
        // Prefixes match in any case.
        ["--cookie-name", "__host-id", "--insecure-cookie"],
        ["--cookie-name", "__SECURE-id", "--insecure-cookie"],
    ])
    func invalidCombinationsFailAtStartup(arguments: [String]) throws {
        let options = try DemoOptions.parse(arguments)
        let error = #expect(throws: (any Error).self) { try options.sessionConfiguration() }
        #expect(error is ValidationError || error is SessionConfigurationError, "a configuration error, not \(String(describing: error))")
    }

    @Test(arguments: [["--store", "nosql"], ["--same-site", "sideways"], ["--port", "eighty"], ["--unknown"]])
    func badFlagsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try DemoOptions.parse(arguments) }
    }

    @Test(arguments: ["abcd", "zz" + String(repeating: "00", count: 40), String(repeating: "0", count: 65)])
    func badSecretsAreRefusedWithAClearMessage(hex: String) throws {
        let options = try DemoOptions.parse(["--secret", hex])
        do {
            _ = try DemoSecrets.resolve(options: options, environment: [:])
            Issue.record("secret \(hex) must be refused")
        } catch {
            #expect("\(error)".hasPrefix("--secret"))
        }
    }

    @Test func theEnvironmentSuppliesTheSecret() throws {
        let options = try DemoOptions.parse(["--secret-file", "/nonexistent/dir/secret"])
        let (_, note) = try DemoSecrets.resolve(options: options, environment: ["SESSIONS_SECRET": String(repeating: "ab", count: 32)])
        #expect(note == nil, "no file is created when the environment has a secret")
        let error = #expect(throws: DemoSecrets.Failure.self) {
            try DemoSecrets.resolve(options: options, environment: ["SESSIONS_SECRET": "short"])
        }
        #expect(error?.description.contains("SESSIONS_SECRET") == true)
    }

    @Test func withoutASecretTheDemoCreatesAPrivateFileOnceAndReusesIt() async throws {
        let directory = "/tmp/sessions-demo-test-\(UInt64.random(in: 0 ... .max))"
        #expect(mkdir(directory, 0o700) == 0)
        let path = directory + "/secret"
        defer {
            unlink(path)
            rmdir(directory)
        }
        let options = try DemoOptions.parse(["--secret-file", path])
        let (first, note) = try DemoSecrets.resolve(options: options, environment: [:])
        #expect(note?.contains(path) == true)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let (second, secondNote) = try DemoSecrets.resolve(options: options, environment: [:])
        #expect(secondNote == nil, "the note is printed once, when the file is created")

        let store = MemorySessionStore()
        let writer = try SessionEngine(store: store, secrets: first)
        let session = writer.begin(cookieHeader: nil, logger: Logger(label: "test"))
        try await session.insert("user_id", "ada")
        let setCookie = try #require(try await writer.commit(session, logger: Logger(label: "test")).setCookies.first)
        let reader = try SessionEngine(store: store, secrets: second)
        let restarted = reader.begin(cookieHeader: String(setCookie.prefix { $0 != ";" }), logger: Logger(label: "test"))
        #expect(try await restarted.get("user_id", as: String.self) == "ada", "the same secret is reused on restart")
    }

    /// Runs `body` with a fresh private directory, removed afterwards with everything in it.
    static func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = "/tmp/sessions-demo-test-\(UInt64.random(in: 0 ... .max))"
        #expect(mkdir(directory, 0o700) == 0)
        defer {
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) {
                for entry in entries { unlink(directory + "/" + entry) }
            }
            rmdir(directory)
        }
        try body(directory)
    }

    @Test func aSecretFileThatOthersCouldReadOrSwapIsRefused() throws {
        try Self.withDirectory { directory in
            let secret = String(repeating: "ab", count: 32) + "\n"
            let path = directory + "/secret"
            func resolve() throws -> DemoSecrets.Failure? {
                #expect(throws: DemoSecrets.Failure.self) {
                    _ = try DemoSecrets.resolve(options: try DemoOptions.parse(["--secret-file", path]), environment: [:])
                }
            }
            #expect(
                FileManager.default.createFile(atPath: directory + "/elsewhere", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]))
            #expect(symlink(directory + "/elsewhere", path) == 0)
            #expect(try resolve()?.description.contains("symbolic link") == true)
            unlink(path)

            #expect(FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o640]))
            #expect(try resolve()?.description.contains("group or others") == true)
            #expect(chmod(path, 0o604) == 0)
            #expect(try resolve()?.description.contains("group or others") == true)
            #expect(chmod(path, 0o600) == 0)
            if geteuid() == 0 {
                #expect(chown(path, 65534, 65534) == 0)
                #expect(try resolve()?.description.contains("another user") == true)
                #expect(chown(path, 0, 0) == 0)
            }
            let (secrets, note) = try DemoSecrets.resolve(options: try DemoOptions.parse(["--secret-file", path]), environment: [:])
            #expect(note == nil)
            #expect(secrets.previous.isEmpty)
        }
    }

    @Test func demosStartingTogetherAgreeOnOneSecret() async throws {
        let directory = "/tmp/sessions-demo-test-\(UInt64.random(in: 0 ... .max))"
        #expect(mkdir(directory, 0o700) == 0)
        defer {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] { unlink(directory + "/" + entry) }
            rmdir(directory)
        }
        let options = try DemoOptions.parse(["--secret-file", directory + "/secret"])
        let resolved = Mutex<[SessionSecrets]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let (secrets, _) = try? DemoSecrets.resolve(options: options, environment: [:]) {
                resolved.withLock { $0.append(secrets) }
            }
        }
        let all = resolved.withLock { $0 }
        #expect(all.count == 16, "every start succeeded")
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(entries == ["secret"], "no temporary file is left behind: \(entries)")
        // What the first sealed, every other opens: one secret.
        let store = MemorySessionStore()
        let first = try SessionEngine(store: store, secrets: all[0])
        let session = first.begin(cookieHeader: nil, logger: Logger(label: "test"))
        try await session.insert("user_id", "ada")
        let cookie = try #require(try await first.commit(session, logger: Logger(label: "test")).setCookies.first).prefix { $0 != ";" }
        for secrets in all.dropFirst() {
            let other = try SessionEngine(store: store, secrets: secrets).begin(cookieHeader: String(cookie), logger: Logger(label: "test"))
            #expect(try await other.get("user_id", as: String.self) == "ada")
        }
    }

    @Test func hexRoundTrips() throws {
        let bytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFE, 0xFF]
        #expect(DemoSecrets.encodeHex(bytes) == "00017f80feff")
        _ = try DemoSecrets.secret(fromHex: DemoSecrets.encodeHex(SessionSecret.randomKeyBytes()), source: "--secret")
    }
}
