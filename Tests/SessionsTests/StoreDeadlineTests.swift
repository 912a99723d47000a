import Synchronization
import Testing

@testable import Sessions

@Suite struct StoreDeadlineTests {
    @Test func aFastOperationReturnsItsValue() async throws {
        for index in 0..<1000 {
            #expect(try await withStoreDeadline(.seconds(30), timer: .task) { index } == index)
        }
    }

    @Test func anOperationThatNeverFinishesIsAbandonedAtTheDeadline() async throws {
        // Waits for a value that never comes, like a driver stuck on a server that never answers.
        let stuck = AsyncStream<Int>.makeStream()
        await #expect(throws: StoreTimeout(limit: .milliseconds(50))) {
            try await withStoreDeadline(.milliseconds(50), timer: .task) {
                for await value in stuck.stream { return value }
                return 0
            }
        }
        stuck.continuation.finish()
    }

    @Test func anOperationsErrorComesThrough() async throws {
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await withStoreDeadline(.seconds(30), timer: .task) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func aFinishedOperationCancelsItsTimer() async throws {
        let timer = RecordingTimer()
        for index in 0..<200 {
            #expect(try await withStoreDeadline(.seconds(30), timer: timer.timer) { index } == index)
        }
        // A timer left running would hold its memory, and the outcome, for the whole limit.
        #expect(timer.started == 200)
        #expect(timer.cancelled == 200)
    }

    @Test func theTimerExpiringAbandonsTheOperation() async throws {
        let timer = RecordingTimer()
        let stuck = AsyncStream<Int>.makeStream()
        let call = Task {
            try await withStoreDeadline(.seconds(30), timer: timer.timer) {
                for await value in stuck.stream { return value }
                return 0
            }
        }
        while timer.started == 0 { await Task.yield() }
        timer.expireAll()
        await #expect(throws: StoreTimeout(limit: .seconds(30))) { try await call.value }
        stuck.continuation.finish()
    }
}

/// A timer driven by the test: it never fires on its own, and counts starts and cancellations.
private final class RecordingTimer: Sendable {
    private struct Counts {
        var started = 0
        var cancelled = 0
        var pending: [@Sendable () -> Void] = []
    }

    private let counts = Mutex(Counts())
    var started: Int { counts.withLock { $0.started } }
    var cancelled: Int { counts.withLock { $0.cancelled } }

    var timer: StoreDeadlineTimer {
        StoreDeadlineTimer { _, expire in
            self.counts.withLock {
                $0.started += 1
                $0.pending.append(expire)
            }
            return { self.counts.withLock { $0.cancelled += 1 } }
        }
    }

    func expireAll() {
        for expire in counts.withLock({ $0.pending }) { expire() }
    }
}
