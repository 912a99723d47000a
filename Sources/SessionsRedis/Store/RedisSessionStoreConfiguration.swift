/// How a ``RedisSessionStore`` names its keys.
///
/// ```swift
/// let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: "myapp:session:"))
/// ```
public struct RedisSessionStoreConfiguration: Sendable, Hashable {
    /// Put before the hex SHA-256 of every session key, so sessions share a server with other data
    /// (and with other apps) without clashing.
    public var keyPrefix: String

    /// Creates a configuration.
    public init(keyPrefix: String = "session:") {
        self.keyPrefix = keyPrefix
    }
}
