import Foundation
import SQLiteNIO
import SessionsSQLite
import Synchronization
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `sessions-demo` binary, driven as a user would: startup errors, signals, restarts.
@Suite struct DemoProcessTests {
    static let secret = String(repeating: "ab", count: 32)

    @Test(arguments: [
        ["--secret", "abcd"],
        ["--framework", "vapor", "--secret", "abcd"],
        ["--framework", "rails"],
        ["--store", "nosql"],
        ["--same-site", "none", "--insecure-cookie", "--secret", secret],
        ["--port", "not-a-port"],
        ["--ttl", "10000000000000000", "--secret", secret],
        ["--cookie-name", "__host-id", "--insecure-cookie", "--secret", secret],
        ["--store", "sqlite", "--sqlite-path", "/nonexistent/directory/sessions.sqlite", "--secret", secret],
        ["--store", "postgres", "--postgres-url", "mysql://nope", "--secret", secret],
        ["--store", "postgres", "--postgres-url", "postgres://postgres:hunter2@127.0.0.1:1/postgres?sslmode=disable", "--secret", secret],
        ["--store", "redis", "--redis-url", "http://nope", "--secret", secret],
        ["--store", "redis", "--redis-url", "redis://:hunter2@127.0.0.1:1", "--secret", secret],
    ])
    func startupErrorsPrintOneLineAndExitNonZero(arguments: [String]) async throws {
        let (output, status) = try await Self.runToExit(arguments)
        #expect(status != 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "got: \(output)")
        #expect(lines.first?.hasPrefix("sessions-demo: error: ") == true)
        #expect(!output.contains("hunter2"), "a password never reaches the output")
    }

    /// Runs the demo with `arguments` until it exits: its standard error and exit status. The wait happens on a
    /// Dispatch thread, not on one of the test run's few cooperative threads: ten demos started at once would
    /// otherwise hold them all for seconds and starve the tests that measure real time against a server.
    static func runToExit(_ arguments: [String]) async throws -> (String, Int32) {
        let process = Process()
        process.executableURL = DemoProcess.executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                continuation.resume(returning: (output, process.terminationStatus))
            }
        }
    }

    @Test(arguments: ["hummingbird", "vapor"], [SIGTERM, SIGINT])
    func theServerStopsCleanlyOnASignal(framework: String, signal: Int32) async throws {
        let demo = try DemoProcess(["--framework", framework, "--store", "memory", "--secret", Self.secret])
        #expect(try await demo.request("GET", "/plain").body == "ok")
        #expect(demo.stop(signal: signal) == 0)
    }

    @Test(arguments: ["hummingbird", "vapor"])
    func aLoggedInSessionSurvivesARestartOnTheDefaultStore(framework: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The default store and a generated secret, as `swift run sessions-demo` has them, but in a temporary folder.
        let arguments = [
            "--framework", framework,
            "--sqlite-path", directory.appendingPathComponent("sessions.sqlite").path,
            "--secret-file", directory.appendingPathComponent("secret").path,
        ]
        let (read, log) = try await Self.logInRestartAndRead(arguments, user: "ada")
        #expect(read == "ada", "the session outlives the process: \(log)")
    }

    /// Logs `user` in on one demo process, stops it, and reads the session back on a second one started
    /// with the same arguments; returns what `/read` said and the second process's log.
    static func logInRestartAndRead(_ arguments: [String], user: String, then: ((DemoProcess, String) async throws -> Void)? = nil)
        async throws -> (String, String)
    {
        let first = try DemoProcess(arguments)
        let login = try await first.request("POST", "/login", body: #"{"user_id":"\#(user)"}"#)
        let cookie = try #require(login.setCookie?.split(separator: ";").first.map(String.init))
        #expect(first.stop(signal: SIGTERM) == 0)

        let second = try DemoProcess(arguments)
        let read = try await second.request("GET", "/read", cookie: cookie)
        try await then?(second, cookie)
        let stopped = second.stop(signal: SIGTERM)
        let log = String(decoding: second.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stopped == 0)
        return (read.body, log)
    }

    /// The demo's `--previous-secret`: after a secret rotation a logged-in browser stays logged in and gets its
    /// cookie re-issued under the new secret; once the old secret is dropped, only the re-issued cookie works.
    @Test(arguments: ["hummingbird", "vapor"])
    func aSecretRotatesThroughPreviousSecret(framework: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let old = String(repeating: "ab", count: 32)
        let new = String(repeating: "cd", count: 32)
        let common = ["--framework", framework, "--sqlite-path", directory.appendingPathComponent("sessions.sqlite").path]

        let first = try DemoProcess(common + ["--secret", old])
        let login = try await first.request("POST", "/login", body: #"{"user_id":"ada"}"#)
        let sealedWithOld = try #require(login.setCookie?.split(separator: ";").first.map(String.init))
        #expect(first.stop(signal: SIGTERM) == 0)

        let rotating = try DemoProcess(common + ["--secret", new, "--previous-secret", old])
        let read = try await rotating.request("GET", "/read", cookie: sealedWithOld)
        #expect(read.body == "ada", "a cookie of the previous secret still opens")
        #expect(read.setCookie == nil, "a read sends no cookie, which could undo a concurrent login")
        let relogin = try await rotating.request("POST", "/login", body: #"{"user_id":"ada"}"#, cookie: sealedWithOld)
        let sealedWithNew = try #require(relogin.setCookie?.split(separator: ";").first.map(String.init), "a new key is sealed anew")
        #expect(sealedWithNew != sealedWithOld)
        #expect(rotating.stop(signal: SIGTERM) == 0)

        let rotated = try DemoProcess(common + ["--secret", new])
        #expect(try await rotated.request("GET", "/read", cookie: sealedWithOld).body == "anonymous", "the dropped secret's cookies are no session")
        #expect(try await rotated.request("GET", "/read", cookie: sealedWithNew).body == "ada")
        #expect(rotated.stop(signal: SIGTERM) == 0)
    }

    @Test(arguments: ["hummingbird", "vapor"])
    func aLoggedInSessionSurvivesARestartOnRedis(framework: String) async throws {
        let arguments = ["--framework", framework, "--store", "redis", "--redis-url", try TestRedis.url(), "--secret", Self.secret]
        let (read, log) = try await Self.logInRestartAndRead(arguments, user: "grace") { demo, cookie async throws in
            #expect(try await demo.request("POST", "/logout", cookie: cookie).status == 200)
            #expect(try await demo.request("GET", "/read", cookie: cookie).body != "grace", "logout deleted it in Redis")
        }
        #expect(read == "grace", "the session lives in Redis, not in the process: \(log)")
    }
}

extension DemoProcessTests {
    @Test func sigtermDuringLoadFinishesCleanlyAndLeavesAConsistentSQLiteFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.sqlite").path
        let arguments = ["--store", "sqlite", "--sqlite-path", path, "--secret", Self.secret]

        let demo = try DemoProcess(arguments)
        let login = try await demo.request("POST", "/login", body: #"{"user_id":"ada"}"#)
        let cookie = try #require(login.setCookie?.split(separator: ";").first.map(String.init))
        // 32 writers create sessions as fast as they can; the signal comes once 300 writes are in.
        let load = LoadProgress()
        let serverErrors = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    var errors = 0
                    while !load.stopped.load(ordering: .relaxed) {
                        guard let reply = try? await demo.request("PUT", "/session/writer\(writer)", body: "\(writer)") else { break }
                        if reply.status >= 500 { errors += 1 }
                        load.completed.add(1, ordering: .relaxed)
                    }
                    return errors
                }
            }
            while load.completed.load(ordering: .relaxed) < 300 { await Task.yield() }
            #expect(demo.stop(signal: SIGTERM) == 0, "the server drains and exits cleanly under load")
            load.stopped.store(true, ordering: .relaxed)
            return try await group.reduce(0, +)
        }
        #expect(serverErrors == 0, "in-flight requests finish or fail to connect; none gets a 5xx")

        let store = try await SQLiteSessionStore.open(path: path)
        let check = try await store.connection.query("PRAGMA integrity_check")
        let verdict = check.first?.column("integrity_check")?.string
        try await store.close()
        #expect(verdict == "ok")

        let again = try DemoProcess(arguments)
        #expect(try await again.request("GET", "/read", cookie: cookie).body == "ada", "the session written before the signal survives")
        #expect(again.stop(signal: SIGTERM) == 0)
    }
}

