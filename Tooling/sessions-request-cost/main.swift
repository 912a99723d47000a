// Serves requests in process, with no sockets, through one framework configuration, so that
// `valgrind --tool=callgrind` can count the instructions each request costs (scripts/request-cost).
//
//     sessions-request-cost SERVER ROUTE COUNT
//
// SERVER: vapor-plain, vapor-sessions, vapor-demo, hummingbird-plain or hummingbird-demo; ROUTE: /plain,
// /read or /counter. The first request (/counter without a cookie) creates the session whose cookie the
// COUNT requests that follow send, as Benchmarks/Peers/session.lua does; a server without sessions gets
// none. Exits 1 when any request fails.
import ArgumentParser
import Dispatch
import Sessions
import SessionsDemo
import Synchronization

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    fail("usage: sessions-request-cost SERVER ROUTE COUNT", status: 2)
}
let server = arguments[1]
let route = arguments[2]

// The main thread blocks on a semaphore instead of an `async` main: valgrind 3.19 crashes on the thread
// that `dispatch_main` parks in `sigsuspend`.
let outcome = Mutex<Result<Int, any Error>?>(nil)
let finished = DispatchSemaphore(value: 0)
Task.detached {
    let result: Result<Int, any Error>
    do {
        switch server {
        case "vapor-plain", "vapor-sessions", "vapor-demo": result = .success(try await VaporRequests.run(server, route: route, count: count))
        case "hummingbird-plain", "hummingbird-demo": result = .success(try await HummingbirdRequests.run(server, route: route, count: count))
        default: fail("unknown server \(server)", status: 2)
        }
    } catch {
        result = .failure(error)
    }
    outcome.withLock { $0 = result }
    finished.signal()
}
finished.wait()
switch outcome.withLock({ $0 }) {
case .success(0): break
case .success(let failures): fail("\(failures) of \(count) requests failed", status: 1)
case .failure(let error): fail("\(error)", status: 1)
case nil: fail("no outcome", status: 1)
}

/// The demo's engine on the memory store, with the demo's default options and `--secret abab...ab`.
func demoEngine() throws -> SessionEngine {
    let secret = try SessionSecret(bytes: [UInt8](repeating: 0xab, count: 32))
    return try SessionEngine(
        store: MemorySessionStore(), secrets: SessionSecrets(current: secret), configuration: DemoOptions.parse([]).sessionConfiguration())
}

/// The value of the first `Set-Cookie` line, as a browser would send it back.
func cookiePair(_ setCookie: String?) -> String? {
    setCookie.map { String($0.prefix { $0 != ";" }) }
}

func fail(_ message: String, status: Int32) -> Never {
    var standardError = StandardError()
    print("sessions-request-cost: \(message)", to: &standardError)
    exit(status)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            #if canImport(Glibc)
            _ = Glibc.write(2, bytes.baseAddress, bytes.count)
            #else
            _ = Darwin.write(2, bytes.baseAddress, bytes.count)
            #endif
        }
    }
}
