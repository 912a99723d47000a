import FoundationEssentials
import NIOCore
import NIOSSL
import Sessions
import SessionsRedis
import TestSupport
import Testing

/// The client against the real redis-server that `scripts/test` starts, and against misbehaving fakes.
@Suite(.tags(.redis)) struct RedisClientTests {
    @Test func urlsAreReadWithTheirParts() throws {
        let full = try RedisClientConfiguration(url: "redis://app%40corp:p%3Ass@cache.internal:6380/3")
        #expect(full.host == "cache.internal")
        #expect(full.port == 6380)
        #expect(full.username == "app@corp")
        #expect(full.password == "p:ss")
        #expect(full.database == 3)
        #expect(full.tls == nil)
        #expect(full.description == "redis://app@corp:***@cache.internal:6380/3", "the password never appears")

        let passwordOnly = try RedisClientConfiguration(url: "rediss://:secret@127.0.0.1")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "secret")
        #expect(passwordOnly.port == 6379)
        #expect(passwordOnly.database == 0)
        #expect(passwordOnly.tls != nil)
        #expect(!passwordOnly.description.contains("secret"))

        for bad in ["http://127.0.0.1", "redis://", "redis://host/db", "redis://host/-1", "redis://host:0", "not a url"] {
            #expect(throws: SessionConfigurationError.self, "\(bad)") { try RedisClientConfiguration(url: bad) }
        }
        #expect(throws: SessionConfigurationError.self) { try RedisClient(configuration: .init(maximumConnections: 0)) }
    }

    @Test func commandsArePipelinedOnOneConnection() async throws {
        try await TestRedis.withClient(configure: { $0.maximumConnections = 1 }) { client async throws in
            let counter = RESPArgument(TestRedis.uniquePrefix() + "counter")
            let replies = try await withThrowingTaskGroup(of: RESPValue.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await client.send(["INCR", counter]) }
                }
                return try await group.reduce(into: [RESPValue]()) { $0.append($1) }
            }
            #expect(Set(replies) == Set((1...200).map { RESPValue.integer(Int64($0)) }), "each of 200 in-flight commands got its own reply")
            _ = try await client.send(["DEL", counter])
        }
    }

    @Test func anErrorReplyIsAServerErrorAndTheConnectionStaysUsable() async throws {
        try await TestRedis.withClient(configure: { $0.maximumConnections = 1 }) { client async throws in
            do {
                _ = try await client.send(["NO-SUCH-COMMAND"])
                Issue.record("an unknown command must fail")
            } catch let error as RedisClientError {
                #expect(error.kind == .server)
                #expect(error.message.contains("unknown command"))
            }
            #expect(try await client.send(["PING"]) == .simpleString("PONG"))
        }
    }

    @Test func authAndSelectRunOnEveryConnection() async throws {
        let user = "sessions-test-" + String(UInt32.random(in: 0 ... .max), radix: 36)
        let password = "pw-" + String(UInt64.random(in: 0 ... .max), radix: 36)
        let key = RESPArgument(TestRedis.uniquePrefix() + "where")
        try await TestRedis.withClient { admin async throws in
            _ = try await admin.send(["ACL", "SETUSER", RESPArgument(user), "on", RESPArgument(">" + password), "~*", "+@all"])
            var configuration = try RedisClientConfiguration(url: try TestRedis.url())
            configuration.username = user
            configuration.password = password
            configuration.database = 3
            configuration.maximumConnections = 2
            try await TestRedis.withClient(configuration) { client async throws in
                #expect(try await client.send(["ACL", "WHOAMI"]) == .bulkString(ByteBuffer(string: user)))
                for _ in 0..<4 {  // every pooled connection authenticated and selected
                    _ = try await client.send(["SET", key, "3"])
                }
            }
            #expect(try await admin.send(["EXISTS", key]) == .integer(0), "nothing was written to database 0")
            try await TestRedis.withClient(configure: { $0.database = 3 }) { databaseThree async throws in
                #expect(try await databaseThree.send(["GET", key]) == .bulkString(ByteBuffer(string: "3")))
                _ = try await databaseThree.send(["DEL", key])
            }

            configuration.password = "wrong-" + password
            try await TestRedis.withClient(configuration) { client async throws in
                do {
                    _ = try await client.send(["PING"])
                    Issue.record("a wrong password must fail the handshake")
                } catch let error as RedisClientError {
                    #expect(error.kind == .handshakeFailed)
                    #expect(!error.description.contains(password), "the password is never echoed")
                }
            }
            _ = try await admin.send(["ACL", "DELUSER", RESPArgument(user)])
        }
    }

    @Test func tlsConnectionsWork() async throws {
        try await TestRedis.withClient(try TestRedis.tlsConfiguration()) { client async throws in
            #expect(try await client.send(["PING"]) == .simpleString("PONG"))
            let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: TestRedis.uniquePrefix()))
            let key = try await store.save(SessionState(["over": "tls"], createdAt: .now), ttl: .seconds(60))
            #expect(try await store.load(key)?["over"] == "tls")
            try await store.delete(key)
        }
        // The same port without trusting the test CA refuses the server's certificate.
        var untrusted = try TestRedis.tlsConfiguration()
        untrusted.tls = .makeClientConfiguration()
        try await TestRedis.withClient(untrusted) { client async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
            #expect(error?.kind == .connectFailed, "a refused certificate fails the connect, not the command")
            #expect(error?.description.contains("CERTIFICATE_VERIFY_FAILED") == true, "and says why: \(String(describing: error))")
        }
    }

    /// 127.0.0.2 reaches the same server, whose certificate names only 127.0.0.1 and localhost: a `rediss://`
    /// client checks the host as well as the chain, and refuses it.
    @Test func tlsRefusesACertificateForAnotherHost() async throws {
        var otherHost = try TestRedis.tlsConfiguration()
        otherHost.host = "127.0.0.2"
        try await TestRedis.withClient(otherHost) { client async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
            #expect(error?.kind == .connectFailed, "a certificate for another host fails the connect: \(String(describing: error))")
        }
    }

    @Test func aServerThatNeverAnswersFailsWithinTheCommandTimeout() async throws {
        let server = try await MisbehavingServer.start(.neverAnswer)
        var configuration = RedisClientConfiguration(port: server.port, maximumConnections: 2)
        configuration.commandTimeout = .milliseconds(300)
        try await TestRedis.withClient(configuration) { client async throws in
            do {
                _ = try await client.send(["PING"])
                Issue.record("a silent server must time out")
            } catch let error as RedisClientError {
                #expect(error.kind == .timeout)
            }
            let store = RedisSessionStore(client: client)
            do {
                _ = try await store.load(SessionKey.generate())
                Issue.record("a load from a silent server must fail")
            } catch let error as LoadError {
                #expect(error.kind == .other)
                #expect((error.underlying as? RedisClientError)?.kind == .timeout)
            }
        }
        await server.stop()
    }

    @Test func timeoutsOnASilentServerLeakNoConnectionsAndNoTasks() async throws {
        let server = try await MisbehavingServer.start(.neverAnswer)
        var configuration = RedisClientConfiguration(port: server.port, maximumConnections: 2)
        configuration.commandTimeout = .milliseconds(100)
        let client = try RedisClient(configuration: configuration)
        let failures = await withTaskGroup(of: RedisClientError.Kind?.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    do throws(RedisClientError) {
                        _ = try await client.send(["PING"])
                        return nil
                    } catch {
                        return error.kind
                    }
                }
            }
            return await group.reduce(into: [RedisClientError.Kind?]()) { $0.append($1) }
        }
        #expect(failures.allSatisfy { $0 == .timeout || $0 == .connectionClosed }, "every command fails, none hangs: \(failures)")
        #expect(client.pendingReplies == 0, "no command still waits: every timeout fired or was cancelled")
        #expect(client.connectsInFlight == 0, "no connect is left running")
        // A timed-out connection is closed and its slot reopened once; the server may count the new one
        // before it has read the old one's close, so its high-water mark is bounded, not exact.
        #expect(server.mostOpenConnections <= 2 * configuration.maximumConnections, "the pool stays within its bound")
        await client.close()
        // The server sees every connection close once the client has closed (bounded wait on a condition).
        let deadline = ContinuousClock.now + .seconds(10)
        while server.openConnections > 0 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(server.openConnections == 0, "no connection outlives the client")
        await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
        #expect(client.pendingReplies == 0 && client.connectsInFlight == 0)
        await server.stop()
    }

    @Test func aRefusedConnectionIsAConnectErrorThatSaysSo() async throws {
        let server = try await MisbehavingServer.start(.neverAnswer)
        let port = server.port
        await server.stop()
        try await TestRedis.withClient(RedisClientConfiguration(port: port)) { client async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
            #expect(error?.kind == .connectFailed)
            #expect(error?.description.lowercased().contains("refused") == true, "\(error.map { "\($0)" } ?? "")")
        }
    }

    /// A server that is down is not asked once per command: after a failed connect the pool waits (with a
    /// growing, jittered delay) and fails the commands in between at once, with the same cause.
    @Test func aDownServerIsRetriedWithBackoffNotOncePerCommand() async throws {
        let server = try await MisbehavingServer.start(.neverAnswer)
        let port = server.port
        await server.stop()
        var configuration = RedisClientConfiguration(port: port, maximumConnections: 4)
        configuration.reconnectDelay = .milliseconds(100)
        configuration.reconnectDelayLimit = .milliseconds(400)
        try await TestRedis.withClient(configuration) { client async throws in
            // One after another, as requests arriving while the server is down do.
            var errors: [RedisClientError?] = []
            for _ in 0..<40 {
                do {
                    _ = try await client.send(["PING"], idempotent: true)
                    errors.append(nil)
                } catch {
                    errors.append(error as? RedisClientError)
                }
            }
            #expect(errors.allSatisfy { $0?.kind == .connectFailed }, "every command fails with the connect's cause")
            #expect(client.connectAttempts <= 4, "40 commands made \(client.connectAttempts) connect attempts")
            // Once the delay has passed, the pool tries again by itself (not stuck failing).
            let before = client.connectAttempts
            try await Task.sleep(for: .seconds(1))
            await #expect(throws: RedisClientError.self) { try await client.send(["PING"], idempotent: true) }
            #expect(client.connectAttempts > before)
        }
    }

    @Test func anIdempotentCommandWhoseConnectionDroppedIsRetriedOnceOnAFreshConnection() async throws {
        let server = try await MisbehavingServer.start(.dropConnections(1, thenAnswer: "+PONG\r\n"))
        try await TestRedis.withClient(RedisClientConfiguration(port: server.port, maximumConnections: 1)) { client async throws in
            #expect(try await client.send(["PING"], idempotent: true) == .simpleString("PONG"))
            #expect(server.connections == 2, "the dropped connection was replaced")
        }
        await server.stop()
    }

    @Test func aSecondDropFails() async throws {
        let server = try await MisbehavingServer.start(.dropConnections(2, thenAnswer: "+PONG\r\n"))
        try await TestRedis.withClient(RedisClientConfiguration(port: server.port, maximumConnections: 1)) { client async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.send(["PING"], idempotent: true) }
            #expect(error?.kind == .connectionClosed)
            #expect(server.connections == 2, "one retry, no more")
        }
        await server.stop()
    }

    @Test func aCommandThatMayHaveRunIsNotSentAgain() async throws {
        let server = try await MisbehavingServer.start(.dropConnections(1, thenAnswer: "+PONG\r\n"))
        try await TestRedis.withClient(RedisClientConfiguration(port: server.port, maximumConnections: 1)) { client async throws in
            let error = await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
            #expect(error?.kind == .connectionClosed)
            #expect(error?.reachedServer == true)
            #expect(error?.description.contains("may have run") == true)
            #expect(server.connections == 1, "not retried: the server read it")
        }
        await server.stop()
    }

    @Test func aClosedClientRefusesCommands() async throws {
        let client = try RedisClient(configuration: .init(url: try TestRedis.url()))
        let pong = try await client.send(["PING"])
        #expect(pong == .simpleString("PONG"))
        await client.close()
        do {
            _ = try await client.send(["PING"])
            Issue.record("a closed client must refuse")
        } catch {
            #expect(error.kind == .closed)
        }
    }
}
