import Foundation
import PostgresNIO
import SQLiteNIO
import SessionsRedis
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A bounded soak of the built demo binary on each store, through each framework: sessions with a 5-second TTL are created
/// continuously while long-lived ones count, and the sweepers run every second. (The TTL leaves room for
/// the slowest round seen here, 2.3 s on PostgreSQL: a longer pause would expire a counting session.)
///
/// Expected: every reply a 2xx, every counter exactly one more than the last (no lost update), and the
/// server's resident memory flat once the first sessions have expired: sampled every second after the
/// warm-up, its least-squares slope at most ``residentSlopeBound`` and its growth at most
/// ``residentGrowthBound``. Sessions that were not swept, or a pool that leaks (the PostgreSQL pool's idle
/// timers once leaked about 4 MiB a second), grow it without limit. On SQLite, PostgreSQL and Redis the
/// sessions left in the store at the end are counted too: at most what the run creates in twice the TTL
/// plus the sweep interval (every session lives TTL, then waits at most one interval for the sweeper). CI runs 20 seconds per store and
/// framework (13 samples after the warm-up); `scripts/soak` runs minutes (`SESSIONS_SOAK_SECONDS`).
@Suite(.serialized) struct SoakUnderLoadTests {
    enum Store: String, CaseIterable, Sendable {
        case memory, sqlite, redis, postgres, cookie
    }

    enum Framework: String, CaseIterable, Sendable {
        case hummingbird, vapor
    }

    /// How much the resident set may grow between the end of the warm-up and the end of the run.
    static let residentGrowthBound = 24 << 20
    /// How fast the resident set may grow after the warm-up, in bytes a second: under the leak it is meant
    /// to catch (about 4 MiB a second), over the step one late allocation can put in a 13-sample slope.
    static let residentSlopeBound = 3 << 20

    static var seconds: Int {
        ProcessInfo.processInfo.environment["SESSIONS_SOAK_SECONDS"].flatMap(Int.init) ?? 20
    }

    @Test(arguments: Store.allCases, Framework.allCases)
    func soak(store: Store, framework: Framework) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = [
            "--store", store.rawValue, "--framework", framework.rawValue, "--secret", DemoProcessTests.secret, "--ttl", "5", "--sweep-interval", "1",
        ]
        switch store {
        case .memory, .cookie: break
        case .sqlite: arguments += ["--sqlite-path", directory.appendingPathComponent("soak.sqlite").path]
        case .redis: arguments += ["--redis-url", try TestRedis.url()]
        case .postgres: arguments += ["--postgres-url", try TestServices.environment("SESSIONS_TEST_POSTGRES_URL")]
        }
        let duration = Duration.seconds(Self.seconds)
        let demo = try DemoProcess(arguments, lifetime: duration + .seconds(120))
        let pid = demo.process.processIdentifier

