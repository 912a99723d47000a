import Benchmark

/// Micro-benchmarks for the pieces every request runs through, with allocation counts.
///
///     scripts/microbench                          # all of them
///     scripts/microbench --filter 'engine.*'      # one family
///
/// Counts are per operation: each benchmark does one operation per iteration (`scalingFactor: .one`)
/// unless its name ends in `×1000`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        maxDuration: .seconds(2),
        maxIterations: 200_000,
        // What `scripts/malloc-guard` holds CI to: not one allocation more than recorded, at the p90.
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )
    keyBenchmarks()
    cookieBenchmarks()
    stateBenchmarks()
    memoryStoreBenchmarks()
    engineBenchmarks()
    respBenchmarks()
}
