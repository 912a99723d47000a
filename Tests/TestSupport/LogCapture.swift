import Logging
import Synchronization

/// Collects every log line, message and metadata, at trace level.
public final class LogCapture: Sendable {
    public init() {}

    private let lines = Mutex<[String]>([])
    /// Every line so far: level, message, metadata, source and file.
    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// A logger at trace level whose every line is kept here.
    public var logger: Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all) \(event.source) \(event.file)") }
        }
    }
}