        let storedBefore = try await Self.storedSessions(store, directory: directory)
        let soak = Soak()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { try await soak.work(demo, until: start + duration) }
            }
            // Resident memory once a second; the warm-up ends after a third of the run, and not before the
            // first sessions have expired and been swept (TTL + sweep interval, with a margin).
            var samples: [(seconds: Double, bytes: Int)] = []
            while ContinuousClock.now < start + duration {
                try await Task.sleep(for: .seconds(1))
                let elapsed = ContinuousClock.now - start
                guard let bytes = Self.residentBytes(of: pid) else {
                    Issue.record("the demo's resident memory cannot be read from /proc/\(pid)/status: the bound cannot be checked")
                    break
                }
                if elapsed >= max(duration / 3, .seconds(7)) { samples.append((Double(elapsed.components.seconds), bytes)) }
            }
            try await group.waitForAll()
            soak.record(samples)
        }
        let storedAfter = try await Self.storedSessions(store, directory: directory)
        #expect(demo.stop(signal: SIGTERM) == 0)
        if let storedBefore, let storedAfter {
            // Sessions are created at a steady rate; without a sweep, every one of them would still be there.
            let perSecond = Double(soak.report.sessionsCreated) / Double(Self.seconds)
            let bound = Int(perSecond * 2 * (5 + 1)) + 50
            #expect(storedAfter - storedBefore <= bound, "expired sessions are swept: \(storedAfter - storedBefore) left, bound \(bound)")
            print("soak \(store) through \(framework): \(storedAfter - storedBefore) sessions in the store at the end (bound \(bound))")
        }

        let report = soak.report
        print("soak \(store) through \(framework) for \(Self.seconds) s: \(report)")
        #expect(report.requests > 0)
        #expect(report.unexpected.isEmpty, "every reply is a 2xx and every counter counts: \(report.unexpected.prefix(5))")
        #expect(report.samples >= 5, "enough samples after the warm-up to tell a slope: \(report)")
        #expect(report.endResident - report.warmResident <= Self.residentGrowthBound, "expired sessions are swept: \(report)")
        #expect(report.residentSlope <= Double(Self.residentSlopeBound), "resident memory stays flat: \(report)")
    }

    /// How many sessions `store` holds, expired ones not yet swept included; `nil` for the stores whose
    /// sessions are not countable from outside (memory: in the process; cookie: in the browsers).
    static func storedSessions(_ store: Store, directory: URL) async throws -> Int? {
        switch store {
        case .memory, .cookie:
            return nil
        case .sqlite:
            let path = directory.appendingPathComponent("soak.sqlite").path
            guard FileManager.default.fileExists(atPath: path) else { return 0 }
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            let count = try? await connection.query("SELECT count(*) AS n FROM sessions").first?.column("n")?.integer
            try await connection.close()
            return count ?? 0
        case .postgres:
            var count = 0
            try await TestPostgres.withClient { client in
                let exists = try await client.query("SELECT to_regclass('public.sessions') IS NOT NULL")
                var present = false
                for try await value in exists.decode(Bool.self) { present = value }
                guard present else { return }
                for try await value in try await client.query("SELECT count(*) FROM sessions").decode(Int64.self) { count = Int(value) }
            }
            return count
        case .redis:
            var count = 0
            try await TestRedis.withClient { client in
                if case .integer(let keys) = try await client.send(["DBSIZE"]) { count = Int(keys) }
            }
            return count
        }
    }

    /// The resident set size of `pid`, from /proc; `nil` when it cannot be read.
    static func residentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? ""), kilobytes > 0
        else { return nil }
        return kilobytes * 1024
    }

    /// The least-squares slope of `samples`, in bytes a second.
    static func slope(_ samples: [(seconds: Double, bytes: Int)]) -> Double {
        guard samples.count >= 2 else { return 0 }
        let count = Double(samples.count)
        let meanX = samples.map(\.seconds).reduce(0, +) / count
        let meanY = samples.map { Double($0.bytes) }.reduce(0, +) / count
        let covariance = samples.map { ($0.seconds - meanX) * (Double($0.bytes) - meanY) }.reduce(0, +)
        let variance = samples.map { ($0.seconds - meanX) * ($0.seconds - meanX) }.reduce(0, +)
        return variance == 0 ? 0 : covariance / variance
    }
}

/// What the soak's workers saw.
final class Soak: Sendable {
    struct Report: Sendable, CustomStringConvertible {
        var requests = 0
        var sessionsCreated = 0
        var unexpected: [String] = []
        var warmResident = 0
        var endResident = 0
        var samples = 0
        /// Bytes a second, after the warm-up.
        var residentSlope = 0.0
        var slowestRound = Duration.zero

        var description: String {
            "\(requests) requests, \(sessionsCreated) sessions created, resident \(warmResident >> 20) MiB after warm-up → \(endResident >> 20) MiB at the end (slope \(Int(residentSlope) >> 10) KiB/s over \(samples) samples), slowest round \(slowestRound), \(unexpected.count) unexpected"
        }
    }

    private let state = Mutex(Report())

    var report: Report { state.withLock { $0 } }

    func record(_ samples: [(seconds: Double, bytes: Int)]) {
        state.withLock {
            $0.warmResident = samples.first?.bytes ?? 0
            $0.endResident = samples.last?.bytes ?? 0
            $0.samples = samples.count
            $0.residentSlope = SoakUnderLoadTests.slope(samples)
        }
    }

    /// One worker: a long-lived session counted up one by one, a new session each round (left to expire),
    /// and a read, until `deadline`.
    func work(_ demo: DemoProcess, until deadline: ContinuousClock.Instant) async throws {
        var cookie: String?
        var expected = 1
        while ContinuousClock.now < deadline {
            let began = ContinuousClock.now
            let counted = try await demo.request("GET", "/counter", cookie: cookie)
            check(counted, expecting: String(expected), what: "counter")
            // The cookie store re-seals its state into a new cookie on every change.
            if let setCookie = counted.setCookie { cookie = String(setCookie.prefix { $0 != ";" }) }
            expected += 1

            let fresh = try await demo.request("GET", "/counter")
            check(fresh, expecting: "1", what: "new session")
            let read = try await demo.request("GET", "/read", cookie: cookie)
            check(read, expecting: "anonymous", what: "read")
            let took = ContinuousClock.now - began
            state.withLock {
                $0.requests += 3
                $0.sessionsCreated += 1
                $0.slowestRound = max($0.slowestRound, took)
            }
        }
    }

    private func check(_ reply: DemoProcess.Reply, expecting body: String, what: String) {
        guard reply.status != 200 || reply.body != body else { return }
        state.withLock { $0.unexpected.append("\(what): \(reply.status) \(reply.body.prefix(60)) (expected \(body))") }
    }
}
