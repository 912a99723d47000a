#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The wall clock the engine and in-process stores read time from.
///
/// Time is an input: tests pass a clock they move by hand (`SessionsTesting.ManualSessionClock`)
/// and check TTLs and timeouts without waiting.
///
/// ```swift
/// let store = MemorySessionStore(clock: SystemSessionClock())
/// ```
public protocol SessionClock: Sendable {
    /// The current time.
    var now: Date { get }

    /// Waits `duration` (the pause before a store call is asked again); throws when the task is cancelled.
    /// The default sleeps; a clock tests move by hand moves itself instead.
    func sleep(for duration: Duration) async throws
}

extension SessionClock {
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// The system's wall clock.
public struct SystemSessionClock: SessionClock {
    /// Creates the system clock.
    public init() {}
    public var now: Date { Date() }
}
