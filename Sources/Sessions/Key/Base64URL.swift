/// base64url without padding (RFC 4648 §5): the alphabet of session keys and cookie values.
package enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        // Written straight into the string's storage: one allocation, no intermediate array.
        String(unsafeUninitializedCapacity: encodedLength(of: bytes.count)) { output in
            var written = 0
            var iterator = bytes.makeIterator()
            while let first = iterator.next() {
                let second = iterator.next()
                let third = iterator.next()
                output[written] = alphabet[Int(first >> 2)]
                output[written + 1] = alphabet[Int((first & 0x03) << 4 | (second ?? 0) >> 4)]
                written += 2
                if let second {
                    output[written] = alphabet[Int((second & 0x0F) << 2 | (third ?? 0) >> 6)]
                    written += 1
                }
                if let third {
                    output[written] = alphabet[Int(third & 0x3F)]
                    written += 1
                }
            }
            return written
        }
    }

    /// Decodes unpadded base64url; `nil` for any byte outside the alphabet or an impossible length.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            let value = decodeTable[Int(byte)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Non-zero leftover bits mean a non-canonical encoding: reject so one payload has one spelling.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }

    /// Length of the encoding of `count` bytes.
    static func encodedLength(of count: Int) -> Int {
        (count * 4 + 2) / 3
    }
}
