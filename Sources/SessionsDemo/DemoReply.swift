/// A framework-free HTTP answer: the demo's routes decide it once, each framework adapter sends it.
public struct DemoReply: Sendable, Equatable {
    public enum ContentType: String, Sendable {
        case json = "application/json; charset=utf-8"
        case text = "text/plain; charset=utf-8"
        case html = "text/html; charset=utf-8"
    }

    public var status: Int
    public var contentType: ContentType
    public var body: String

    static func json(_ body: String, status: Int = 200) -> DemoReply { .init(status: status, contentType: .json, body: body) }
    static func text(_ body: String, status: Int = 200) -> DemoReply { .init(status: status, contentType: .text, body: body) }
    static func error(_ status: Int, _ message: String) -> DemoReply {
        .json(#"{"error":\#(DemoJSON.string(message))}"#, status: status)
    }
}
