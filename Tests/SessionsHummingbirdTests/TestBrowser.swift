import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A cookie jar in front of Hummingbird's test client: keeps the session cookie the server sets and
/// sends it back, as a browser would.
final class TestBrowser: Sendable {
    let cookieName: String
    private let jar = Mutex<String?>(nil)

    init(cookieName: String = "id") { self.cookieName = cookieName }

    var cookie: String? {
        get { jar.withLock { $0 } }
        set { jar.withLock { $0 = newValue } }
    }

    struct Reply {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: String
        var setCookies: [String] { headers[values: .setCookie] }
    }

    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        headers extra: HTTPFields = [:],
        client: some TestClientProtocol
    ) async throws -> Reply {
        var headers = extra
        if let cookie { headers[.cookie] = "\(cookieName)=\(cookie)" }
        let response = try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        )
        let reply = Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
        for header in reply.setCookies {
            let pair = header.prefix { $0 != ";" }
            guard pair.hasPrefix(cookieName + "=") else { continue }
            let value = String(pair.dropFirst(cookieName.count + 1))
            cookie = header.contains("Max-Age=0") ? nil : value
        }
        return reply
    }
}
