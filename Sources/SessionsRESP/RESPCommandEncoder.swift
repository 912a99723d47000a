public import NIOCore

/// Writes commands as RESP arrays of bulk strings, the only form a client sends.
///
/// ```swift
/// var buffer = ByteBuffer()
/// RESPCommandEncoder.encode(["SET", "k", "v"], into: &buffer)   // *3\r\n$3\r\nSET\r\n...
/// ```
public enum RESPCommandEncoder {
    /// Appends `arguments` as one command to `buffer`.
    public static func encode(_ arguments: [RESPArgument], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        writeDecimal(arguments.count, into: &buffer)
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            writeDecimal(argument.bytes.readableBytes, into: &buffer)
            buffer.writeStaticString("\r\n")
            var bytes = argument.bytes
            buffer.writeBuffer(&bytes)
            buffer.writeStaticString("\r\n")
        }
    }

    /// A non-negative count in decimal, without making a String.
    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 10 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var remaining = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { bytes in
            while remaining > 0 {
                bytes[19 - count] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[(20 - count)...]))
        }
    }
}

/// One argument of a command: raw bytes, written as a bulk string.
public struct RESPArgument: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The argument's bytes.
    public let bytes: ByteBuffer

    /// Text, as UTF-8.
    public init(_ text: String) { bytes = ByteBuffer(string: text) }
    /// Raw bytes (keys holding digests, payloads).
    public init(_ bytes: ByteBuffer) { self.bytes = bytes }
    /// Raw bytes.
    public init(bytes: [UInt8]) { self.bytes = ByteBuffer(bytes: bytes) }
    /// An integer in decimal.
    public init(_ integer: Int64) { bytes = ByteBuffer(string: String(integer)) }

    public init(stringLiteral value: String) { self.init(value) }
}
