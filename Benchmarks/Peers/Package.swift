// swift-tools-version:6.1
// Peer servers for side-by-side session benchmarks: the same HTTP endpoints implemented with
// Hummingbird 2 + hummingbird-auth sessions and with Vapor 4 sessions. A package of its own, so that
// neither users nor CI of swift-sessions resolve it; `scripts/bench` builds it (see README.md).
// The dependencies name the same URLs and versions as the root Package.swift.
import PackageDescription

let package = Package(
    name: "session-peers",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            ]
        ),
        .executableTarget(
            name: "VaporPeer",
            dependencies: [.product(name: "Vapor", package: "vapor")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
