import Synchronization

/// Why a store call was abandoned: it took longer than its deadline.
package struct StoreTimeout: Error, Hashable, CustomStringConvertible {
    /// The deadline that passed.
    package let limit: Duration
    /// Creates the error.
    package init(limit: Duration) { self.limit = limit }
    package var description: String { "the store did not answer within \(limit)" }
}

/// The clock behind ``withStoreDeadline(_:timer:_:)``: starts a timer that calls `expire` once the limit
/// has passed, and returns what cancels it.
package struct StoreDeadlineTimer: Sendable {
    package typealias Cancel = @Sendable () -> Void
    package let start: @Sendable (_ limit: Duration, _ expire: @escaping @Sendable () -> Void) -> Cancel

    package init(start: @escaping @Sendable (_ limit: Duration, _ expire: @escaping @Sendable () -> Void) -> Cancel) {
        self.start = start
    }

    /// A sleeping task per deadline. A cancelled `Task.sleep` keeps its task's memory until the deadline
    /// would have passed (swiftlang/swift#60441): at thousands of calls a second that is thousands of
    /// tasks per second of limit, which is why callers name their timer and stores on SwiftNIO pass an
    /// event loop's scheduled task, which cancelling frees.
    package static let task = StoreDeadlineTimer { limit, expire in
        let task = Task {
            do {
                try await Task.sleep(for: limit)
                expire()
            } catch {}
        }
        return { task.cancel() }
    }
}

/// Runs `operation`, abandoning it with ``StoreTimeout`` after `limit`: no request waits forever on a
/// store that accepts connections and never answers.
///
/// A task group would wait for its children before returning, and a driver stuck on a dead server may
/// not react to cancellation; so the operation runs in its own task, which is cancelled and left to
/// finish on its own when the deadline passes.
package func withStoreDeadline<Result: Sendable>(
    _ limit: Duration,
    timer: StoreDeadlineTimer,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = StoreDeadlineOutcome<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.start(continuation, limit: limit, timer: timer, operation)
        }
    } onCancel: {
        outcome.cancel()
    }
}

/// Delivers whichever comes first, the operation's result or the deadline, exactly once.
private final class StoreDeadlineOutcome<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var work: Task<Void, Never>?
        var cancelTimer: StoreDeadlineTimer.Cancel?
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<Result, any Error>,
        limit: Duration,
        timer: StoreDeadlineTimer,
        _ operation: @escaping @Sendable () async throws -> Result
    ) {
        let alreadyCancelled = state.withLock { state in
            state.continuation = continuation
            return state.cancelled
        }
        if alreadyCancelled {
            finish(.failure(CancellationError()))
            return
        }
        let work = Task {
            do {
                self.finish(.success(try await operation()))
            } catch {
                self.finish(.failure(error))
            }
        }
        let cancelTimer = timer.start(limit) {
            self.finish(.failure(StoreTimeout(limit: limit)))
        }
        // The result may have been delivered before the work and timer were recorded (a fast operation, or
        // the caller's cancellation), when there was nothing yet to cancel: cancel them now, or the timer
        // would run out the whole deadline holding this outcome and a cancelled caller's operation run on.
        let finished = state.withLock { state in
            guard state.continuation != nil else { return true }
            state.work = work
            state.cancelTimer = cancelTimer
            return false
        }
        if finished {
            work.cancel()
            cancelTimer()
        }
    }

    func cancel() {
        state.withLock { $0.cancelled = true }
        finish(.failure(CancellationError()))
    }

    private func finish(_ result: Swift.Result<Result, any Error>) {
        // The tasks are not needed once the result is delivered: dropping them here means the outcome
        // never keeps a finished task, nor the closure that refers back to the outcome, alive.
        let (continuation, work, cancelTimer) = state.withLock { state in
            defer {
                state.continuation = nil
                state.work = nil
                state.cancelTimer = nil
            }
            return (state.continuation, state.work, state.cancelTimer)
        }
        guard let continuation else { return }
        work?.cancel()
        cancelTimer?()
        continuation.resume(with: result)
    }
}
