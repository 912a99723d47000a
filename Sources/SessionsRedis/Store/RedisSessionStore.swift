import NIOCore
public import Sessions

/// Sessions in Redis, one hash per session, through a ``RedisClient``.
///
/// Keys are stored as the hex SHA-256 of the session key after a prefix (`session:` by default), never
/// raw, so a dump of Redis holds no usable cookie. `save` creates atomically and retries on a collision;
/// `update` writes only the changed fields and the TTL in one script, and never recreates a session that
/// expired or was deleted; `renew` merges and renames a live session to its new key in one script;
/// `updateTTL` is one script too; `load` is one `HGETALL`. Renew and purge leave a tombstone, a plain key
/// `<prefix>tombstone:<hex>` that expires by itself. Redis expires sessions itself (millisecond TTLs), so
/// no sweeper is needed.
///
/// ```swift
/// let client = try RedisClient(configuration: .init(url: "redis://127.0.0.1:6379"))
/// let store = RedisSessionStore(client: client)
/// let middleware = HTTPSessionMiddleware<AppContext>(store: store, secrets: secrets)
/// app.addServices(client)
/// ```
public final class RedisSessionStore: SessionStore {
    /// The client the store sends through.
    public let client: RedisClient
    private let prefix: [UInt8]
    private let generateKey: @Sendable () -> SessionKey

    /// A store on `client`.
    public init(
        client: RedisClient,
        configuration: RedisSessionStoreConfiguration = .init(),
        generateKey: @escaping @Sendable () -> SessionKey = { SessionKey.generate() }
    ) {
        self.client = client
        self.prefix = Array(configuration.keyPrefix.utf8)
        self.generateKey = generateKey
    }

    public func load(_ key: SessionKey) async throws(LoadError) -> SessionState? {
        try await loadRecord(key)?.state
    }

    public func loadRecord(_ key: SessionKey) async throws(LoadError) -> SessionRecord? {
        let reply: RESPValue
        do {
            reply = try await client.send(["HGETALL", redisKey(key)], idempotent: true)
        } catch  where error.isWrongType {
            throw .deserialization(SessionStoreMessage("the session key holds a value that is not a session hash"))
        } catch {
            throw .other(error)
        }
        do {
            return try RedisSessionHash.decode(reply)
        } catch {
            throw .deserialization(error)
        }
    }

    public func save(_ state: SessionState, ttl: Duration) async throws(SaveError) -> SessionKey {
        var arguments: [RESPArgument] = [
            Self.milliseconds(ttl), RESPArgument(RedisSessionHash.createdField), RESPArgument(state.createdAt.unixMilliseconds),
        ]
        arguments.reserveCapacity(3 + state.entries.count * 2)
        do {
            try RedisSessionHash.pairs(state.entries, into: &arguments)
        } catch {
            throw .serialization(error)
        }
        return try await saveUnderFreshKey(generateKey: generateKey) { key throws(SaveError) in
            do {
                return try await evaluate(RedisSessionScripts.save, keys: [redisKey(key)], arguments) == .integer(1)
            } catch {
                throw .other(error)
            }
        }
    }

    public func update(_ key: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration) async throws(UpdateError)
        -> SessionUpdateResult
    {
        var arguments: [RESPArgument] = [Self.milliseconds(ttl), changes.cleared ? "1" : "0", RESPArgument(Int64(changes.removedKeys.count))]
        arguments.reserveCapacity(3 + changes.removedKeys.count + changes.setKeys.count * 2)
        for name in changes.removedKeys {
            arguments.append(RedisSessionHash.field(name))
        }
        do {
            try RedisSessionHash.pairs(state.entriesSet(by: changes), into: &arguments)
        } catch {
            throw .serialization(error)
        }
        do {
            return try await evaluate(RedisSessionScripts.update, keys: [redisKey(key)], arguments) == .integer(1) ? .updated(key) : .gone
        } catch {
            throw .other(error)
        }
    }

    public func updateTTL(_ key: SessionKey, ttl: Duration) async throws(UpdateError) -> SessionUpdateResult {
        do {
            return try await evaluate(RedisSessionScripts.updateTTL, keys: [redisKey(key)], [Self.milliseconds(ttl)], idempotent: true) == .integer(1)
                ? .updated(key) : .gone
        } catch {
            throw .other(error)
        }
    }

