import Crypto
import NIOCore
import Sessions
import SessionsRedis
import SessionsTesting
import TestSupport
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The store against the real redis-server that `scripts/test` starts.
@Suite(.tags(.redis)) struct RedisSessionStoreTests {
    static let capabilities: SessionStoreConformance.Capabilities = [
        .serverSide, .mergesConcurrentUpdates, .atomicRenew, .tombstones, .reportsExpiry,
    ]

    @Test(arguments: SessionStoreConformance.checks(applicableTo: capabilities))
    func conformance(_ check: SessionStoreConformance.Check) async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            // Redis expires keys on its own clock, so the checks let real time pass, ten seconds a unit: wide margins, since other suites load the machine meanwhile.
            let conformance = SessionStoreConformance(capabilities: Self.capabilities, time: .real(unit: .seconds(10))) {
                generateKey in
                RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix), generateKey: generateKey)
            }
            let outcome = try await conformance.run(check)
            #expect(outcome == .passed)
        }
    }

    static func integer(_ reply: RESPValue) -> Int64? {
        if case .integer(let value) = reply { value } else { nil }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func strings(_ reply: RESPValue) -> [String] {
        guard case .array(let elements?) = reply else { return [] }
        return elements.compactMap { element in
            if case .bulkString(let bytes?) = element { String(buffer: bytes) } else { nil }
        }
    }

    @Test("a hash written before the expiry was recorded loads with none, and a restart records it")
    func aHashWithoutItsExpiryLoadsWithNone() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let key = try await store.save(SessionState(["user": "ada"], createdAt: .now), ttl: .seconds(60))
            let hash = RESPArgument(prefix + Self.hex(SHA256.hash(data: Array(key.rawValue.utf8))))
            _ = try await client.send(["HDEL", hash, "expires"])
            #expect(
                try await store.loadRecord(key)
                    == SessionRecord(SessionState(["user": "ada"], createdAt: try #require(try await store.load(key)).createdAt), expiresAt: nil))
            _ = try await client.send(["HSET", hash, "expires", "not a number"])
            #expect(try await store.loadRecord(key)?.expiresAt == nil, "an unreadable expiry is none: Redis's own TTL decides")
            #expect(try await store.updateTTL(key, ttl: .seconds(60)) == .updated(key))
            let expiresAt = try #require(try await store.loadRecord(key)?.expiresAt)
            #expect(abs(expiresAt.timeIntervalSinceNow - 60) < 5)
            try await store.delete(key)
        }
    }

    @Test func keysAreStoredHashedUnderThePrefixNeverRaw() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let key = try await store.save(SessionState(["user": "ada"], createdAt: .now), ttl: .seconds(60))
            let keys = Self.strings(try await client.send(["KEYS", RESPArgument(prefix + "*")]))
            #expect(keys == [prefix + Self.hex(SHA256.hash(data: Array(key.rawValue.utf8)))])
            let stored = Self.strings(try await client.send(["HGETALL", RESPArgument(keys.first ?? "")]))
            #expect(Set(stored) == Set(["created", "expires", "=user", "\"ada\""] + stored.filter { Int64($0) != nil }))
            #expect(!stored.contains { $0.contains(key.rawValue) }, "the raw key appears nowhere")
            try await store.delete(key)
        }
    }

    @Test func ttlsAreSetInMilliseconds() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let key = try await store.save(SessionState(["a": 1], createdAt: .now), ttl: .milliseconds(90_250))
            let name = RESPArgument(prefix + Self.hex(key.storageDigest))
            // Seconds would have dropped the 250 and 500 milliseconds: the upper bounds tell the two apart.
            let remaining = try #require(Self.integer(try await client.send(["PTTL", name])), "PTTL answers an integer")
            #expect((60_000...90_250).contains(remaining), "PTTL \(remaining) keeps the millisecond part of the TTL")
            #expect(remaining > 90_000 - 30_000)
            #expect(try await store.updateTTL(key, ttl: .milliseconds(120_500)) == .updated(key))
            let refreshed = try #require(Self.integer(try await client.send(["PTTL", name])), "PTTL answers an integer")
            #expect((90_500...120_500).contains(refreshed))
            let renewed = try await store.renew(
                key, as: SessionKey.generate(), to: SessionState(["a": 1], createdAt: .now), changes: .init(), ttl: .milliseconds(60_250),
                tombstoneTTL: .milliseconds(30_250))
            guard case .updated(let newKey) = renewed else {
                Issue.record("renew of a live session")
                return
            }
            let moved = try #require(Self.integer(try await client.send(["PTTL", RESPArgument(prefix + Self.hex(newKey.storageDigest))])))
            #expect((30_250...60_250).contains(moved), "a renew sets the new key's TTL in milliseconds")
            let tombstone = try #require(
                Self.integer(try await client.send(["PTTL", RESPArgument(prefix + "tombstone:" + Self.hex(key.storageDigest))])))
            #expect((250...30_250).contains(tombstone), "and the tombstone's")
            try await store.delete(newKey)
            try await store.delete(key)
        }
    }

    @Test func malformedDataIsADeserializationError() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let cases: [(String, [RESPArgument])] = [
                ("a plain string where a hash belongs", ["SET", "KEY", "not a hash"]),
                ("a hash with no creation time", ["HSET", "KEY", "=a", "1"]),
                ("an entry that is not JSON", ["HSET", "KEY", "created", "1700000000000", "=a", "{nope"]),
                ("a creation time that is not a number", ["HSET", "KEY", "created", "yesterday"]),
            ]
            for (what, command) in cases {
                let key = SessionKey.generate()
                let name = RESPArgument(prefix + Self.hex(key.storageDigest))
                _ = try await client.send(command.map { $0 == "KEY" ? name : $0 })
                do {
                    _ = try await store.load(key)
                    Issue.record("\(what) must not load")
                } catch let error as LoadError {
                    #expect(error.kind == .deserialization, "\(what)")
                    #expect(!"\(error)".contains(key.rawValue))
                }
                _ = try await client.send(["DEL", name])
            }
        }
    }

    @Test func fieldsOfALaterLayoutVersionAreIgnored() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let key = try await store.save(SessionState(["a": 1], createdAt: .now), ttl: .seconds(60))
            _ = try await client.send(["HSET", RESPArgument(prefix + Self.hex(key.storageDigest)), "flags", "x"])
            #expect(try await store.load(key)?.entries == ["a": 1])
            try await store.delete(key)
        }
    }

    /// A tombstone whose value is not a successor key this store wrote (an earlier release wrote "1") is
    /// never followed: a purge deletes nothing but the session and the keys its own renews named.
    @Test func aPurgeFollowsOnlyTombstonesThatNameASessionKey() async throws {
        try await TestRedis.withClient { client async throws in
            let prefix = TestRedis.uniquePrefix()
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: prefix))
            let key = try await store.save(SessionState(["a": 1], createdAt: .now), ttl: .seconds(60))
            let bystander = RESPArgument(prefix + "1")
            _ = try await client.send(["SET", bystander, "keep me"])
            _ = try await client.send(["SET", RESPArgument(prefix + "tombstone:" + Self.hex(key.storageDigest)), bystander, "PX", "60000"])
            try await store.purge(key, tombstoneTTL: .seconds(60))
            #expect(try await store.load(key) == nil)
            #expect(try await client.send(["GET", bystander]) == .bulkString(ByteBuffer(string: "keep me")), "no other key was deleted")
            _ = try await client.send(["DEL", bystander])
        }
    }

    @Test func entryNamesCannotReachTheMetadata() async throws {
        try await TestRedis.withClient { client async throws in
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            let created = Date(timeIntervalSince1970: 1_700_000_000)
            let key = try await store.save(SessionState(["created": "mine", "=created": 2, "": 3], createdAt: created), ttl: .seconds(60))
            let loaded = try await store.load(key)
            #expect(loaded?.entries == ["created": "mine", "=created": 2, "": 3])
            #expect(loaded?.createdAt == created)
            try await store.delete(key)
        }
    }
}
