public import NIOCore

/// Parses RESP2/RESP3 replies strictly and within bounds: a malformed or oversized reply is an error,
/// never a crash, and nothing is buffered past the limits.
///
/// ```swift
/// var parser = RESPParser()
/// if let reply = try parser.parse(&buffer) { ... }   // nil: wait for more bytes
/// ```
public struct RESPParser: Sendable {
    /// The limits a reply must stay within.
    public struct Limits: Sendable, Hashable {
        /// The longest bulk string accepted, in bytes.
        public var maximumBulkLength: Int
        /// The most elements in one array, set, push or map.
        public var maximumAggregateCount: Int
        /// The deepest nesting of aggregates.
        public var maximumDepth: Int
        /// The longest line (simple string, error, number) accepted, in bytes.
        public var maximumLineLength: Int

        /// Creates limits; the defaults fit session payloads with a wide margin.
        public init(
            maximumBulkLength: Int = 16 << 20, maximumAggregateCount: Int = 1 << 20, maximumDepth: Int = 32, maximumLineLength: Int = 64 << 10
        ) {
            self.maximumBulkLength = maximumBulkLength
            self.maximumAggregateCount = maximumAggregateCount
            self.maximumDepth = maximumDepth
            self.maximumLineLength = maximumLineLength
        }
    }

    /// The limits in force.
    public var limits: Limits

    /// Creates a parser.
    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Parses one complete reply from the front of `buffer` and consumes it; returns `nil` and consumes
    /// nothing when the reply is not complete yet.
    /// - Throws: ``RESPError`` for malformed or oversized input; the connection should then be closed.
    public func parse(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var cursor = buffer.readerIndex
        guard let value = try parseValue(buffer, at: &cursor, depth: 0) else { return nil }
        buffer.moveReaderIndex(to: cursor)
        return value
    }

