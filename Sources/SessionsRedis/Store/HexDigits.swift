import NIOCore

/// Lower-case hex, for digests that Redis sees as text (key names, script hashes).
enum HexDigits {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ bytes: some Sequence<UInt8>, into buffer: inout ByteBuffer) {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        buffer.writeBytes(text)
    }
}
