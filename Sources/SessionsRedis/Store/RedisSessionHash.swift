import NIOCore
import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How one session lies in its Redis hash: `created` holds the creation time in Unix milliseconds, and
/// each entry is a field named `=` + its name holding the value's JSON. The prefix keeps entry names from
/// ever meeting the metadata field, whatever the application calls them.
enum RedisSessionHash {
    static let createdField = "created"
    static let expiresField = "expires"
    static let entryMarker = UInt8(ascii: "=")

    static func field(_ name: String) -> RESPArgument {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(name.utf8.count + 1)
        bytes.writeInteger(entryMarker)
        bytes.writeString(name)
        return RESPArgument(bytes)
    }

    /// Field/value pairs for `entries`.
    static func pairs(_ entries: [String: JSONValue], into arguments: inout [RESPArgument]) throws {
        var encoder: JSONEncoder?
        for (name, value) in entries {
            arguments.append(field(name))
            if let json = value.simpleScalarJSON {
                arguments.append(RESPArgument(bytes: json))
            } else {
                if encoder == nil { encoder = JSONEncoder() }
                arguments.append(RESPArgument(ByteBuffer(bytes: try encoder!.encode(value))))
            }
        }
    }

    /// The session in an `HGETALL` reply; `nil` for an empty reply (no such key, or expired). A hash written
    /// before `expires` was recorded has no expiry.
    static func decode(_ reply: RESPValue) throws -> SessionRecord? {
        guard case .array(let elements?) = reply, elements.count.isMultiple(of: 2) else {
            throw SessionStoreMessage("the session hash reply is not a list of field/value pairs")
        }
        guard !elements.isEmpty else { return nil }
        var decoder: JSONDecoder?
        var entries: [String: JSONValue] = [:]
        entries.reserveCapacity(elements.count / 2 - 1)
        var created: Int64?
        var expires: Int64?
        var index = 0
        while index < elements.count {
            guard case .bulkString(let field?) = elements[index], case .bulkString(let value?) = elements[index + 1] else {
                throw SessionStoreMessage("the session hash holds a field that is not a string")
            }
            index += 2
            if field.readableBytes > 0, field.getInteger(at: field.readerIndex, as: UInt8.self) == entryMarker {
                guard let name = String(validating: field.readableBytesView.dropFirst(), as: UTF8.self) else {
                    throw SessionStoreMessage("the session hash holds an entry name that is not UTF-8")
                }
                if let simple = value.withUnsafeReadableBytes({ JSONValue.simpleScalar(json: $0) }) {
                    entries[name] = simple
                    continue
                }
                do {
                    if decoder == nil { decoder = JSONDecoder() }
                    entries[name] = try decoder!.decode(JSONValue.self, from: Data(value.readableBytesView))
                } catch {
                    throw SessionStoreMessage("the session hash holds an entry that is not JSON")
                }
            } else if field.readableBytesView.elementsEqual(createdField.utf8) {
                guard let text = value.getString(at: value.readerIndex, length: value.readableBytes), let milliseconds = Int64(text) else {
                    throw SessionStoreMessage("the session hash's creation time is not a number")
                }
                created = milliseconds
            } else if field.readableBytesView.elementsEqual(expiresField.utf8) {
                // Only ever a hint for when to restart the TTL: Redis's own TTL decides, so an unreadable one is none.
                expires = value.getString(at: value.readerIndex, length: value.readableBytes).flatMap { Int64($0) }
            }
            // Other fields belong to a later version of this layout; they are left alone.
        }
        guard let created else { throw SessionStoreMessage("the session hash has no creation time") }
        return SessionRecord(SessionState(entries, createdAt: Date(unixMilliseconds: created)), expiresAt: expires.map(Date.init(unixMilliseconds:)))
    }
}
