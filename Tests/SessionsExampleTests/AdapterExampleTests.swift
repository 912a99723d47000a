import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Sessions
import Testing

/// The adapter of the DocC article "Writing an adapter", on a real socket: every outcome of a route,
/// and the article's code is this target's `NIOSessionHandler.swift`, character for character.
@Suite struct AdapterExampleTests {
    struct Reply {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: String

        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.map(\.value)
        }
        /// The session cookie's value as set by this reply: `""` for a removal, `nil` when none was set.
        var sessionCookie: String? {
            values("set-cookie").compactMap { value -> String? in
                let pair = value.prefix { $0 != ";" }
                guard pair.hasPrefix("id=") else { return nil }
                return String(pair.dropFirst(3))
            }.last
        }
    }

    struct RouteBug: Error {}

    static func routes(_ head: HTTPRequestHead, _ session: HTTPSession) async throws -> (HTTPResponseStatus, String) {
        switch (head.method, head.uri) {
        case (.GET, "/counter"):
            let count = try await session.update("counter", as: Int.self) { count in
                count = (count ?? 0) + 1
                return count!
            }
            return (.ok, "\(count)")
        case (.POST, "/login"):
            try await session.insert("user_id", "ada")
            try await session.renew(.newAuthentication)
            return (.ok, "welcome")
        case (.GET, "/admin"):
            // Counted, then refused with an error response of this server's own: the count still commits.
            try await session.update("admin_attempts", as: Int.self) { $0 = ($0 ?? 0) + 1 }
            throw NIOSessionHandler.RouteError(status: .forbidden)
        case (.POST, "/logout-then-crash"):
            try await session.purge()
            throw RouteBug()
        case (.GET, "/attempts"):
            return (.ok, "\(try await session.get("admin_attempts", as: Int.self) ?? 0)")
        case (.GET, "/whoami"):
            return (.ok, try await session.get("user_id", as: String.self) ?? "nobody")
        default:
            return (.notFound, "")
        }
    }

    /// Runs `body` against the example server on a loopback port of its own.
    func withServer(_ body: (Int) async throws -> Void) async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let logger = Logger(label: "adapter-example")
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(NIOSessionHandler(engine: engine, logger: logger, route: Self.routes))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        do {
            try await body(try #require(server.localAddress?.port))
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    /// One HTTP/1.1 request on a connection of its own, with each of `cookies` as a `Cookie` field of its own.
    func send(_ method: String, _ path: String, cookies: [String] = [], port: Int) async throws -> Reply {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n"
        for cookie in cookies { request += "Cookie: \(cookie)\r\n" }
        request += "\r\n"
        var received = ByteBuffer()
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
        }
        let text = String(buffer: received)
        let parts = text.components(separatedBy: "\r\n\r\n")
        var lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        let headers = lines.map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), line[colon...].dropFirst().trimmingCharacters(in: .whitespaces))
        }
        return Reply(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func theExampleAdapterServesEveryOutcome() async throws {
        try await withServer { port in
            let first = try await send("GET", "/counter", port: port)
            #expect(first.status == 200)
            #expect(first.body == "1")
            #expect(first.values("cache-control") == ["no-store"])
            let cookie = try #require(first.sessionCookie)
            #expect(!cookie.isEmpty)

            let second = try await send("GET", "/counter", cookies: ["id=\(cookie)"], port: port)
            #expect(second.body == "2")
            #expect(second.sessionCookie == nil, "an update under the same key sets no cookie")

            // A session cookie in the second of two `Cookie` fields is found.
            let split = try await send("GET", "/counter", cookies: ["theme=dark", "id=\(cookie)"], port: port)
            #expect(split.body == "3")

            // A route's own error response still commits the session, and carries its headers.
            let refused = try await send("GET", "/admin", cookies: ["id=\(cookie)"], port: port)
            #expect(refused.status == 403)

            let login = try await send("POST", "/login", cookies: ["id=\(cookie)"], port: port)
            let loggedIn = try #require(login.sessionCookie)
            #expect(loggedIn != cookie, "login moved the session to a new key")
            #expect(try await send("GET", "/whoami", cookies: ["id=\(loggedIn)"], port: port).body == "ada")
            #expect(try await send("GET", "/counter", cookies: ["id=\(loggedIn)"], port: port).body == "4", "the count moved with it")
            let oldKey = try await send("GET", "/whoami", cookies: ["id=\(cookie)"], port: port)
            #expect(oldKey.body == "nobody", "the pre-login key is dead")

            // A route that logs out and then fails: an empty 500, and the logout happened.
            let crash = try await send("POST", "/logout-then-crash", cookies: ["id=\(loggedIn)"], port: port)
            #expect(crash.status == 500)
            #expect(crash.body.isEmpty)
            #expect(try await send("GET", "/whoami", cookies: ["id=\(loggedIn)"], port: port).body == "nobody")
        }
    }

    @Test func theRefusedRequestsCountWasCommitted() async throws {
        try await withServer { port in
            let first = try await send("GET", "/admin", port: port)
            #expect(first.status == 403)
            let cookie = try #require(first.sessionCookie, "the error response carries the new session's cookie")
            #expect(first.values("cache-control") == ["no-store"])
            let second = try await send("GET", "/admin", cookies: ["id=\(cookie)"], port: port)
            #expect(second.status == 403)
            #expect(second.sessionCookie == nil)
            let attempts = try await send("GET", "/attempts", cookies: ["id=\(cookie)"], port: port)
            #expect(attempts.body == "2", "both 403s committed their count")
        }
    }

    @Test func theArticleShowsThisAdapter() throws {
        try ArticleSource.expect("WritingAnAdapter.md", shows: "NIOSessionHandler.swift")
    }
}
