import NIOCore

/// Lower-case hex, for digests that Redis sees as text (key names, script hashes).
enum HexDigits {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ bytes: some Sequence<UInt8>, into buffer: inout ByteBuffer) {
        for byte in bytes {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0f)])
        }
    }
}