    private func parseValue(_ buffer: ByteBuffer, at cursor: inout Int, depth: Int) throws(RESPError) -> RESPValue? {
        guard depth <= limits.maximumDepth else { throw .tooDeep }
        guard let marker = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
        var position = cursor + 1
        guard let line = try readLine(buffer, at: &position) else { return nil }
        let value: RESPValue
        switch marker {
        case UInt8(ascii: "+"):
            value = .simpleString(try text(buffer, line))
        case UInt8(ascii: "-"):
            value = .error(try text(buffer, line))
        case UInt8(ascii: ":"):
            value = .integer(try integer(buffer, line))
        case UInt8(ascii: "_"):
            guard line.count == 0 else { throw .malformed("null with content") }
            value = .null
        case UInt8(ascii: "#"):
            switch line.count == 1 ? buffer.getInteger(at: line.start, as: UInt8.self) : nil {
            case UInt8(ascii: "t"): value = .boolean(true)
            case UInt8(ascii: "f"): value = .boolean(false)
            default: throw .malformed("boolean must be t or f")
            }
        case UInt8(ascii: ","):
            value = .double(try double(buffer, line))
        case UInt8(ascii: "("):
            let digits = try text(buffer, line)
            let unsigned = digits.first == "-" || digits.first == "+" ? digits.dropFirst() : Substring(digits)
            guard !unsigned.isEmpty, unsigned.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw .malformed("big number")
            }
            value = .bigNumber(digits)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try integer(buffer, line)
            if length == -1 && marker == UInt8(ascii: "$") {
                value = .bulkString(nil)
            } else {
                guard length >= 0 else { throw .malformed("negative length") }
                guard length <= limits.maximumBulkLength else { throw .bulkTooLong(Int(length)) }
                let count = Int(length)
                guard buffer.writerIndex - position >= count + 2 else { return nil }
                guard buffer.getInteger(at: position + count, as: UInt8.self) == UInt8(ascii: "\r"),
                    buffer.getInteger(at: position + count + 1, as: UInt8.self) == UInt8(ascii: "\n")
                else { throw .malformed("bulk string not followed by CRLF") }
                let bytes = buffer.getSlice(at: position, length: count)!
                position += count + 2
                switch marker {
                case UInt8(ascii: "!"):
                    value = .error(String(decoding: bytes.readableBytesView, as: UTF8.self))
                case UInt8(ascii: "="):
                    // Verbatim strings start with a three-letter format and a colon: "txt:".
                    guard count >= 4, bytes.getInteger(at: bytes.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":") else {
                        throw .malformed("verbatim string without format")
                    }
                    value = .bulkString(bytes.getSlice(at: bytes.readerIndex + 4, length: count - 4))
                default:
                    value = .bulkString(bytes)
                }
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let count = try integer(buffer, line)
            if count == -1 && marker == UInt8(ascii: "*") {
                value = .array(nil)
            } else {
                guard count >= 0 else { throw .malformed("negative count") }
                guard count <= limits.maximumAggregateCount else { throw .aggregateTooLarge(Int(count)) }
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(Int(count), 1024))
                for _ in 0..<count {
                    guard let element = try parseValue(buffer, at: &position, depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                value = .array(elements)
            }
        case UInt8(ascii: "%"):
            let count = try integer(buffer, line)
            guard count >= 0 else { throw .malformed("negative count") }
            guard count <= limits.maximumAggregateCount / 2 else { throw .aggregateTooLarge(Int(count)) }
            var pairs: [(RESPValue, RESPValue)] = []
            for _ in 0..<count {
                guard let key = try parseValue(buffer, at: &position, depth: depth + 1),
                    let element = try parseValue(buffer, at: &position, depth: depth + 1)
                else { return nil }
                pairs.append((key, element))
            }
            value = .map(pairs)
        default:
            throw .malformed("unknown type marker \(marker)")
        }
        cursor = position
        return value
    }

    /// Where a line's content lies in the buffer (without its CRLF).
    private struct Line {
        let start: Int
        let count: Int
    }

    /// The line up to the next CRLF, advancing past it; `nil` when no CRLF has arrived yet. Reads the
    /// buffer in place: no copy per line.
    private func readLine(_ buffer: ByteBuffer, at position: inout Int) throws(RESPError) -> Line? {
        let available = buffer.writerIndex - position
        guard available > 0 else { return nil }
        let searchable = min(available, limits.maximumLineLength + 2)
        let offset = position - buffer.readerIndex
        // -1: no CR yet; -2: a bare LF inside the line.
        let carriageReturn: Int = buffer.withUnsafeReadableBytes { bytes in
            for index in offset..<(offset + searchable) {
                switch bytes[index] {
                case UInt8(ascii: "\r"): return index - offset
                case UInt8(ascii: "\n"): return -2
                default: continue
                }
            }
            return -1
        }
        if carriageReturn == -2 { throw .malformed("bare LF in a line") }
        guard carriageReturn >= 0 else {
            if available > limits.maximumLineLength + 1 { throw .lineTooLong }
            return nil
        }
        guard carriageReturn + 1 < available else { return nil }
        guard buffer.getInteger(at: position + carriageReturn + 1, as: UInt8.self) == UInt8(ascii: "\n") else {
            throw .malformed("CR not followed by LF")
        }
        let line = Line(start: position, count: carriageReturn)
        position += carriageReturn + 2
        return line
    }

    private func bytes(_ buffer: ByteBuffer, _ line: Line) -> ByteBufferView {
        buffer.viewBytes(at: line.start, length: line.count)!
    }

    private func text(_ buffer: ByteBuffer, _ line: Line) throws(RESPError) -> String {
        guard let text = String(validating: bytes(buffer, line), as: UTF8.self) else { throw .malformed("line is not UTF-8") }
        return text
    }

    /// A decimal integer read straight from the buffer: an optional minus sign and 1 to 19 digits.
    private func integer(_ buffer: ByteBuffer, _ line: Line) throws(RESPError) -> Int64 {
        let value: Int64? = buffer.withUnsafeReadableBytes { bytes in
            var index = line.start - buffer.readerIndex
            let end = index + line.count
            let negative = index < end && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard index < end, end - index <= 19 else { return nil }
            var magnitude: UInt64 = 0
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                magnitude = magnitude * 10 + UInt64(digit)
                index += 1
            }
            if negative {
                return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }
        guard let value else { throw .malformed("not an integer") }
        return value
    }

    private func double(_ buffer: ByteBuffer, _ line: Line) throws(RESPError) -> Double {
        let text = try text(buffer, line)
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default:
            guard line.count <= 64, let value = Double(text), value.isFinite else { throw .malformed("not a double") }
            return value
        }
    }
}

/// Why a RESP reply was refused.
public struct RESPError: Error, Hashable, CustomStringConvertible {
    public let description: String

    static func malformed(_ what: String) -> RESPError { .init(description: "malformed RESP reply: \(what)") }
    static var lineTooLong: RESPError { .init(description: "RESP line longer than the limit") }
    static var tooDeep: RESPError { .init(description: "RESP reply nested deeper than the limit") }
    static func bulkTooLong(_ length: Int) -> RESPError { .init(description: "RESP bulk string of \(length) bytes is over the limit") }
    static func aggregateTooLarge(_ count: Int) -> RESPError { .init(description: "RESP aggregate of \(count) elements is over the limit") }
}
