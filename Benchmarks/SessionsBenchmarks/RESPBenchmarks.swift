import Benchmark
import NIOCore
import SessionsRESP

/// The Redis codec's share of a request: encoding the commands the store sends and parsing the replies
/// it reads (an `HGETALL` of a small session, an integer).
func respBenchmarks() {
    let key = RESPArgument("session:" + String(repeating: "ab", count: 32))
    let hgetall: [RESPArgument] = ["HGETALL", key]
    let evalsha: [RESPArgument] = [
        "EVALSHA", RESPArgument(String(repeating: "f", count: 40)), "1", key,
        "3600000", "1", "=counter", "42",
    ]
    var sessionReply = ByteBuffer()
    sessionReply.writeString("*6\r\n$7\r\ncreated\r\n$13\r\n1790000000000\r\n$8\r\n=user_id\r\n$7\r\n\"alice\"\r\n$8\r\n=counter\r\n$2\r\n41\r\n")
    var integerReply = ByteBuffer()
    integerReply.writeString(":1\r\n")
    let parser = RESPParser()

    Benchmark("resp.encode-hgetall") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            RESPCommandEncoder.encode(hgetall, into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }
    Benchmark("resp.encode-evalsha") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            RESPCommandEncoder.encode(evalsha, into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }
    Benchmark("resp.parse-session-hash") { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = sessionReply
            blackHole(try! parser.parse(&buffer))
        }
    }
    Benchmark("resp.parse-integer") { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = integerReply
            blackHole(try! parser.parse(&buffer))
        }
    }
}
