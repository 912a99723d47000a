import Crypto
import NIOCore

/// A Lua script run with `EVALSHA`, falling back to `EVAL` when the server does not have it cached.
struct RedisScript: Sendable {
    let source: RESPArgument
    let sha1: RESPArgument

    init(_ source: String) {
        self.source = RESPArgument(source)
        var hex = ByteBuffer()
        HexDigits.write(Insecure.SHA1.hash(data: Array(source.utf8)), into: &hex)
        sha1 = RESPArgument(hex)
    }
}

/// The scripts that make save and update atomic. A session is one hash: the field `created` holds the
/// creation time in Unix milliseconds, `expires` when its TTL runs out (by Redis's clock, so that a load
/// tells it without a second command), and each entry is a field named `=` + its name holding its JSON.
enum RedisSessionScripts {
    /// Lua: `expire(key, ttl)` sets the key's TTL in milliseconds and records in `expires` when it runs out.
    /// `TIME` before a write needs effects replication: the default from Redis 5, asked for on 3.2 and 4.
    private static let expire = """
        redis.replicate_commands()
        local function expire(key, ttl)
          redis.call('PEXPIRE', key, ttl)
          local time = redis.call('TIME')
          redis.call('HSET', key, 'expires', string.format('%.0f', time[1] * 1000 + math.floor(time[2] / 1000) + tonumber(ttl)))
        end

        """

    /// ARGV: ttl ms, then field/value pairs. Creates the hash only if the key is unused: returns 1, or 0
    /// on a collision, leaving the existing session untouched.
    static let save = RedisScript(
        expire + """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            expire(KEYS[1], ARGV[1])
            return 1
            """
    )

    /// ARGV: ttl ms, "1" to clear every entry first, the number n of removed fields, n field names, then
    /// field/value pairs to set. Touches only the fields named, so concurrent updates of different entries
    /// all persist; returns 0 and writes nothing when the session is gone (expired or deleted), so it is
    /// never resurrected.
    static let update = RedisScript(
        expire + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            local removed = tonumber(ARGV[3])
            if ARGV[2] == '1' then
              local created = redis.call('HGET', KEYS[1], 'created')
              redis.call('DEL', KEYS[1])
              if created then redis.call('HSET', KEYS[1], 'created', created) end
            end
            for i = 4, 3 + removed do redis.call('HDEL', KEYS[1], ARGV[i]) end
            for i = 4 + removed, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            expire(KEYS[1], ARGV[1])
            return 1
            """
    )

    /// KEYS: the session, its new key, the old key's tombstone. ARGV: ttl ms, tombstone ttl ms (0 for
    /// none), created ms, "1" to clear every entry first, the number n of removed fields, n field names,
    /// then field/value pairs to set. Moves a live session to its new key with the changes merged, in one
    /// step, and leaves a tombstone holding the new key's name (a later purge of the old key follows it):
    /// returns 1. Asked again after it ran (the tombstone names the new key, which is live) it writes
    /// nothing and returns 1 again; when the session is otherwise gone, 0 and nothing is written (so it is
    /// never brought back); -1 when the new key is taken.
    static let renew = RedisScript(
        expire + """
            if redis.call('EXISTS', KEYS[1]) == 0 then
              if redis.call('GET', KEYS[3]) == KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
              return 0
            end
            if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
            local removed = tonumber(ARGV[5])
            if ARGV[4] == '1' then
              redis.call('DEL', KEYS[1])
            else
              for i = 6, 5 + removed do redis.call('HDEL', KEYS[1], ARGV[i]) end
            end
            for i = 6 + removed, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            redis.call('HSET', KEYS[1], 'created', ARGV[3])
            redis.call('RENAME', KEYS[1], KEYS[2])
            expire(KEYS[2], ARGV[1])
            if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[3], KEYS[2], 'PX', ARGV[2]) end
            return 1
            """
    )

    /// ARGV: ttl ms. Restarts a live session's TTL: returns 1, or 0 when the session is gone.
    static let updateTTL = RedisScript(
        expire + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            expire(KEYS[1], ARGV[1])
            return 1
            """
    )

    /// KEYS: the session, its tombstone. ARGV: tombstone ttl ms (0 for none), the key prefix, the most
    /// keys to delete. Deletes the session and every session renews moved it to (each renew's tombstone
    /// holds its successor's key: followed only when it is one, prefix and 64 hex digits, so that no other
    /// value can name a key to delete), and leaves an empty tombstone on each key it deleted, in one step.
    static let purge = RedisScript(
        """
        local session, tombstone = KEYS[1], KEYS[2]
        local ttl = tonumber(ARGV[1])
        for i = 1, tonumber(ARGV[3]) do
          redis.call('UNLINK', session)
          local successor = redis.call('GET', tombstone)
          if ttl > 0 then redis.call('SET', tombstone, '', 'PX', ttl) end
          if not successor or #successor ~= #ARGV[2] + 64 or string.sub(successor, 1, #ARGV[2]) ~= ARGV[2]
            or not string.find(successor, '^%x+$', #ARGV[2] + 1) then break end
          session = successor
          tombstone = ARGV[2] .. 'tombstone:' .. string.sub(successor, #ARGV[2] + 1)
        end
        return 1
        """
    )
}
