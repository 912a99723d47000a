@testable import Sessions
import Testing

@Suite struct StoreDeadlineTests {
    @Test func aFastOperationReturnsItsValue() async throws {
        for index in 0..<1000 {
            #expect(try await withStoreDeadline(.seconds(30)) { index } == index)
        }
    }

    @Test func anOperationThatNeverFinishesIsAbandonedAtTheDeadline() async throws {
        // Waits for a value that never comes, like a driver stuck on a server that never answers.
        let stuck = AsyncStream<Int>.makeStream()
        await #expect(throws: StoreTimeout(limit: .milliseconds(50))) {
            try await withStoreDeadline(.milliseconds(50)) {
                for await value in stuck.stream { return value }
                return 0
            }
        }
        stuck.continuation.finish()
    }

    @Test func anOperationsErrorComesThrough() async throws {
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await withStoreDeadline(.seconds(30)) { () async throws -> Int in throw Refused() }
        }
    }
}
