import Benchmark
import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A typical small session: a user and a counter.
let smallState = SessionState(["user_id": "alice", "counter": 41], createdAt: Date(timeIntervalSince1970: 1_790_000_000))

func stateBenchmarks() {
    let encoded = try! PersistedSessionState.encode(smallState)
    Benchmark("state.encode") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PersistedSessionState.encode(smallState))
        }
    }
    Benchmark("state.decode") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! PersistedSessionState.decode(encoded))
        }
    }
}

func memoryStoreBenchmarks() {
    let ttl = Duration.seconds(3600)
    Benchmark("memory-store.save") { benchmark in
        let store = MemorySessionStore()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! await store.save(smallState, ttl: ttl))
        }
    }
    Benchmark("memory-store.load") { benchmark in
        let store = MemorySessionStore()
        let key = try! await store.save(smallState, ttl: ttl)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! await store.load(key))
        }
    }
    Benchmark("memory-store.update") { benchmark in
        let store = MemorySessionStore()
        let key = try! await store.save(smallState, ttl: ttl)
        let changes = SessionChangeSet(setKeys: ["counter"])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! await store.update(key, to: smallState, changes: changes, ttl: ttl))
        }
    }
}
