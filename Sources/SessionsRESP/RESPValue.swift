public import NIOCore

/// One RESP2 or RESP3 reply from a Redis server.
///
/// ```swift
/// if case .bulkString(let bytes?) = reply { ... }
/// ```
public enum RESPValue: Sendable, Hashable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR ...` (and RESP3 bulk errors `!`)
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5 hello`; `nil` for the RESP2 null bulk string `$-1`
    case bulkString(ByteBuffer?)
    /// `*2 ...`; `nil` for the RESP2 null array `*-1`. RESP3 sets `~` and pushes `>` decode as arrays too.
    case array([RESPValue]?)
    /// RESP3 `_`
    case null
    /// RESP3 `#t` / `#f`
    case boolean(Bool)
    /// RESP3 `,3.14`
    case double(Double)
    /// RESP3 `(` big numbers, kept as their decimal text
    case bigNumber(String)
    /// RESP3 `%` maps, in the order the server sent them
    case map([(RESPValue, RESPValue)])

    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)): a == b
        case (.error(let a), .error(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.bulkString(let a), .bulkString(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.null, .null): true
        case (.boolean(let a), .boolean(let b)): a == b
        case (.double(let a), .double(let b)): a == b || (a.isNaN && b.isNaN)
        case (.bigNumber(let a), .bigNumber(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .simpleString(let value):
            hasher.combine(0)
            hasher.combine(value)
        case .error(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .integer(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .bulkString(let value):
            hasher.combine(3)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(4)
            hasher.combine(value)
        case .null: hasher.combine(5)
        case .boolean(let value):
            hasher.combine(6)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(7)
            hasher.combine(value.isNaN ? .nan : value)
        case .bigNumber(let value):
            hasher.combine(8)
            hasher.combine(value)
        case .map(let pairs):
            hasher.combine(9)
            for (key, value) in pairs {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }
}
