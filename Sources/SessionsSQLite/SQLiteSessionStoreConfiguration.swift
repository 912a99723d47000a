public import Sessions

/// How an ``SQLiteSessionStore`` names its table and reads the time.
///
/// ```swift
/// let configuration = SQLiteSessionStoreConfiguration(tableName: "web_sessions")
/// ```
public struct SQLiteSessionStoreConfiguration: Sendable {
    /// The sessions table; letters, digits and underscores, not starting with a digit.
    public var tableName: String
    /// Where "now" comes from: `nil` (the default) uses the database's clock; tests pass a
    /// `ManualSessionClock` to move time by hand.
    public var clock: (any SessionClock)?

    /// Creates a configuration.
    public init(tableName: String = "sessions", clock: (any SessionClock)? = nil) {
        self.tableName = tableName
        self.clock = clock
    }
}
