import Foundation
import Testing

/// The built `sessions-demo` binary, driven as a user would: startup errors and signals.
@Suite struct DemoProcessTests {
    /// The demo binary beside the test bundle in the build folder.
    static var demoPath: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("sessions-demo").path
    }

    struct Run {
        let status: Int32
        let standardError: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: demoPath)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, standardError: String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [
        ["--secret", "abcd"],
        ["--store", "nosql"],
        ["--same-site", "none", "--insecure-cookie", "--secret", String(repeating: "ab", count: 32)],
        ["--port", "not-a-port"],
    ])
    func startupErrorsPrintOneLineAndExitNonZero(arguments: [String]) throws {
        let run = try Self.run(arguments)
        #expect(run.status != 0)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "got: \(run.standardError)")
        #expect(lines.first?.hasPrefix("sessions-demo: error: ") == true)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func theServerStopsCleanlyOnASignal(signal: Int32) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.demoPath)
        process.arguments = ["--port", "0", "--secret", String(repeating: "ab", count: 32)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // A watchdog, so a server that never starts fails the test instead of hanging it.
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        // Wait for the server to say it listens; end of output means it died.
        var seen = ""
        while !seen.contains("listening on") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("listening on 127.0.0.1:"))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
