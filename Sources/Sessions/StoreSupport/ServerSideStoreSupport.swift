#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Pieces every server-side store of this package shares: one spelling of each rule.

/// How many renews a purge follows from the key it was given to the key the session lives under now
/// (each renew's tombstone names its successor): more renews than this within one tombstone TTL are not
/// a browser's doing.
package let maximumRenewalsFollowed = 8

/// How many generated keys a save tries before it gives up on collisions (with 256-bit keys, a second
/// attempt already means a broken generator).
package let maximumKeyAttempts = 8

/// Saves under freshly generated keys until `insert` reports that the key was free.
///
/// `insert` returns `false` when a live session already holds the key; it must never overwrite one.
package func saveUnderFreshKey(
    generateKey: () -> SessionKey,
    _ insert: (SessionKey) async throws(SaveError) -> Bool
) async throws(SaveError) -> SessionKey {
    for _ in 0..<maximumKeyAttempts {
        let key = generateKey()
        if try await insert(key) { return key }
    }
    throw keyAttemptsExhausted
}

/// ``saveUnderFreshKey(generateKey:_:)`` for a store that answers on the calling thread.
package func saveUnderFreshKeyImmediately(
    generateKey: () -> SessionKey,
    _ insert: (SessionKey) throws(SaveError) -> Bool
) throws(SaveError) -> SessionKey {
    for _ in 0..<maximumKeyAttempts {
        let key = generateKey()
        if try insert(key) { return key }
    }
    throw keyAttemptsExhausted
}

/// What a renew throws when the new key it was given already holds a session: it must never overwrite
/// one, and the engine's keys are 256 random bits, so this is a broken generator.
package var renewKeyInUse: UpdateError {
    .other(SessionStoreMessage("the new session key is already in use"))
}

private var keyAttemptsExhausted: SaveError {
    .other(SessionStoreMessage("no unused session key after \(maximumKeyAttempts) attempts"))
}

/// The JSON object of a session's entries, as SQL stores keep it in their `state` column.
package enum StoredEntries {
    package static func encode(_ entries: [String: JSONValue]) throws -> String {
        String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
    }

    package static func decode(_ text: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
    }
}

/// Whether `name` may be spliced into SQL as a table name: ASCII letters (lower-case only unless
/// `allowUppercase`), digits and underscores, not starting with a digit, at most `maximumLength` bytes.
package func isPlainSQLIdentifier(_ name: String, allowUppercase: Bool, maximumLength: Int) -> Bool {
    guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), name.utf8.count <= maximumLength else {
        return false
    }
    return name.utf8.allSatisfy { byte in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || (allowUppercase && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte))
    }
}

extension Duration {
    /// Whole nanoseconds, saturating: what NIO's `TimeAmount` takes.
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }

    /// The duration in whole milliseconds, rounded down, saturating.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? .max : sum
    }

    /// The duration in seconds, as a double.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension Date {
    /// Milliseconds since 1970, rounded down: the precision stores persist times at.
    package var unixMilliseconds: Int64 {
        // Nearest, not down: a date made from whole milliseconds (ms / 1000 as a Double) must give the same
        // milliseconds back, or every round trip through a store loses one (found by the persisted-state fuzzer).
        // Saturating: a date beyond Int64's range of milliseconds (a detached session's, say) must not trap.
        let milliseconds = (timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite else { return milliseconds > 0 ? .max : .min }
        return Int64(exactly: milliseconds) ?? (milliseconds > 0 ? .max : .min)
    }

    package init(unixMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(unixMilliseconds) / 1000)
    }

    /// This instant moved on by `duration`.
    package static func + (date: Date, duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return date.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}

extension SessionChangeSet {
    /// Every key whose stored value a merging store drops before writing the set values.
    package var touchedKeys: Set<String> { removedKeys.union(setKeys) }
}

extension SessionState {
    /// The entries the request set, with their new values: what a merging store writes.
    package func entriesSet(by changes: SessionChangeSet) -> [String: JSONValue] {
        entries.filter { changes.setKeys.contains($0.key) }
    }
}
