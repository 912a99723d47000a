import Foundation

/// README's code, kept in tests: a region of a test file between `// README: NAME` and `// README: end`,
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
