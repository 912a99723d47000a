import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import SessionsDemo

/// The Hummingbird servers, answering through the router's responder with no socket.
enum HummingbirdRequests {
    static func run(_ server: String, route: String, count: Int) async throws -> Int {
        if server == "hummingbird-demo" {
            return try await serve(HummingbirdDemo.router(engine: try demoEngine()), route: route, count: count)
        }
        // Benchmarks/Peers/Sources/HummingbirdPeer, plain: the same routes.
        let router = Router()
        router.get("/plain") { _, _ in "ok" }
        router.get("/counter") { _, _ in "0" }
        router.get("/read") { _, _ in "anonymous" }
        return try await serve(router, route: route, count: count)
    }

    static func serve<Context: InitializableFromSource<ApplicationRequestContextSource>>(_ router: Router<Context>, route: String, count: Int)
        async throws -> Int
    {
        let responder = router.buildResponder()
        let logger = Logger(label: "sessions-request-cost")
        let channel = NIOAsyncTestingChannel()
        func send(_ path: String, cookie: String?) async throws -> Response {
            var fields = HTTPFields()
            // One field, as the HTTP/1 parser delivers it (the `.cookie` subscript's setter would split it).
            if let cookie { fields.append(HTTPField(name: .cookie, value: cookie)) }
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path, headerFields: fields),
                body: RequestBody(buffer: ByteBuffer())
            )
            return try await responder.respond(to: request, context: Context(source: .init(channel: channel, logger: logger)))
        }
        let first = try await send("/counter", cookie: nil)
        let cookie = cookiePair(first.headers[.setCookie])
        var failures = 0
        for _ in 0..<count where try await send(route, cookie: cookie).status != .ok {
            failures += 1
        }
        return failures
    }
}
