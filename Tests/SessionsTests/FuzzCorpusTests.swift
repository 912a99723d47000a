import Foundation
import SessionsFuzzTargets
import Testing

/// Every input in `Tests/FuzzCorpus/<target>/` (the seeds, and any input that once crashed a fuzzer)
/// runs through its fuzz target on every test run: a crash found once stays fixed.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus")

    @Test(arguments: FuzzTarget.allCases)
    func everySavedInputRuns(_ target: FuzzTarget) throws {
        let folder = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty, "every target has seeds in \(folder.path)")
        for file in files {
            target.run(Array(try Data(contentsOf: folder.appendingPathComponent(file))))
        }
    }
}
