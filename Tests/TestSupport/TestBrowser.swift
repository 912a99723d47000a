public import HTTPTypes
import Hummingbird
public import HummingbirdTesting
import NIOCore
import Synchronization
import Vapor
public import VaporTesting

/// One in-process HTTP client for the demo, whichever framework serves it.
public struct DemoClient: Sendable {
    public struct Reply: Sendable {
        public let status: HTTPResponse.Status
        public let headers: HTTPFields
        public let body: String
        public var setCookies: [String] { headers[values: .setCookie] }
    }

    public let send: @Sendable (HTTPRequest.Method, String, HTTPFields, String?) async throws -> Reply

    /// Hummingbird's router test client.
    public init(hummingbird client: some TestClientProtocol) {
        send = { method, uri, headers, body in
            let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
            return Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// Vapor's in-memory tester.
    public init(vapor tester: any TestingApplicationTester) {
        send = { method, uri, headers, body in
            var vaporHeaders = HTTPHeaders()
            for field in headers { vaporHeaders.add(name: field.name.rawName, value: field.value) }
            let response = try await tester.performTest(
                request: TestingHTTPRequest(
                    method: HTTPMethod(rawValue: method.rawValue),
                    url: URI(string: uri),
                    headers: vaporHeaders,
                    body: ByteBuffer(string: body ?? "")
                )
            )
            var fields = HTTPFields()
            for (name, value) in response.headers {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            return Reply(
                status: HTTPResponse.Status(code: Int(response.status.code)),
                headers: fields,
                body: String(buffer: response.body)
            )
        }
    }
}

/// A cookie jar in front of a ``DemoClient``: keeps the session cookie the server sets and sends it
/// back, as a browser would.
public final class TestBrowser: Sendable {
    public let cookieName: String
    private let jar = Mutex<String?>(nil)

    public init(cookieName: String = "id") { self.cookieName = cookieName }

    public var cookie: String? {
        get { jar.withLock { $0 } }
        set { jar.withLock { $0 = newValue } }
    }

    public typealias Reply = DemoClient.Reply

    @discardableResult
    public func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        headers extra: HTTPFields = [:],
        client: DemoClient
    ) async throws -> Reply {
        var headers = extra
        if let cookie { headers[.cookie] = "\(cookieName)=\(cookie)" }
        let reply = try await client.send(method, uri, headers, body)
        for header in reply.setCookies {
            let pair = header.prefix { $0 != ";" }
            guard pair.hasPrefix(cookieName + "=") else { continue }
            let value = String(pair.dropFirst(cookieName.count + 1))
            cookie = header.contains("Max-Age=0") ? nil : value
        }
        return reply
    }

    /// The same, straight to Hummingbird's test client.
    @discardableResult
    public func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        headers extra: HTTPFields = [:],
        client: some TestClientProtocol
    ) async throws -> Reply {
        try await send(method, uri, body: body, headers: extra, client: DemoClient(hummingbird: client))
    }
}
