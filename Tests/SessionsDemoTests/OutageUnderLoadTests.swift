import FoundationEssentials
import HTTPTypes
import Logging
import Sessions
import SessionsPostgres
import SessionsRedis
import Synchronization
import TestSupport
import Testing

/// The store's server killed (SIGKILL for Redis, an immediate shutdown for PostgreSQL) in the middle of a
/// load run on the demo's routes, then started again, with the app running throughout.
///
/// Eight workers send `GET /counter` over 32 sessions created beforehand, each worker on its own sessions
/// so that every session's counter is a ledger: a 200 acknowledges a value. The server is killed after 150
/// acknowledged requests, started again once every worker has seen a failure, and the run ends when the
/// last 64 requests all succeeded and every session has been served again. Each phase waits on its
/// condition, with a deadline only as a guard.
@Suite struct OutageUnderLoadTests {
    enum Server: String, CaseIterable, Sendable {
        case redis, postgres
    }

    @Test(arguments: Server.allCases)
    func aServerKilledMidLoadFailsOnlyTheRequestsOfTheOutageAndLosesNothing(server: Server) async throws {
        try await Self.withDemo(on: server) { client async throws in
            let run = LoadRun(client: client, sessions: 32, workers: 8)
            try await run.createSessions()
            let report = try await run.drive(
                kill: { try await Self.control(server, "KILL") },
                start: { try await Self.control(server, "START") }
            )

            #expect(report.failuresBeforeTheKill == 0, "nothing fails before the kill")
            #expect(report.outageFailures >= 8, "the kill was felt by every worker")
            #expect(report.unexpectedReplies.isEmpty, "every failure is the documented empty 500: \(report.unexpectedReplies)")
            #expect(report.regressions.isEmpty, "each acknowledged count is above the last one of its session: \(report.regressions)")
            // Each failure waits at most for the store's timeouts (2-3 s here); the margin is wide on purpose.
            #expect(report.slowestFailure < .seconds(15), "a failure comes within the timeout, not after a hang")
            #expect(report.finished, "the app recovered with no restart: \(report.summary)")
            print(
                "outage under load, \(server): \(report.summary), \(report.outageFailures) failed during the outage, slowest failure \(report.slowestFailure)"
            )

            for ledger in report.ledgers {
                let final = try await run.counter(of: ledger)
                #expect(final >= ledger.highestAcknowledged, "an acknowledged write was lost: \(ledger.highestAcknowledged) → \(final)")
                #expect(final <= ledger.highestAcknowledged + ledger.failures, "a failed request landed more than once")
            }
        }
    }

    static func control(_ server: Server, _ action: String) async throws {
        switch server {
        case .redis: try await TestRedis.control(.crash, action)
        case .postgres: try await TestPostgres.control(.crash, action)
        }
    }

    static func withDemo(on server: Server, _ test: @Sendable (DemoClient) async throws -> Void) async throws {
        switch server {
        case .redis:
            try await TestRedis.withClient(
                .crash,
                configure: {
                    $0.commandTimeout = .seconds(2)
                    $0.connectTimeout = .seconds(1)
                }
            ) {
                client async throws in
                let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
                try await withDemo(store: store, test)
            }
        case .postgres:
            try await TestPostgres.withClient(.crash) { client async throws in
                let store = try PostgresSessionStore(
                    client: client,
                    configuration: .init(tableName: TestPostgres.uniqueTable(), queryTimeout: .seconds(3))
                )
                try await withDemo(store: store, test)
            }
        }
    }

    /// The demo in process; quiet, since the outage logs an error per failed request by design.
    static func withDemo<Store: SessionStore>(store: Store, _ test: @Sendable (DemoClient) async throws -> Void) async throws {
        let quiet = Logger(label: "outage-under-load") { _ in SwiftLogNoOpLogHandler() }
        try await DemoRouteTests.withDemo(.hummingbird, store: store, logger: quiet, test)
    }
}

/// A load run over a fixed set of sessions, and what it saw.
final class LoadRun: Sendable {
    struct Ledger: Sendable {
        let cookie: String
        var highestAcknowledged = 0
        var failures = 0
        var servedAfterRestart = false
    }

    struct Report: Sendable {
        var ledgers: [Ledger]
        var failuresBeforeTheKill = 0
        var outageFailures = 0
        var unexpectedReplies: [String] = []
        var regressions: [String] = []
        var slowestFailure = Duration.zero
        var finished = false
        var summary = ""
    }

    private enum Phase { case beforeTheKill, outage, restarted }

    private struct State {
        var report: Report
        var phase = Phase.beforeTheKill
        var successes = 0
        var successesSinceRestart = 0
        var successStreak = 0
        var workersThatFailed = Set<Int>()
        var stop = false
    }

    let client: DemoClient
    let sessionCount: Int
    let workers: Int
    private let state: Mutex<State>

    init(client: DemoClient, sessions: Int, workers: Int) {
        self.client = client
        self.sessionCount = sessions
        self.workers = workers
        state = Mutex(State(report: Report(ledgers: [])))
    }

