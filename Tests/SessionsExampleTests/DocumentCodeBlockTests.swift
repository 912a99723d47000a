import Foundation
import Testing

/// Every Swift code block in README.md and the DocC articles is code a test compiles and runs: the block,
/// less its leading `import` lines, is a run of `// README: NAME` … `// README: end` regions of one test file
/// (dedented, in order), or a whole test file the article embeds.
@Suite struct DocumentCodeBlockTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Swift code blocks of a document, without their fences.
    static func blocks(in text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.map { $0 + "\n" }.joined())
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// A test file: its text, and its regions, dedented.
    struct TestFile {
        var text: String
        var regions: [String]
    }

    static func testFiles() throws -> [TestFile] {
        let tests = root.appendingPathComponent("Tests")
        let files = try #require(FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil))
        var result: [TestFile] = []
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            var regions: [String] = []
            var body: [String]?
            for line in text.components(separatedBy: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if body == nil, trimmed.hasPrefix("// README: "), trimmed != "// README: end" {
                    body = []
                } else if let region = body, trimmed == "// README: end" {
                    let indent = region.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
                    regions.append(region.map { String($0.dropFirst(min(indent, $0.count))) + "\n" }.joined())
                    body = nil
                } else {
                    body?.append(line)
                }
            }
            result.append(TestFile(text: text, regions: regions))
        }
        return result
    }

    /// Without blank lines, which separate regions in a document.
    static func solid(_ text: String) -> String {
        text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0 + "\n" }.joined()
    }

    /// Whether `code` is part of one region or file, or whole regions of one file one after another.
    static func isTested(_ code: String, by file: TestFile) -> Bool {
        let code = solid(code)
        if solid(file.text).contains(code) || file.regions.contains(where: { solid($0).contains(code) }) { return true }
        var rest = Substring(code)
        while !rest.isEmpty {
            guard let region = file.regions.map(solid).first(where: { !$0.isEmpty && rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(region.count)
        }
        return true
    }

    /// A package manifest's lines name this package's products: checked against Package.swift.
    static func manifestLinesAreTrue(_ code: String) throws -> Bool? {
        let lines = code.split(separator: "\n")
        guard !lines.isEmpty, lines.allSatisfy({ $0.hasPrefix(".package(") || $0.hasPrefix(".product(") }) else { return nil }
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        return lines.allSatisfy { line in
            guard line.hasPrefix(".product(name: \""), let name = line.dropFirst(".product(name: \"".count).split(separator: "\"").first else {
                return line.contains("swift-sessions")
            }
            return manifest.contains(".library(name: \"\(name)\"")
        }
    }

    static func documents() throws -> [URL] {
        let catalog = root.appendingPathComponent("Sources/Sessions/Sessions.docc")
        let articles = try FileManager.default.contentsOfDirectory(at: catalog, includingPropertiesForKeys: nil).filter { $0.pathExtension == "md" }
        return [root.appendingPathComponent("README.md")] + articles.sorted { $0.path < $1.path }
    }

    @Test("every Swift code block of README and the DocC articles is a test's code")
    func everyCodeBlockIsTested() throws {
        let files = try Self.testFiles()
        var count = 0
        for document in try Self.documents() {
            for block in Self.blocks(in: try String(contentsOf: document, encoding: .utf8)) {
                count += 1
                if let manifest = try Self.manifestLinesAreTrue(block) {
                    #expect(manifest, "\(document.lastPathComponent) names a product Package.swift does not have:\n\(block)")
                    continue
                }
                // Imports open a whole example; the test file that runs it imports them too.
                let code = block.split(separator: "\n").filter { !$0.hasPrefix("import ") }.map { $0 + "\n" }.joined()
                #expect(files.contains { Self.isTested(code, by: $0) }, "\(document.lastPathComponent) shows code no test runs:\n\(block)")
            }
        }
        #expect(count > 20, "the scan found the documents' code blocks")
    }
}
