public import Hummingbird
public import Sessions

/// A request context that carries the request's `HTTPSession`; ``HTTPSessionMiddleware`` fills it in.
///
/// Add one stored property to your own context:
///
/// ```swift
/// struct AppRequestContext: HTTPSessionRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var httpSession: HTTPSession = .unattached
///     init(source: Source) { self.coreContext = .init(source: source) }
/// }
/// ```
///
/// Until the middleware runs, `httpSession` is `HTTPSession/unattached`: every call on it throws, so a
/// route outside the middleware fails loudly instead of silently losing data.
///
/// The names leave hummingbird-auth's own `SessionRequestContext` (and its `sessions` property) free: one
/// context may conform to both, say while an app moves from one session library to the other.
public protocol HTTPSessionRequestContext: RequestContext {
    /// The request's session.
    var httpSession: HTTPSession { get set }
}

/// A ready-made ``HTTPSessionRequestContext`` for apps that need nothing else in their context.
///
/// ```swift
/// let router = Router(context: BasicHTTPSessionRequestContext.self)
/// ```
public struct BasicHTTPSessionRequestContext: HTTPSessionRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var httpSession: HTTPSession

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.httpSession = .unattached
    }
}
