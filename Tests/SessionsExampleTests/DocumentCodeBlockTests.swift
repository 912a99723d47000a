import Foundation
import Testing

/// Every Swift code block in README.md and the DocC articles is code a test compiles and runs.
///
/// A block's lines, less its leading `import`s and blank lines, must be a run of lines of one
/// `// README: NAME` … `// README: end` region of a test file (dedented), or several whole regions of one
/// file in the order the file has them; its imports must be ones that file makes. A block after an
/// `<!-- Tests/DIR/FILE -->` marker is that whole file. Manifest lines name this package's products.
@Suite struct DocumentCodeBlockTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Block {
        var lines: [String]
        /// The `<!-- Tests/… -->` marker on the line before the fence, if any.
        var embeds: String?
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The Swift code blocks of a document: fences trimmed and matched in any case; an unclosed block throws.
    static func blocks(in text: String, named name: String) throws -> [Block] {
        var blocks: [Block] = []
        var current: Block?
        var indent = 0
        var previous = ""
        for rawLine in text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n") {
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if current == nil {
                if trimmed.lowercased() == "```swift" {
                    indent = rawLine.prefix { $0 == " " }.count
                    let marker = previous.trimmingCharacters(in: .whitespaces)
                    let embeds = marker.hasPrefix("<!-- Tests/") ? String(marker.dropFirst(5).dropLast(4)) : nil
                    current = Block(lines: [], embeds: embeds)
                }
            } else if trimmed == "```" {
                blocks.append(current!)
                current = nil
            } else {
                current!.lines.append(String(rawLine.dropFirst(min(indent, rawLine.prefix { $0 == " " }.count))))
            }
            previous = rawLine
        }
        guard current == nil else { throw Failure(description: "\(name) has a Swift block that is never closed") }
        return blocks
    }

    /// A test file: its imports, and its regions as lines, dedented, without blank lines.
    struct TestFile {
        var path: String
        var text: String
        var imports: Set<String>
        var regions: [[String]]
    }

    static func testFiles() throws -> [TestFile] {
        let tests = root.appendingPathComponent("Tests")
        let files = try #require(FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]))
        var result: [TestFile] = []
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            let lines = text.components(separatedBy: "\n")
            var regions: [[String]] = []
            var body: [String]?
            for line in lines {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if body == nil, trimmed.hasPrefix("// README: "), trimmed != "// README: end" {
                    body = []
                } else if let region = body, trimmed == "// README: end" {
                    regions.append(solid(region))
                    body = nil
                } else {
                    body?.append(line)
                }
            }
            let imports = Set(
                lines.filter { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }.map {
                    $0.replacingOccurrences(of: "@testable ", with: "")
                })
            let path = String(file.path.dropFirst(root.path.count + 1))
            result.append(TestFile(path: path, text: text, imports: imports, regions: regions))
        }
        return result
    }

    /// Dedented, without blank lines (they separate regions in a document).
    static func solid(_ lines: [String]) -> [String] {
        let filled = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let indent = filled.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return filled.map { String($0.dropFirst(indent)) }
    }

    /// Whether `code` is a run of lines of one region, or whole regions of `file` in the file's order.
    static func isTested(_ code: [String], by file: TestFile) -> Bool {
        guard !code.isEmpty else { return false }
        for region in file.regions where region.count >= code.count {
            for start in 0...(region.count - code.count) where Array(region[start..<(start + code.count)]) == code { return true }
        }
        var rest = code[...]
        var next = 0
        while !rest.isEmpty {
            guard let index = file.regions.indices.dropFirst(next).first(where: { !file.regions[$0].isEmpty && rest.starts(with: file.regions[$0]) })
            else {
                return false
            }
            rest = rest.dropFirst(file.regions[index].count)
            next = index + 1
        }
        return true
    }

    /// Manifest lines (`.package(…)`, `.product(…)`): each product is one Package.swift declares, of this package.
    static func manifestLinesAreTrue(_ lines: [String]) throws -> Bool? {
        let filled = lines.filter { !$0.isEmpty }
        guard !filled.isEmpty, filled.allSatisfy({ $0.hasPrefix(".package(") || $0.hasPrefix(".product(") }) else { return nil }
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        return filled.allSatisfy { line in
            guard line.hasPrefix(".product(name: \""), let name = line.dropFirst(".product(name: \"".count).split(separator: "\"").first else {
                return line.contains("/swift-sessions.git\"")
            }
            return manifest.contains(".library(name: \"\(name)\"") && line.hasSuffix("package: \"swift-sessions\"),")
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
            let name = document.lastPathComponent
            for block in try Self.blocks(in: try String(contentsOf: document, encoding: .utf8), named: name) {
                count += 1
                let shown = block.lines.joined(separator: "\n")
                if let embedded = block.embeds {
                    let file = try #require(files.first { $0.path == embedded }, "\(name) embeds \(embedded), which is no test file")
                    #expect(shown + "\n" == file.text, "\(name) shows \(embedded) as it is")
                    continue
                }
                if let manifest = try Self.manifestLinesAreTrue(block.lines) {
                    #expect(manifest, "\(name) names a product or package Package.swift does not have:\n\(shown)")
                    continue
                }
                let imports = Set(block.lines.filter { $0.hasPrefix("import ") })
                let code = Self.solid(block.lines.filter { !$0.hasPrefix("import ") })
                let tested = files.contains { Self.isTested(code, by: $0) && imports.isSubset(of: $0.imports) }
                #expect(tested, "\(name) shows code no test runs, or imports what its test does not:\n\(shown)")
            }
        }
        #expect(count > 20, "the scan found the documents' code blocks")
    }

    @Test("the check refuses what it should")
    func theCheckRefuses() throws {
        let file = TestFile(path: "T.swift", text: "", imports: ["import A"], regions: [["a()", "b()"], ["c()"]])
        #expect(Self.isTested(["b()"], by: file))
        #expect(Self.isTested(["a()", "b()", "c()"], by: file))
        #expect(!Self.isTested(["c()", "a()", "b()"], by: file), "regions in the file's order only")
        #expect(!Self.isTested([], by: file), "an empty block is no test's code")
        #expect(!Self.isTested(["b"], by: file), "whole lines only")
        #expect(throws: Failure.self) { try Self.blocks(in: "```swift\nlet a = 1\n", named: "X") }
        let blocks = try Self.blocks(in: "- item:\n\n  ```Swift\n  let a = 1\n  ```\n```sql\nSELECT 1;\n```\n", named: "X")
        #expect(blocks.map(\.lines) == [["let a = 1"]])
        #expect(try Self.manifestLinesAreTrue([#".product(name: "NoSuchProduct", package: "swift-sessions"),"#]) == false)
        #expect(try Self.manifestLinesAreTrue([#".product(name: "SessionsVapor", package: "swift-sessions"),"#]) == true)
    }
}