    public func delete(_ key: SessionKey) async throws(DeleteError) {
        do {
            _ = try await client.send(["UNLINK", redisKey(key)], idempotent: true)
        } catch {
            throw .other(error)
        }
    }

    public func renew(
        _ key: SessionKey, as newKey: SessionKey, to state: SessionState, changes: SessionChangeSet, ttl: Duration, tombstoneTTL: Duration
    )
        async throws(UpdateError) -> SessionUpdateResult
    {
        var arguments: [RESPArgument] = [
            Self.milliseconds(ttl), RESPArgument(max(0, tombstoneTTL.wholeMilliseconds)), RESPArgument(state.createdAt.unixMilliseconds),
            changes.cleared ? "1" : "0", RESPArgument(Int64(changes.removedKeys.count)),
        ]
        arguments.reserveCapacity(5 + changes.removedKeys.count + changes.setKeys.count * 2)
        for name in changes.removedKeys {
            arguments.append(RedisSessionHash.field(name))
        }
        do {
            try RedisSessionHash.pairs(state.entriesSet(by: changes), into: &arguments)
        } catch {
            throw .serialization(error)
        }
        let reply: RESPValue
        do {
            // Safe to run twice: a second run finds the tombstone naming the new key and writes nothing.
            reply = try await evaluate(
                RedisSessionScripts.renew, keys: [redisKey(key), redisKey(newKey), tombstoneKey(key)], arguments, idempotent: true)
        } catch {
            throw .other(error)
        }
        switch reply {
        case .integer(1): return .updated(newKey)
        case .integer(0): return .gone
        case .integer(-1): throw renewKeyInUse
        default: throw .other(SessionStoreMessage("the renew script answered \(reply)"))
        }
    }

    public func purge(_ key: SessionKey, tombstoneTTL: Duration) async throws(DeleteError) {
        do {
            _ = try await evaluate(
                RedisSessionScripts.purge,
                keys: [redisKey(key), tombstoneKey(key)],
                [
                    RESPArgument(max(0, tombstoneTTL.wholeMilliseconds)), RESPArgument(ByteBuffer(bytes: prefix)),
                    RESPArgument(Int64(maximumRenewalsFollowed + 1)),
                ],
                idempotent: true
            )
        } catch {
            throw .other(error)
        }
    }

    /// `true`: a renew asked again answers from the old key's tombstone.
    public var renewIsSafeToAskAgain: Bool { true }

    public func hasTombstone(_ key: SessionKey) async throws(LoadError) -> Bool {
        do {
            return try await client.send(["EXISTS", tombstoneKey(key)], idempotent: true) == .integer(1)
        } catch {
            throw .other(error)
        }
    }

    // MARK: Helpers

    /// Runs `script`. Save and update are not `idempotent`: when their connection closes after they were
    /// sent they are not sent again, since Redis may have run them (a second run of an update's clear would
    /// erase what a concurrent request wrote meanwhile; a second save would store a second copy). A renew's
    /// second run finds its own tombstone and writes nothing.
    private func evaluate(
        _ script: RedisScript,
        keys: [RESPArgument],
        _ arguments: [RESPArgument],
        idempotent: Bool = false
    ) async throws(RedisClientError) -> RESPValue {
        let tail = [RESPArgument(Int64(keys.count))] + keys + arguments
        do {
            return try await client.send([RESPArgument("EVALSHA"), script.sha1] + tail, idempotent: idempotent)
        } catch  where error.isMissingScript {
            return try await client.send([RESPArgument("EVAL"), script.source] + tail, idempotent: idempotent)
        }
    }

    /// The prefix and the hex SHA-256 of `key`: the raw key never reaches Redis.
    func redisKey(_ key: SessionKey) -> RESPArgument {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(prefix.count + 64)
        bytes.writeBytes(prefix)
        HexDigits.write(key.storageDigest, into: &bytes)
        return RESPArgument(bytes)
    }

    /// The key of the tombstone a renew or purge leaves for `key`.
    func tombstoneKey(_ key: SessionKey) -> RESPArgument {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(prefix.count + 10 + 64)
        bytes.writeBytes(prefix)
        bytes.writeString("tombstone:")
        HexDigits.write(key.storageDigest, into: &bytes)
        return RESPArgument(bytes)
    }

    /// Whole milliseconds, at least one: Redis deletes a key given a TTL of zero.
    private static func milliseconds(_ ttl: Duration) -> RESPArgument {
        RESPArgument(max(1, ttl.wholeMilliseconds))
    }
}
