import Synchronization

/// What a client has in flight: commands awaiting a reply (each with its timeout scheduled) and connects
/// under way. Lets tests prove that timeouts and outages leave nothing behind, without timing anything.
final class RedisClientActivity: Sendable {
    private let sent = Atomic<Int>(0)
    private let awaiting = Atomic<Int>(0)
    private let connecting = Atomic<Int>(0)
    private let attempted = Atomic<Int>(0)

    /// Commands sent, retries included.
    var commandsSent: Int { sent.load(ordering: .relaxed) }
    /// Commands whose reply (or failure) has not arrived yet.
    var pendingReplies: Int { awaiting.load(ordering: .relaxed) }
    /// Connects (TCP, TLS, handshake) under way.
    var connectsInFlight: Int { connecting.load(ordering: .relaxed) }
    /// Connects started so far.
    var connectAttempts: Int { attempted.load(ordering: .relaxed) }

    func commandSent() { sent.add(1, ordering: .relaxed) }
    func replyAwaited() { awaiting.add(1, ordering: .relaxed) }
    func replyArrived() { awaiting.subtract(1, ordering: .relaxed) }
    func connectStarted() {
        connecting.add(1, ordering: .relaxed)
        attempted.add(1, ordering: .relaxed)
    }
    func connectEnded() { connecting.subtract(1, ordering: .relaxed) }
}
