// swift-tools-version:6.1
// A package outside swift-sessions that uses its public API as any app or store author would: it sees
// only what is public, never the `package` declarations the library's own targets share. scripts/test
// builds it, so that what the library's own tests cannot show (they see `package` symbols) is checked.
import PackageDescription

let package = Package(
    name: "ExternalClient",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "swift-sessions", path: "../..")],
    targets: [
        .target(
            name: "ExternalClient",
            dependencies: [.product(name: "Sessions", package: "swift-sessions")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        )
    ]
)
