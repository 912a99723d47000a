import NIOCore
import NIOTestUtils
import SessionsRedis
import TestSupport
import Testing

/// The RESP codec on hand-written byte sequences: every type, every split point, every refusal.
@Suite(.tags(.redis)) struct RESPCodecTests {
    static func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    /// Wire bytes and the reply they mean.
    static let vectors: [(String, RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":0\r\n", .integer(0)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$5\r\nhello\r\n", bulk("hello")),
        ("$0\r\n\r\n", bulk("")),
        ("$-1\r\n", .bulkString(nil)),
        ("$4\r\na\r\nb\r\n", bulk("a\r\nb")),
        ("*0\r\n", .array([])),
        ("*-1\r\n", .array(nil)),
        ("*3\r\n:1\r\n$1\r\nx\r\n*1\r\n+y\r\n", .array([.integer(1), bulk("x"), .array([.simpleString("y")])])),
        ("_\r\n", .null),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        (",3.25\r\n", .double(3.25)),
        (",-inf\r\n", .double(-.infinity)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        ("!9\r\nSYNTAX no\r\n", .error("SYNTAX no")),
        ("=8\r\ntxt:some\r\n", bulk("some")),
        ("%2\r\n+a\r\n:1\r\n+b\r\n_\r\n", .map([(.simpleString("a"), .integer(1)), (.simpleString("b"), .null)])),
        ("~2\r\n:1\r\n:2\r\n", .array([.integer(1), .integer(2)])),
        (">2\r\n+message\r\n$2\r\nhi\r\n", .array([.simpleString("message"), bulk("hi")])),
        ("$6\r\nab\r\ncd\r\n", bulk("ab\r\ncd")),
    ]

    @Test func everyVectorDecodesWhole() throws {
        for (wire, expected) in Self.vectors {
            var buffer = ByteBuffer(string: wire)
            #expect(try RESPParser().parse(&buffer) == expected, "\(wire.debugDescription)")
            #expect(buffer.readableBytes == 0, "the whole reply is consumed: \(wire.debugDescription)")
        }
    }

    @Test func aStreamSplitAtEveryByteBoundaryDecodesTheSame() throws {
        let stream = Self.vectors.map(\.0).joined()
        let expected = Self.vectors.map(\.1)
        let bytes = Array(stream.utf8)
        for split in 0...bytes.count {
            var buffer = ByteBuffer()
            var decoded: [RESPValue] = []
            for chunk in [bytes[..<split], bytes[split...]] {
                buffer.writeBytes(chunk)
                while let value = try RESPParser().parse(&buffer) { decoded.append(value) }
            }
            #expect(decoded == expected, "split at \(split)")
        }
        // And fed one byte at a time.
        var buffer = ByteBuffer()
        var decoded: [RESPValue] = []
        for byte in bytes {
            buffer.writeInteger(byte)
            while let value = try RESPParser().parse(&buffer) { decoded.append(value) }
        }
        #expect(decoded == expected)
    }

    @Test func theChannelDecoderHandlesEveryChunking() throws {
        let pairs = Self.vectors.map { (ByteBuffer(string: $0.0), [$0.1]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RESPReplyDecoder() }
    }

    @Test func incompleteRepliesConsumeNothing() throws {
        for wire in ["+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+a\r\n", ""] {
            var buffer = ByteBuffer(string: wire)
            #expect(try RESPParser().parse(&buffer) == nil, "\(wire.debugDescription)")
            #expect(buffer.readableBytes == wire.utf8.count)
        }
    }

    @Test(arguments: [
        "?what\r\n", ":12a\r\n", ":\r\n", "$5\r\nhelloXY", "$-2\r\n", "*-2\r\n", "%-1\r\n", "+OK\rX", "+a\nb\r\n",
        "#x\r\n", ",abc\r\n", "_x\r\n", "=3\r\nabc\r\n", "(12a\r\n", "(-\r\n", "(\r\n", ":99999999999999999999\r\n", "$\r\n",
    ])
    func malformedRepliesAreErrorsNotCrashes(wire: String) {
        var buffer = ByteBuffer(string: wire)
        #expect(throws: RESPError.self) { try RESPParser().parse(&buffer) }
    }

    @Test func limitsAreEnforcedBeforeBuffering() throws {
        let limits = RESPParser.Limits(maximumBulkLength: 8, maximumAggregateCount: 4, maximumDepth: 3, maximumLineLength: 16)
        let parser = RESPParser(limits: limits)
        for wire in [
            "$9\r\n",  // refused on the header: the 9 bytes are never awaited
            "*5\r\n",
            "%3\r\n",
            "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
            "+" + String(repeating: "a", count: 40),  // no CR yet, already past the line limit
        ] {
            var buffer = ByteBuffer(string: wire)
            #expect(throws: RESPError.self, "\(wire.debugDescription)") { try parser.parse(&buffer) }
        }
        var fits = ByteBuffer(string: "$8\r\n12345678\r\n")
        #expect(try parser.parse(&fits) == Self.bulk("12345678"))
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["SET", "key", RESPArgument(bytes: [0, 13, 10, 255]), RESPArgument(Int64(-5))], into: &buffer)
        let expected: [UInt8] = Array("*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$2\r\n-5\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected)
        var roundTrip = buffer
        #expect(
            try RESPParser().parse(&roundTrip)
                == .array([Self.bulk("SET"), Self.bulk("key"), .bulkString(ByteBuffer(bytes: [0, 13, 10, 255])), Self.bulk("-5")])
        )
    }
}
