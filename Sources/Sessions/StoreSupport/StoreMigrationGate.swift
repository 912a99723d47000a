import Synchronization

/// Runs a store's schema migration once, on first use, however many requests arrive together.
///
/// A failed migration is not remembered: the next call tries again (the database may be back).
package final class StoreMigrationGate: Sendable {
    private enum State {
        case idle
        case running(Task<Void, any Error>)
        case done
    }

    private let state = Mutex(State.idle)

    package init() {}

    /// Runs `migration` unless it already succeeded; concurrent callers share one run.
    package func ensure(_ migration: @escaping @Sendable () async throws -> Void) async throws {
        let task: Task<Void, any Error>? = state.withLock { state in
            switch state {
            case .done:
                return nil
            case .running(let task):
                return task
            case .idle:
                let task = Task { try await migration() }
                state = .running(task)
                return task
            }
        }
        guard let task else { return }
        do {
            try await task.value
            state.withLock { $0 = .done }
        } catch {
            state.withLock { state in
                if case .running = state { state = .idle }
            }
            throw error
        }
    }
}
