import Benchmark
import Logging
import Sessions

/// What the session layer costs one request, per demo route: `begin`, the handler's session calls, `commit`
/// (memory store, private cookies), the work an adapter does around the handler.
func engineBenchmarks() {
    let logger = Logger(label: "benchmark", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An engine holding one live session, and the `Cookie` header that names it.
    func engineWithSession() async -> (SessionEngine, String) {
        let engine = try! SessionEngine(store: MemorySessionStore(), secrets: benchmarkSecrets)
        let session = engine.begin(cookieHeader: nil, logger: logger)
        try! await session.insert("user_id", "alice")
        try! await session.insert("counter", 41)
        let headers = try! await engine.commit(session, logger: logger)
        let setCookie = headers.setCookies[0]
        let pair = setCookie[..<(setCookie.firstIndex(of: ";") ?? setCookie.endIndex)]
        return (engine, "theme=dark; \(pair)")
    }

    Benchmark("engine.plain") { benchmark in
        let (engine, cookie) = await engineWithSession()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let session = engine.begin(cookieHeader: cookie, logger: logger)
            blackHole(try! await engine.commit(session, logger: logger))
        }
    }
    Benchmark("engine.read") { benchmark in
        let (engine, cookie) = await engineWithSession()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let session = engine.begin(cookieHeader: cookie, logger: logger)
            blackHole(try! await session.get("user_id", as: String.self))
            blackHole(try! await engine.commit(session, logger: logger))
        }
    }
    Benchmark("engine.counter") { benchmark in
        let (engine, cookie) = await engineWithSession()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let session = engine.begin(cookieHeader: cookie, logger: logger)
            blackHole(
                try! await session.update("counter", as: Int.self) { counter in
                    counter = (counter ?? 0) + 1
                    return counter!
                })
            blackHole(try! await engine.commit(session, logger: logger))
        }
    }
    Benchmark("engine.login") { benchmark in
        let engine = try! SessionEngine(store: MemorySessionStore(), secrets: benchmarkSecrets)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let session = engine.begin(cookieHeader: nil, logger: logger)
            try! await session.insert("counter", 1)
            blackHole(try! await engine.commit(session, logger: logger))
        }
    }
}
