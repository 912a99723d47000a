import Foundation

/// README's and the DocC articles' code, kept in tests: a region of a test file between `// README: NAME` and `// README: end`,
/// dedented, must appear in README.md as it is.
public enum ReadmeRecipe {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// README.md at the package's root.
    public static func readme() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// An article of the DocC catalog, `Sources/Sessions/Sessions.docc/NAME.md`.
    public static func article(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Sources/Sessions/Sessions.docc/\(name).md"), encoding: .utf8)
    }

    /// A whole Swift code block as a document shows it: `header`, then the regions in order, fenced.
    public static func block(_ header: String, regions: [String], inFile file: String) throws -> String {
        "```swift\n" + header + (try regions.map { try region($0, inFile: file) }.joined()) + "```\n"
    }

    /// The lines of `file` between `// README: name` and the next `// README: end`, with their common
    /// indentation removed, each ending in a newline.
    public static func region(_ name: String, inFile file: String) throws -> String {
        let lines = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README: \(name)" }),
            let end = lines[(start + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README: end" })
        else { throw Missing(description: "no region '\(name)' in \(file)") }
        let body = lines[(start + 1)..<end]
        let indent = body.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return body.map { String($0.dropFirst(min(indent, $0.count))) + "\n" }.joined()
    }
}
