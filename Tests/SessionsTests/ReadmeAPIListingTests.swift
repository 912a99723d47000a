import Foundation
import Testing

/// README's "The API at a glance" lists every public type of `Sessions`, and nothing else.
@Suite struct ReadmeAPIListingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The names in the first column of the section's table.
    static func listed() throws -> Set<String> {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## The API at a glance").dropFirst().first)
        let body = section.components(separatedBy: "\n## ").first ?? section
        var names = Set<String>()
        for line in body.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            names.insert(String(cell))
        }
        return names
    }

    /// Every top-level `public` type declared under Sources/Sessions.
    static func declared() throws -> Set<String> {
        let sources = root.appendingPathComponent("Sources/Sessions")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        let declaration = try Regex(#"^public (?:final )?(?:class|struct|enum|protocol|actor|typealias) (\w+)"#).anchorsMatchLineEndings()
        var names = Set<String>()
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: declaration) {
                if let name = match.output[1].substring { names.insert(String(name)) }
            }
        }
        return names
    }

    @Test func theListingMatchesThePublicTypes() throws {
        let listed = try Self.listed()
        let declared = try Self.declared()
        #expect(declared.count > 20, "the scan found the sources: \(declared.sorted())")
        #expect(declared.subtracting(listed).isEmpty, "public but not in README: \(declared.subtracting(listed).sorted())")
        #expect(listed.subtracting(declared).isEmpty, "in README but not public: \(listed.subtracting(declared).sorted())")
    }
}
