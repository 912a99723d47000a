extension SessionState {
    /// The length in bytes of the entries' JSON as `JSONEncoder` writes it, counted without encoding, and
    /// given up as soon as it passes `limit` (so a huge state costs no more than a small one).
    ///
    /// Exact to within a byte per array or object, with non-integer doubles counted as 24 bytes (the longest
    /// a double's shortest round-trip form takes): the engine compares it with
    /// ``SessionConfiguration/maximumStateSize``.
    func encodedSizeEstimate(upTo limit: Int) -> Int {
        var size = 2
        for (key, value) in entries {
            size += JSONValue.encodedSize(of: key) + 2 + value.encodedSize(upTo: limit - size)
            if size > limit { return size }
        }
        return size
    }
}

extension JSONValue {
    fileprivate func encodedSize(upTo limit: Int) -> Int {
        switch self {
        case .null: return 4
        case .bool(let value): return value ? 4 : 5
        case .integer(let value): return Self.digitCount(of: value)
        case .double(let value):
            if let whole = Int64(exactly: value) { return Self.digitCount(of: whole) }
            return 24
        case .string(let value): return Self.encodedSize(of: value)
        case .array(let elements):
            var size = 2
            for element in elements {
                size += element.encodedSize(upTo: limit - size) + 1
                if size > limit { return size }
            }
            return size
        case .object(let members):
            var size = 2
            for (key, value) in members {
                size += Self.encodedSize(of: key) + 2 + value.encodedSize(upTo: limit - size)
                if size > limit { return size }
            }
            return size
        }
    }

    /// A JSON string's length with its quotes and escapes.
    fileprivate static func encodedSize(of string: String) -> Int {
        // A buffer rather than the UTF-8 view's iterator, and one comparison for the usual byte: this runs
        // over every name and string a changed session holds.
        if let size = string.utf8.withContiguousStorageIfAvailable(encodedSize(of:)) { return size }
        return encodedSize(of: Array(string.utf8)[...])
    }

    private static func encodedSize(of bytes: some Collection<UInt8>) -> Int {
        var size = 2 + bytes.count
        for byte in bytes where byte < 0x30 || byte == UInt8(ascii: "\\") {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), 0x08, 0x09, 0x0A, 0x0C, 0x0D: size += 1
            case 0..<0x20: size += 5
            default: break
            }
        }
        return size
    }

    private static func digitCount(of value: Int64) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value / 10
        while rest != 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
