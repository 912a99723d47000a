import Sessions

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON text for the demo's replies.
enum DemoJSON {
    static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSONValue holds only finite numbers and valid strings, which always encode.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func string(_ text: String) -> String { encode(.string(text)) }
}
