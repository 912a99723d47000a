#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns typed `Codable` values into ``JSONValue``s and back.
///
/// The common scalar types take a direct path; everything else goes through JSON text once.
enum JSONValueConversion {
    static func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        switch value {
        case let value as JSONValue: return value
        case let value as String: return .string(value)
        case let value as Int: return .integer(Int64(value))
        case let value as Int64: return .integer(value)
        case let value as Bool: return .bool(value)
        case let value as Double where value.isFinite: return .double(value)
        default:
            let data = try JSONEncoder().encode(value)
            return try JSONDecoder().decode(JSONValue.self, from: data)
        }
    }

    static func decode<Value: Decodable>(_ json: JSONValue, as type: Value.Type) throws -> Value {
        if type == JSONValue.self { return json as! Value }
        switch json {
        case .string(let string) where type == String.self: return string as! Value
        case .integer(let integer) where type == Int.self:
            if let value = Int(exactly: integer) { return value as! Value }
        case .integer(let integer) where type == Int64.self: return integer as! Value
        case .bool(let bool) where type == Bool.self: return bool as! Value
        case .double(let double) where type == Double.self: return double as! Value
        case .integer(let integer) where type == Double.self: return Double(integer) as! Value
        default: break
        }
        let data = try JSONEncoder().encode(json)
        return try JSONDecoder().decode(type, from: data)
    }
}
