#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns typed `Codable` values into ``JSONValue``s and back.
///
/// The common scalar types take a direct path; everything else goes through JSON text once.
enum JSONValueConversion {
    // Type identity and `unsafeBitCast` rather than `as?`: each dynamic cast costs about 150 instructions,
    // and a counter's update made four of them.
    static func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        if Value.self == JSONValue.self { return unsafeBitCast(value, to: JSONValue.self) }
        if Value.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if Value.self == Int.self { return .integer(Int64(unsafeBitCast(value, to: Int.self))) }
        if Value.self == Int64.self { return .integer(unsafeBitCast(value, to: Int64.self)) }
        if Value.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if Value.self == Double.self, case let double = unsafeBitCast(value, to: Double.self), double.isFinite { return .double(double) }
        let data = try JSONEncoder().encode(value)
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    static func decode<Value: Decodable>(_ json: JSONValue, as type: Value.Type) throws -> Value {
        if type == JSONValue.self { return unsafeBitCast(json, to: Value.self) }
        switch json {
        case .string(let string) where type == String.self: return unsafeBitCast(string, to: Value.self)
        case .integer(let integer) where type == Int.self:
            if let value = Int(exactly: integer) { return unsafeBitCast(value, to: Value.self) }
        case .integer(let integer) where type == Int64.self: return unsafeBitCast(integer, to: Value.self)
        case .bool(let bool) where type == Bool.self: return unsafeBitCast(bool, to: Value.self)
        case .double(let double) where type == Double.self: return unsafeBitCast(double, to: Value.self)
        case .integer(let integer) where type == Double.self: return unsafeBitCast(Double(integer), to: Value.self)
        default: break
        }
        let data = try JSONEncoder().encode(json)
        return try JSONDecoder().decode(type, from: data)
    }
}
