import Logging
import NIOCore
import NIOHTTP1
import Sessions

/// swift-sessions on a bare SwiftNIO HTTP/1.1 server: a complete adapter in one channel handler.
///
/// A route is an `async` closure that gets the request's head and its session, and returns a status
/// and a body, or throws a ``RouteError`` to answer with a status of its own (the session still commits,
/// as for a framework's error response).
final class NIOSessionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    typealias Route = @Sendable (HTTPRequestHead, HTTPSession) async throws -> (HTTPResponseStatus, String)

    /// An error a route throws to answer with `status`: this server's "error response".
    struct RouteError: Error {
        var status: HTTPResponseStatus
    }

    private let engine: SessionEngine
    private let route: Route
    private let logger: Logger
    private var head: HTTPRequestHead?

    init(engine: SessionEngine, logger: Logger, route: @escaping Route) {
        self.engine = engine
        self.logger = logger
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        // 1. Every `Cookie` field, in order, as one header: the engine's rule.
        var cookieHeader: String?
        for field in head.headers["cookie"] {
            cookieHeader = SessionEngine.cookieHeader(cookieHeader, appending: field)
        }
        // 2. Begin: nothing is verified or loaded until the route touches the session.
        let session = engine.begin(cookieHeader: cookieHeader, logger: logger)
        let (engine, route, logger) = (engine, route, logger)
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { () async -> (HTTPResponseStatus, HTTPHeaders, String) in
            // 3. The route, and how it ended.
            var reply: (status: HTTPResponseStatus, body: String) = (.internalServerError, "")
            let outcome: SessionEngine.HandlerOutcome
            do {
                reply = try await route(head, session)
                outcome = .answered(status: Int(reply.status.code))
            } catch let error as RouteError {
                reply = (error.status, "")
                // A thrown status is the route's answer, as a returned one is.
                outcome = .answered(status: Int(error.status.code))
            } catch {
                outcome = .threw(error)
            }
            // 4. The engine decides; the adapter maps its answer onto NIO's types.
            switch await engine.end(session, after: outcome, logger: logger) {
            case .respond(let sessionHeaders):
                return (reply.status, Self.headers(sessionHeaders), reply.body)
            case .replace(let status, let sessionHeaders):
                return (HTTPResponseStatus(statusCode: status), Self.headers(sessionHeaders), "")
            case .rethrow:
                // This server has no error pages of its own: any other error is an empty 500.
                return (.internalServerError, [:], "")
            }
        }.whenSuccess { status, headers, body in
            let (handler, context) = handler.value
            handler.write(status: status, headers: headers, body: body, keepAlive: head.isKeepAlive, context: context)
        }
    }

    /// The session's headers on NIO's type: each cookie a field of its own, `Cache-Control` replaced.
    private static func headers(_ sessionHeaders: SessionResponseHeaders) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for cookie in sessionHeaders.setCookies {
            headers.add(name: "set-cookie", value: cookie)
        }
        if let cacheControl = sessionHeaders.cacheControl {
            headers.replaceOrAdd(name: "cache-control", value: cacheControl)
        }
        return headers
    }

    private func write(status: HTTPResponseStatus, headers: HTTPHeaders, body: String, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = headers
        headers.add(name: "content-length", value: String(body.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in context.value.close(promise: nil) }
        }
    }
}
