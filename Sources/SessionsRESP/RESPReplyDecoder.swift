public import NIOCore

/// The channel handler's half of the codec: bytes in, one ``RESPValue`` per complete reply out.
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPReplyDecoder()))
/// ```
///
/// A malformed or oversized reply fails the channel: after one, the stream cannot be resynchronised.
public struct RESPReplyDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    private let parser: RESPParser

    /// Creates a decoder enforcing `limits`.
    public init(limits: RESPParser.Limits = .init()) {
        parser = RESPParser(limits: limits)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        try parser.parse(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try parser.parse(&buffer)
    }
}
