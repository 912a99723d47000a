import Logging
import Synchronization
import Testing

@testable import Sessions

/// What the engine logs: causes at the right level, and never a key, secret or cookie value.
@Suite struct SessionLoggingTests {
    final class Capture: Sendable {
        struct Line: Sendable {
            var level: Logger.Level
            var text: String
        }
        private let lines = Mutex<[Line]>([])
        var all: [Line] { lines.withLock { $0 } }
        func append(_ line: Line) { lines.withLock { $0.append(line) } }

        var logger: Logger {
            var logger = Logger(label: "capture") { _ in CapturingHandler(capture: self) }
            logger.logLevel = .trace
            return logger
        }
    }

    struct CapturingHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(.init(level: event.level, text: "\(event.message) \(all)"))
        }
    }

    @Test func tamperedCookiesAreWarningsThatNeverShowTheValue() async throws {
        let capture = Capture()
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: .init(current: .generate()))
        let value = "TAMPERED-VALUE-abcdefghijklmnopqrstuvwxyz"
        let session = engine.begin(cookieHeader: "id=\(value)", logger: capture.logger)
        _ = try await session.entries()
        #expect(capture.all.contains { $0.level == .warning && $0.text.contains("failed verification") })
        #expect(!capture.all.contains { $0.text.contains(value) })
    }

    @Test func storeFailuresAreErrorsWithTheirCauseButNoKey() async throws {
        let capture = Capture()
        let engine = try SessionEngine(store: FailingSessionStore(), secrets: .init(current: .generate()))
        let key = SessionKey.generate()
        let sealed = engine.codec.seal(key.rawValue)
        let session = engine.begin(cookieHeader: "id=\(sealed)", logger: capture.logger)
        _ = try? await session.entries()
        let errors = capture.all.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.text.contains("connection refused") == true, "the cause is logged")
        #expect(errors.first?.text.contains(key.fingerprint) == true, "the session is named by its fingerprint")
        for line in capture.all {
            #expect(!line.text.contains(key.rawValue))
            #expect(!line.text.contains(sealed))
        }
    }

    @Test func commitFailuresAreLoggedOnce() async throws {
        let capture = Capture()
        let engine = try SessionEngine(store: FailingSessionStore(loadFailure: nil), secrets: .init(current: .generate()))
        let session = engine.begin(cookieHeader: nil, logger: capture.logger)
        try await session.insert("a", 1)
        _ = try? await engine.commit(session, logger: capture.logger)
        #expect(capture.all.filter { $0.level == .error }.count == 1)
    }
}
