// swift-tools-version:6.1
// swift-sessions: HTTP session management for server-side Swift.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "swift-sessions",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Sessions", targets: ["Sessions"]),
        .library(name: "SessionsTesting", targets: ["SessionsTesting"]),
        .library(name: "SessionsHummingbird", targets: ["SessionsHummingbird"]),
        .library(name: "SessionsHummingbirdAuth", targets: ["SessionsHummingbirdAuth"]),
        .library(name: "SessionsVapor", targets: ["SessionsVapor"]),
        .library(name: "SessionsSQLite", targets: ["SessionsSQLite"]),
        .library(name: "SessionsPostgres", targets: ["SessionsPostgres"]),
        .library(name: "SessionsRedis", targets: ["SessionsRedis"]),
        .executable(name: "sessions-demo", targets: ["sessions-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "Sessions",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsTesting",
            dependencies: ["Sessions", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsSQLite",
            dependencies: [
                "Sessions",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsRESP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsRedis",
            dependencies: [
                "Sessions",
                "SessionsRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsPostgres",
            dependencies: [
                "Sessions",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsHummingbird",
            dependencies: [
                "Sessions",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsHummingbirdAuth",
            dependencies: [
                "Sessions",
                "SessionsHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsVapor",
            dependencies: [
                "Sessions",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsDemo",
            dependencies: [
                "Sessions",
                "SessionsSQLite",
                "SessionsPostgres",
                "SessionsRedis",
                "SessionsHummingbird",
                "SessionsVapor",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SessionsFuzzTargets",
            dependencies: [
                "Sessions",
                "SessionsRESP",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tooling/SessionsFuzzTargets",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sessions-fuzz",
            dependencies: ["SessionsFuzzTargets"],
            path: "Tooling/sessions-fuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sessions-store-benchmark",
            dependencies: [
                "Sessions",
                "SessionsRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tooling/sessions-store-benchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sessions-request-cost",
            dependencies: [
                "Sessions",
                "SessionsDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "Tooling/sessions-request-cost",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sessions-demo",
            dependencies: ["SessionsDemo"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                "SessionsFuzzTargets",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsExampleTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsSQLiteTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                "SessionsSQLite",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "SessionsPostgres",
                "SessionsRedis",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsRedisTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                "SessionsRedis",
                "SessionsHummingbird",
                "SessionsVapor",
                "TestSupport",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsPostgresTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                "SessionsPostgres",
                "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsVaporTests",
            dependencies: [
                "Sessions",
                "SessionsVapor",
                "SessionsTesting",
                "TestSupport",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsHummingbirdTests",
            dependencies: [
                "Sessions",
                "SessionsHummingbird",
                "SessionsHummingbirdAuth",
                "SessionsTesting",
                "TestSupport",
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBasicAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SessionsDemoTests",
            dependencies: [
                "Sessions",
                "SessionsTesting",
                "SessionsHummingbird",
                "SessionsVapor",
                "SessionsDemo",
                "SessionsSQLite",
                "SessionsPostgres",
                "SessionsRedis",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// Micro-benchmarks (ordo-one/benchmark) join the package only when asked for, so that neither users nor CI
// resolve the benchmark tooling; being targets of this package, they can measure its `package` pieces
// (the cookie codec, the `Cookie` header scan). `scripts/microbench` sets the variable and runs them.
if Context.environment["SESSIONS_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "SessionsBenchmarks",
            dependencies: [
                "Sessions",
                "SessionsRESP",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/SessionsBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
