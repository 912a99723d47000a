/// The JSON forms most session values take (integers, booleans, null, strings that need no escaping),
/// read and written without Foundation's coders, which cost microseconds per value. Anything else
/// returns `nil` and goes through `JSONEncoder`/`JSONDecoder` as before, so both paths agree.
extension JSONValue {
    /// The value `bytes` spell, when they are one of the simple forms; `nil` otherwise.
    package static func simpleScalar(json bytes: UnsafeRawBufferPointer) -> JSONValue? {
        guard let first = bytes.first else { return nil }
        switch first {
        case UInt8(ascii: "\""):
            guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else { return nil }
            let content = bytes.dropFirst().dropLast()
            guard !content.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }),
                let text = String(validating: content, as: UTF8.self)
            else { return nil }
            return .string(text)
        case UInt8(ascii: "t"):
            return bytes.elementsEqual("true".utf8) ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return bytes.elementsEqual("false".utf8) ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return bytes.elementsEqual("null".utf8) ? .null : nil
        default:
            // -?(0|[1-9][0-9]*) within Int64; anything with a fraction, exponent or overflow falls back.
            var digits = bytes[...]
            let negative = first == UInt8(ascii: "-")
            if negative { digits = digits.dropFirst() }
            guard let leading = digits.first, digits.count <= 19, leading != UInt8(ascii: "0") || digits.count == 1 else { return nil }
            var magnitude: UInt64 = 0
            for byte in digits {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                magnitude = magnitude * 10 + UInt64(digit)  // at most 19 digits: cannot overflow UInt64
            }
            if negative {
                return magnitude <= UInt64(Int64.max) + 1 ? .integer(Int64(truncatingIfNeeded: 0 &- magnitude)) : nil
            }
            return magnitude <= UInt64(Int64.max) ? .integer(Int64(magnitude)) : nil
        }
    }

    /// This value's JSON, when it is one of the simple forms; `nil` otherwise.
    package var simpleScalarJSON: [UInt8]? {
        switch self {
        case .null: Array("null".utf8)
        case .bool(let value): Array((value ? "true" : "false").utf8)
        case .integer(let value): Array(String(value).utf8)
        case .string(let text):
            text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 == UInt8(ascii: "/") })
                ? nil : [UInt8(ascii: "\"")] + Array(text.utf8) + [UInt8(ascii: "\"")]
        case .double, .array, .object: nil
        }
    }
}
