import FoundationEssentials
import Testing

@testable import Sessions

/// The request-scoped session: typed access and actix-session's status machine.
@Suite struct SessionTests {
    struct Cart: Codable, Equatable {
        var items: [String]
        var total: Double
    }

    @Test func typedValuesRoundTripAsJSON() async throws {
        let session = HTTPSession()
        try await session.insert("cart", Cart(items: ["book"], total: 12.5))
        try await session.insert("count", 3)
        try await session.insert("name", "Ada")
        #expect(try await session.get("cart", as: Cart.self) == Cart(items: ["book"], total: 12.5))
        #expect(try await session.get("count", as: Int.self) == 3)
        #expect(try await session.get("name") == "Ada")
        #expect(try await session.entries()["cart"] == ["items": ["book"], "total": 12.5], "stored as JSON, not JSON text in a string")
        #expect(try await session.contains("cart"))
        #expect(try await !session.contains("missing"))
        #expect(try await session.get("missing", as: Int.self) == nil)
    }

    @Test func aValueOfTheWrongTypeThrowsADecodingError() async throws {
        let session = HTTPSession(["count": "three"])
        do {
            _ = try await session.get("count", as: Int.self)
            Issue.record("decoding a string as Int must fail")
        } catch {
            #expect(error.kind == .valueDecoding)
            #expect("\(error)".contains("'count'"))
        }
    }

    @Test func aValueOfAnotherTypeNamesEntryAndTypeAndLocksNothing() async throws {
        // An earlier deploy stored another type: the error says which entry and which type, is no store
        // failure, and every call that reads no value still works.
        let session = HTTPSession(["user_id": 42, "counter": "seven"])
        let error = await #expect(throws: SessionError.self) { try await session.get("user_id", as: String.self) }
        #expect(error?.kind == .valueDecoding)
        #expect(error?.entry == "user_id")
        #expect(error?.expectedType == "String")
        #expect(error.map { "\($0)" }?.contains("'user_id' as String") == true)
        #expect(error?.isStoreFailure == false)
        #expect(error?.httpStatus == 500)
        try await session.insert("user_id", "ada")
        #expect(try await session.get("user_id", as: String.self) == "ada", "insert replaces a value of another type")
        try await session.renew(.newAuthentication)
        #expect(session.status == .renewed)
        try await session.clear()
        #expect(try await session.entries().isEmpty)

        let other = HTTPSession(["user_id": 42])
        try await other.purge()
        #expect(other.status == .purged)
    }

    @Test func removeAsKeepsAValueOfTheWrongType() async throws {
        let session = HTTPSession(["count": "three"])
        await #expect(throws: SessionError.self) { try await session.remove("count", as: Int.self) }
        #expect(try await session.get("count", as: String.self) == "three")
        #expect(session.status == .unchanged)
        #expect(try await session.remove("count", as: String.self) == "three")
        #expect(session.status == .changed)
        #expect(try await session.remove("count") == nil)
    }

    @Test func everyMutationMarksTheSessionChanged() async throws {
        let session = HTTPSession(["visits": 1])
        #expect(session.status == .unchanged)
        _ = try await session.get("visits", as: Int.self)
        try await session.remove("absent")
        #expect(session.status == .unchanged, "reads and removing nothing change nothing")
        let visits = try await session.update("visits", as: Int.self) { visits in
            visits = (visits ?? 0) + 1
            return visits!
        }
        #expect(visits == 2)
        #expect(session.status == .changed, "read-modify-write of an existing key marks the session changed (unlike actix)")
        #expect(try await session.get("visits", as: Int.self) == 2)
    }

    @Test func updateToNilRemoves() async throws {
        let session = HTTPSession(["flag": true])
        try await session.update("flag", as: Bool.self) { $0 = nil }
        #expect(try await !session.contains("flag"))
        #expect(session.status == .changed)
    }

    @Test func renewIsStickyAndPurgeWins() async throws {
        let session = HTTPSession(["a": 1])
        try await session.renew(.newAuthentication)
        #expect(session.status == .renewed)
        try await session.insert("b", 2)
        try await session.clear()
        #expect(session.status == .renewed, "later changes keep a renewed session renewed")
        try await session.purge()
        #expect(session.status == .purged)
        try await session.insert("c", 3)
        try await session.renew(.newAuthentication)
        try await session.clear()
        #expect(session.status == .purged, "nothing undoes a purge")
        #expect(try await session.entries().isEmpty, "a purged session is empty and stays so")
    }

    @Test func clearEmptiesAndRecordsTheClear() async throws {
        let session = HTTPSession(["a": 1, "b": 2])
        try await session.clear()
        try await session.insert("c", 3)
        #expect(try await session.entries() == ["c": 3])
        #expect(session.contentsForCommit()?.changes == SessionChangeSet(setKeys: ["c"], cleared: true))
    }

    @Test func changeSetTracksSetsAndRemovals() async throws {
        let session = HTTPSession(["a": 1, "b": 2])
        try await session.insert("c", 3)
        try await session.remove("a")
        try await session.insert("a", 10)
        try await session.remove("b")
        #expect(session.contentsForCommit()?.changes == SessionChangeSet(setKeys: ["a", "c"], removedKeys: ["b"]))
    }

    @Test func unattachedSessionsThrowInsteadOfLosingData() async throws {
        let session = HTTPSession.unattached
        do {
            try await session.insert("a", 1)
            Issue.record("an unattached session must refuse writes")
        } catch {
            #expect(error.kind == .notAttached)
        }
        #expect(session.status == .unchanged)
    }

