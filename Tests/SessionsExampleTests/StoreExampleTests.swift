import Foundation
import Sessions
import SessionsTesting
import Testing

/// The store of the DocC article "Writing a store" passes the conformance suite for what it claims, and
/// the article shows it character for character.
@Suite struct StoreExampleTests {

    // README: Writing a store, conformance
    @Test(arguments: SessionStoreConformance.checks(applicableTo: [.serverSide, .mergesConcurrentUpdates, .reportsExpiry]))
    func theDictionaryStoreConforms(_ check: SessionStoreConformance.Check) async throws {
        let clock = ManualSessionClock()
        let capabilities: SessionStoreConformance.Capabilities = [.serverSide, .mergesConcurrentUpdates, .reportsExpiry]
        let conformance = SessionStoreConformance(capabilities: capabilities, time: .manual(clock)) { generateKey in
            DictionarySessionStore(clock: clock, generateKey: generateKey)
        }
        #expect(try await conformance.run(check) == .passed)
    }
    // README: end

    @Test func theSweeperDeletesOnlyExpiredSessionsInBatches() async throws {
        let clock = ManualSessionClock()
        let store = DictionarySessionStore(clock: clock)
        for _ in 0..<5 { _ = try await store.save(SessionState(["a": 1], createdAt: clock.now), ttl: .seconds(10)) }
        let lasting = try await store.save(SessionState(["b": 2], createdAt: clock.now), ttl: .seconds(100))
        #expect(try await store.deleteExpired(limit: 10) == 0, "nothing has expired yet")
        clock.advance(by: .seconds(20))
        #expect(try await store.deleteExpired(limit: 3) == 3, "a batch at most `limit` long")
        #expect(try await store.deleteExpired(limit: 10) == 2)
        #expect(try await store.deleteExpired(limit: 10) == 0)
        #expect(try await store.load(lasting)?["b"] == 2, "a live session is kept")
    }

    @Test func theArticleShowsThisStore() throws {
        try ArticleSource.expect("WritingAStore.md", shows: "DictionarySessionStore.swift")
    }
}

/// An article's code block and the test file it claims to show.
enum ArticleSource {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let catalog = tests.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/Sessions/Sessions.docc")

    /// The code block after the article's `<!-- Tests/SessionsExampleTests/FILE -->` marker equals the file.
    static func expect(_ article: String, shows file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let source = try String(contentsOf: tests.appendingPathComponent(file), encoding: .utf8)
        let text = try String(contentsOf: catalog.appendingPathComponent(article), encoding: .utf8)
        let marker = "<!-- Tests/SessionsExampleTests/\(file) -->\n```swift\n"
        let start = try #require(text.range(of: marker), "the article marks where \(file) starts", sourceLocation: sourceLocation)
        let rest = text[start.upperBound...]
        let end = try #require(rest.range(of: "\n```\n"), sourceLocation: sourceLocation)
        #expect(String(rest[..<end.lowerBound]) + "\n" == source, "\(article) shows \(file) as it is", sourceLocation: sourceLocation)
    }
}
