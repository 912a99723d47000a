import Benchmark
import Sessions

let benchmarkSecrets = SessionSecrets(current: try! SessionSecret(key: Array(repeating: 7, count: SessionSecret.keyLength)))

func keyBenchmarks() {
    Benchmark("key.generate") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(SessionKey.generate())
        }
    }
    let raw = SessionKey.generate().rawValue
    Benchmark("key.validate") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? SessionKey(validating: raw))
        }
    }
}

func cookieBenchmarks() {
    let key = SessionKey.generate().rawValue
    for security in [CookieSecurity.private, .signed] {
        // The codec alone: the cryptography every first visit pays. The engine's cache serves repeat visits.
        let uncached = SessionCookieCodec(security: security, secrets: benchmarkSecrets, cookieName: "id")
        let cached = try! SessionEngine(
            store: MemorySessionStore(), secrets: benchmarkSecrets, configuration: SessionConfiguration(security: security))
        let sealed = uncached.seal(key)
        _ = cached.openCookie(Substring(sealed))

        Benchmark("cookie.\(security).seal") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(uncached.seal(key))
            }
        }
        Benchmark("cookie.\(security).open") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(uncached.open(Substring(sealed)))
            }
        }
        Benchmark("cookie.\(security).open-cached") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(cached.openCookie(Substring(sealed)))
            }
        }
    }
    let header = "theme=dark; id=\(SessionCookieCodec(security: .private, secrets: benchmarkSecrets, cookieName: "id").seal(key)); lang=en"
    Benchmark("cookie.header-scan") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(CookieHeader.values(named: "id", in: header))
        }
    }
}
