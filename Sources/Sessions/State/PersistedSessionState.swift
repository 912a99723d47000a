#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The versioned byte format stores persist a ``SessionState`` in:
/// `{"v":1,"created":<unix ms>,"state":{...}}`, plus `"expires":<unix ms>` where the store embeds it.
///
/// ```swift
/// let bytes = try PersistedSessionState.encode(state)
/// let (restored, _) = try PersistedSessionState.decode(bytes)
/// ```
package enum PersistedSessionState {
    /// The format version this library writes.
    package static let currentVersion = 1

    private struct Envelope: Codable {
        var v: Int
        var created: Int64
        var expires: Int64?
        var state: [String: JSONValue]
    }

    /// Encodes `state` (and an optional embedded expiry) as version-1 JSON bytes.
    package static func encode(_ state: SessionState, expiresAt: Date? = nil) throws -> [UInt8] {
        let envelope = Envelope(
            v: currentVersion,
            created: state.createdAt.unixMilliseconds,
            expires: expiresAt?.unixMilliseconds,
            state: state.entries
        )
        return Array(try JSONEncoder().encode(envelope))
    }

    /// Decodes bytes written by ``encode(_:expiresAt:)``.
    /// - Throws: ``PersistedSessionStateError`` for malformed bytes or an unknown version.
    package static func decode(_ bytes: some Collection<UInt8>) throws(PersistedSessionStateError) -> (state: SessionState, expiresAt: Date?) {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(bytes))
        } catch {
            throw .malformed
        }
        guard envelope.v == currentVersion else { throw .unsupportedVersion(envelope.v) }
        return (
            SessionState(envelope.state, createdAt: Date(unixMilliseconds: envelope.created)),
            envelope.expires.map(Date.init(unixMilliseconds:))
        )
    }
}

/// Why persisted session bytes could not be read.
package struct PersistedSessionStateError: Error, Hashable, CustomStringConvertible {
    private enum Reason: Hashable {
        case malformed
        case unsupportedVersion(Int)
    }

    private let reason: Reason

    /// The bytes are not a persisted session state.
    package static var malformed: Self { .init(reason: .malformed) }
    /// The bytes were written in a format version this library does not read.
    package static func unsupportedVersion(_ version: Int) -> Self { .init(reason: .unsupportedVersion(version)) }

    package var description: String {
        switch reason {
        case .malformed: "persisted session state is malformed"
        case .unsupportedVersion(let version): "persisted session state has unsupported format version \(version)"
        }
    }
}
