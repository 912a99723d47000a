public import Hummingbird
public import Sessions

/// A request context that carries the request's ``Session``; ``SessionMiddleware`` fills it in.
///
/// Add one stored property to your own context:
///
/// ```swift
/// struct AppRequestContext: SessionRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var session: Session = .unattached
///     init(source: Source) { self.coreContext = .init(source: source) }
/// }
/// ```
///
/// Until the middleware runs, `session` is ``Session/unattached``: every call on it throws, so a
/// route outside the middleware fails loudly instead of silently losing data.
public protocol SessionRequestContext: RequestContext {
    /// The request's session.
    var session: Session { get set }
}

/// A ready-made ``SessionRequestContext`` for apps that need nothing else in their context.
///
/// ```swift
/// let router = Router(context: BasicSessionRequestContext.self)
/// ```
public struct BasicSessionRequestContext: SessionRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var session: Session

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.session = .unattached
    }
}
