import Sessions
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A clock that moves only when told: TTLs and timeouts tested without waiting.
///
/// ```swift
/// let clock = ManualSessionClock()
/// let store = MemorySessionStore(clock: clock)
/// clock.advance(by: .seconds(3601))   // every one-hour session is now expired
/// ```
public final class ManualSessionClock: SessionClock {
    private let current: Mutex<Date>

    /// Starts at `start` (by default 2026-01-01T00:00:00Z).
    public init(start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }

    /// Moves the clock forward by `duration` at once: nothing waits.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        advance(by: duration)
    }
}