    @Test func theSynchronousViewIsRefusedUntilTheSessionIsLoaded() async throws {
        let (harness, store, _) = try makeMemoryHarness(driver: .awaiting)
        let cookie = try await harness.login()
        store.resetCalls()
        let session = harness.engine.begin(cookieHeader: "id=\(cookie)", logger: harness.logger)
        #expect(!session.isLoaded)
        #expect(throws: SessionError.self) { try session.loaded }
        do {
            _ = try session.loaded
        } catch {
            #expect(error.kind == .notLoaded)
            #expect("\(error)".contains("load the session"))
        }
        #expect(try session.loadImmediately() == nil, "a store that waits is never called on the calling thread")
        #expect(store.calls.isEmpty)
        let loaded = try await session.load()
        #expect(session.isLoaded)
        #expect(try loaded.get("user_id", as: String.self) == "ada")
        #expect(try session.loaded.get("user_id", as: String.self) == "ada")
        #expect(store.calls == ["load"])
        do {
            _ = try HTTPSession.unattached.loaded
            Issue.record("an unattached session has no loaded view")
        } catch {
            #expect(error.kind == .notAttached)
        }
        #expect(try HTTPSession(["a": 1]).loaded.get("a", as: Int.self) == 1, "a detached session is loaded from the start")
    }

    @Test func theSynchronousViewChangesTheSameSession() async throws {
        let session = HTTPSession(["a": 1, "b": "two", "c": true])
        let loaded = try session.loaded
        try loaded.insert("d", [1, 2])
        #expect(
            try loaded.update("a", as: Int.self) { a in
                a = (a ?? 0) + 1
                return a!
            } == 2)
        #expect(try loaded.remove("b", as: String.self) == "two")
        #expect(try loaded.remove("c") == true)
        #expect(throws: SessionError.self) { try loaded.remove("a", as: String.self) }
        #expect(try await session.get("a", as: Int.self) == 2, "a value of the wrong type stays in place")
        #expect(loaded.contains("d") && !loaded.contains("b"))
        #expect(session.contentsForCommit()?.changes == SessionChangeSet(setKeys: ["a", "d"], removedKeys: ["b", "c"]))
        loaded.renew(.newAuthentication)
        #expect(loaded.status == .renewed)
        loaded.clear()
        #expect(loaded.entries().isEmpty)
        loaded.purge()
        try loaded.insert("after", 1)
        #expect(session.status == .purged)
        #expect(try await session.entries().isEmpty, "nothing is written after a purge")
    }

    @Test func concurrentTasksShareOneSession() async throws {
        let session = HTTPSession()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask { try? await session.insert("key\(index)", index) }
            }
        }
        #expect(try await session.entries().count == 100)
    }
}

@Suite struct SessionStateFormatTests {
    @Test func persistedStateIsVersionedJSONWithValuesNotStrings() throws {
        let state = SessionState(["user": ["id": 7]], createdAt: Date(timeIntervalSince1970: 1.5))
        let bytes = try PersistedSessionState.encode(state)
        let json = String(decoding: bytes, as: UTF8.self)
        #expect(json.contains(#""v":1"#))
        #expect(json.contains(#""state":{"user":{"id":7}}"#))
        #expect(json.contains(#""created":1500"#))
        let decoded = try PersistedSessionState.decode(bytes)
        #expect(decoded.state == state)
        #expect(decoded.expiresAt == nil)
    }

    @Test func unknownVersionsAndGarbageAreRefused() {
        #expect(throws: PersistedSessionStateError.unsupportedVersion(2)) {
            try PersistedSessionState.decode(Array(#"{"v":2,"created":0,"state":{}}"#.utf8))
        }
        #expect(throws: PersistedSessionStateError.malformed) { try PersistedSessionState.decode(Array("{".utf8)) }
        #expect(throws: PersistedSessionStateError.malformed) { try PersistedSessionState.decode(Array(#"{"v":1,"state":{}}"#.utf8)) }
        #expect(throws: PersistedSessionStateError.malformed) { try PersistedSessionState.decode([0xFF, 0xFE]) }
    }

    @Test func mergeAppliesAChangeSetOverAnotherState() {
        let base = SessionState(["a": 1, "b": 2, "other": "theirs"], createdAt: Date(timeIntervalSince1970: 0))
        let mine = SessionState(["a": 10, "c": 3], createdAt: Date(timeIntervalSince1970: 99))
        let merged = mine.merged(into: base, changes: .init(setKeys: ["a", "c"], removedKeys: ["b"]))
        #expect(merged == SessionState(["a": 10, "c": 3, "other": "theirs"], createdAt: Date(timeIntervalSince1970: 0)))
        let cleared = mine.merged(into: base, changes: .init(setKeys: ["c"], cleared: true))
        #expect(cleared.entries == ["c": 3])
    }

    @Test func jsonValuesKeepTheirTypes() throws {
        let value: JSONValue = ["int": .integer(.max), "double": 1.5, "whole double": 2.0, "null": nil, "list": [true, "x"]]
        let data = try JSONEncoder().encode(value)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(decoded["int"] == .integer(.max))
        #expect(decoded["double"] == .double(1.5))
        #expect(decoded["null"] == .null)
        #expect(decoded["list"] == [true, "x"])
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

@Suite struct JSONValueTests {
    @Test func numbersCompareByValue() {
        #expect(JSONValue.integer(3) == .double(3.0))
        #expect(JSONValue.double(3.0) == .integer(3))
        #expect(JSONValue.integer(3) != .double(3.5))
        #expect(Set<JSONValue>([.integer(3), .double(3.0)]).count == 1)
        #expect(JSONValue.integer(1) != .bool(true))
        #expect(JSONValue.string("1") != .integer(1))
    }
}
