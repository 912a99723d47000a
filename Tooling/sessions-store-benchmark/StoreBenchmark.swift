import ArgumentParser
import Sessions
import SessionsRedis

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Raw store throughput: `concurrency` callers each loading a session and updating one of its keys, as a
/// request that changes its session does, for `duration` seconds. Prints load+update pairs per second.
/// `scripts/bench-redis-store` runs it beside `redis-benchmark` on the same server.
@main
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions-store-benchmark",
        abstract: "Load+update pairs per second against a session store."
    )

    enum StoreKind: String, ExpressibleByArgument {
        case redis, memory
    }

    @Option(help: "The store to drive.")
    var store: StoreKind = .redis

    @Option(help: "The Redis URL for --store redis.")
    var redisUrl = "redis://127.0.0.1:6379"

    @Option(help: "Pooled Redis connections.")
    var connections = 4

    @Option(help: "Concurrent callers.")
    var concurrency = 32

    @Option(help: "Distinct sessions the callers spread over.")
    var sessions = 1000

    @Option(help: "Seconds to measure, after one second of warm-up.")
    var duration = 10

    @Option(help: "Instead of throughput: fill a memory store with this many small sessions (two keys each) and print the resident memory they take.")
    var footprint: Int?

    func run() async throws {
        if let footprint {
            try await measureFootprint(sessions: footprint)
            return
        }
        switch store {
        case .memory:
            try await measure(MemorySessionStore(configuration: .init(capacity: nil)))
        case .redis:
            var configuration = try RedisClientConfiguration(url: redisUrl)
            configuration.maximumConnections = connections
            let client = try RedisClient(configuration: configuration)
            let prefix = "bench-" + String(UInt32.random(in: 0 ... .max), radix: 36) + ":"
            do {
                try await measure(RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix)))
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
    }

    private func measureFootprint(sessions: Int) async throws {
        let store = MemorySessionStore(configuration: .init(capacity: nil))  // --footprint counts past the default bound
        let before = residentBytes()
        let now = Date()
        for index in 0..<sessions {
            _ = try await store.save(
                SessionState(["user_id": .string("user-\(index)"), "counter": .integer(Int64(index))], createdAt: now), ttl: .seconds(3600))
        }
        let after = residentBytes()
        let perSession = Double(after - before) / Double(sessions)
        print("sessions=\(store.count) resident_before=\(before / 1_048_576) MiB resident_after=\(after / 1_048_576) MiB")
        print("bytes per session: \(Int(perSession.rounded()))")
    }

    /// VmRSS from /proc/self/status, in bytes.
    private func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) * 1024
    }

    private func measure<Store: SessionStore>(_ store: Store) async throws {
        let ttl = Duration.seconds(600)
        var keys: [SessionKey] = []
        for index in 0..<sessions {
            keys.append(try await store.save(SessionState(["user_id": .string("user-\(index)"), "counter": 0], createdAt: Date()), ttl: ttl))
        }
        let sessionKeys = keys
        let changes = SessionChangeSet(setKeys: ["counter"])

        func runCallers(for seconds: Int) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(seconds)
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for caller in 0..<concurrency {
                    group.addTask {
                        var pairs = 0
                        var index = caller
                        while ContinuousClock.now < deadline {
                            let key = sessionKeys[index % sessionKeys.count]
                            index += concurrency
                            guard var state = try await store.load(key) else { throw SessionStoreMessage("a benchmark session vanished") }
                            state["counter"] = .integer((state["counter"].flatMap { if case .integer(let n) = $0 { n } else { nil } } ?? 0) + 1)
                            guard case .updated = try await store.update(key, to: state, changes: changes, ttl: ttl) else {
                                throw SessionStoreMessage("a benchmark session vanished")
                            }
                            pairs += 1
                        }
                        return pairs
                    }
                }
                return try await group.reduce(0, +)
            }
        }

        _ = try await runCallers(for: 1)
        let started = ContinuousClock.now
        let pairs = try await runCallers(for: duration)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("store=\(store) concurrency=\(concurrency) sessions=\(sessions) pairs=\(pairs) seconds=\((seconds * 100).rounded() / 100)")
        print("load+update pairs/s: \(Int((Double(pairs) / seconds).rounded()))")
        for key in sessionKeys { try await store.delete(key) }
    }
}