/// Shared by the load tasks of one test.
final class LoadProgress: Sendable {
    let completed = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
}

/// One running `sessions-demo` on a free port.
final class DemoProcess: @unchecked Sendable {
    /// The demo binary beside the test bundle in the build folder.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sessions-demo")
    }

    let process = Process()
    let output = Pipe()
    let port: Int
    private let watchdog: Task<Void, any Error>

    /// Starts the demo on port 0 and waits until it says where it listens; it is killed after `lifetime`
    /// whatever happens, so a test never hangs on it.
    init(_ arguments: [String], lifetime: Duration = .seconds(120)) throws {
        process.executableURL = Self.executable
        process.arguments = ["--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // A server that never starts fails the test instead of hanging it.
        let pid = process.processIdentifier
        watchdog = Task {
            try await Task.sleep(for: lifetime)
            kill(pid, SIGKILL)
        }
        var seen = ""
        while !seen.contains("listening on 127.0.0.1:") || !seen.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = seen.range(of: "listening on 127.0.0.1:") else {
            throw DemoFailure(description: "the demo did not start: \(seen)")
        }
        port = Int(seen[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    struct DemoFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// A client with no cookie store of its own: the tests manage the cookie header themselves, and a
    /// shared store would mix cookies of servers running in parallel on the same host.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    struct Reply {
        let status: Int
        let body: String
        let setCookie: String?
    }

    func request(_ method: String, _ path: String, body: String? = nil, cookie: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpShouldHandleCookies = false
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), setCookie: http.value(forHTTPHeaderField: "Set-Cookie"))
    }

    /// Sends `signal` and returns the exit status once the process has exited on its own.
    func stop(signal: Int32) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        watchdog.cancel()
        return process.terminationReason == .exit ? process.terminationStatus : -signal
    }

    deinit {
        if process.isRunning { process.terminate() }
        watchdog.cancel()
    }
}