    func createSessions() async throws {
        var ledgers: [Ledger] = []
        for _ in 0..<sessionCount {
            let reply = try await sendDuringSetup(.get, "/counter")
            let setCookie = try #require(reply.setCookies.first)
            let cookie = String(setCookie.prefix { $0 != ";" })
            #expect(reply.body == "1")
            ledgers.append(Ledger(cookie: cookie, highestAcknowledged: 1))
        }
        state.withLock { $0.report.ledgers = ledgers }
    }

    /// A setup request, tried again while it times out: on a fresh test process both cores may be busy
    /// for seconds (the suite's other tests start at once), and the setup is not what this test is about.
    private func sendDuringSetup(_ method: HTTPRequest.Method, _ path: String) async throws -> DemoClient.Reply {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while true {
            let reply = try await client.send(method, path, [:], nil)
            if reply.status != .internalServerError || clock.now >= deadline { return reply }
        }
    }

    /// The counter a session holds now, read-only (`GET /` is JSON with `counter`).
    func counter(of ledger: Ledger) async throws -> Int {
        let reply = try await client.send(.get, "/", [.cookie: ledger.cookie], nil)
        #expect(reply.status == .ok)
        struct Index: Decodable { var counter: Int }
        return try JSONDecoder().decode(Index.self, from: Data(reply.body.utf8)).counter
    }

    /// Runs the load; kills the server after 150 acknowledged requests, starts it once every worker has seen
    /// a failure, and ends when the last 64 requests succeeded and every session was served since.
    func drive(kill: @escaping @Sendable () async throws -> Void, start: @escaping @Sendable () async throws -> Void) async throws -> Report {
        let (events, sink) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask { [self] in
                    await work(worker, sink: sink)
                }
            }
            group.addTask { [self] in
                // However this ends (done, deadline, a failed kill or start), the workers stop.
                defer {
                    state.withLock { $0.stop = true }
                    sink.finish()
                }
                var killed = false
                var started = false
                let deadline = ContinuousClock.now + .seconds(120)
                for await _ in events {
                    if ContinuousClock.now > deadline { break }
                    let (phase, successes, everyWorkerFailed, done) = state.withLock { state in
                        (
                            state.phase, state.successes, state.workersThatFailed.count == workers,
                            state.phase == .restarted && state.successStreak >= 64 && state.successesSinceRestart >= 150
                                && state.report.ledgers.allSatisfy(\.servedAfterRestart)
                        )
                    }
                    if !killed, phase == .beforeTheKill, successes >= 150 {
                        killed = true
                        state.withLock { $0.phase = .outage }
                        try await kill()
                    } else if killed, !started, everyWorkerFailed {
                        started = true
                        try await start()
                        state.withLock { $0.phase = .restarted }
                    } else if done {
                        state.withLock { $0.report.finished = true }
                        break
                    }
                }
            }
            try await group.waitForAll()
        }
        return state.withLock { state in
            var report = state.report
            report.summary =
                "phase \(state.phase), \(state.successes) acknowledged, \(state.successesSinceRestart) since the restart, streak \(state.successStreak)"
            return report
        }
    }

    private func work(_ worker: Int, sink: AsyncStream<Void>.Continuation) async {
        let mine = Array(stride(from: worker, to: sessionCount, by: workers))
        var turn = 0
        while !state.withLock({ $0.stop }) {
            let index = mine[turn % mine.count]
            turn += 1
            let cookie = state.withLock { $0.report.ledgers[index].cookie }
            let began = ContinuousClock.now
            let reply = try? await client.send(.get, "/counter", [.cookie: cookie], nil)
            let took = ContinuousClock.now - began
            state.withLock { state in
                guard let reply else {
                    state.report.unexpectedReplies.append("the client threw")
                    return
                }
                if reply.status == .ok, let value = Int(reply.body) {
                    state.successes += 1
                    state.successStreak += 1
                    // One worker drives each session, one request at a time: every acknowledged count must be above
                    // the one before, or an acknowledged write was lost and its count handed out again.
                    let previous = state.report.ledgers[index].highestAcknowledged
                    if value <= previous {
                        state.report.regressions.append("session \(index): \(value) acknowledged after \(previous)")
                    }
                    state.report.ledgers[index].highestAcknowledged = max(previous, value)
                    if state.phase == .restarted {
                        state.successesSinceRestart += 1
                        state.report.ledgers[index].servedAfterRestart = true
                    }
                    return
                }
                state.successStreak = 0
                state.report.ledgers[index].failures += 1
                state.report.slowestFailure = max(state.report.slowestFailure, took)
                if reply.status != .internalServerError || !reply.body.isEmpty || !reply.setCookies.isEmpty {
                    state.report.unexpectedReplies.append("\(reply.status.code) \(reply.body.prefix(80))")
                }
                switch state.phase {
                case .beforeTheKill: state.report.failuresBeforeTheKill += 1
                case .outage, .restarted:
                    state.report.outageFailures += 1
                    state.workersThatFailed.insert(worker)
                }
            }
            sink.yield()
        }
    }
}
