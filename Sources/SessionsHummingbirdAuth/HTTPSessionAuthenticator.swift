public import Hummingbird
public import HummingbirdAuth
public import Sessions
public import SessionsHummingbird

/// Authenticates a request from the user id its `HTTPSession` holds, as hummingbird-auth's own
/// `SessionAuthenticator` does from its sessions: a user repository turns the id into the context's
/// `identity`, so `context.requireIdentity()` and hummingbird-auth's policies work as usual.
///
/// The id gets there through `HTTPSession.logIn(userID:)`, once the credentials are checked (for example
/// by hummingbird-auth's `BasicAuthenticator`); `HTTPSession.logOut()` ends it. Put the authenticator after
/// `HTTPSessionMiddleware`:
///
/// ```swift
/// struct AppContext: AuthRequestContext, HTTPSessionRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var identity: User?
///     var httpSession: HTTPSession = .unattached
///     init(source: Source) { self.coreContext = .init(source: source) }
/// }
///
/// let router = Router(context: AppContext.self)
/// router.addMiddleware { HTTPSessionMiddleware(engine: engine) }
/// router.addMiddleware {
///     HTTPSessionAuthenticator(context: AppContext.self) { (id: String, _) in try await users.find(id) }
/// }
/// router.get("/me") { _, context in try context.requireIdentity().name }
/// ```
///
/// A session without an id, or whose id is not an `Identifier` (data from an older version of the app),
/// is a request without an identity: never an error that locks the user out. A store failure is one: the
/// request fails as any session failure does (an empty HTTP 500).
public struct HTTPSessionAuthenticator<
    Context: AuthRequestContext & HTTPSessionRequestContext,
    Repository: UserSessionRepository
>: AuthenticatorMiddleware where Repository.User == Context.Identity {
    public typealias Identity = Context.Identity

    /// Where users are found from their ids.
    public let users: Repository
    /// The session entry holding the user's id.
    public let entry: String

    /// Authenticates through a user repository.
    /// - Parameters:
    ///   - users: finds a user from the id the session holds.
    ///   - entry: the session entry holding the id; `HTTPSession.logIn(userID:entry:)` writes it.
    ///   - context: the router's request context.
    public init(users: Repository, entry: String = HTTPSession.userIDEntry, context: Context.Type = Context.self) {
        self.users = users
        self.entry = entry
    }

    /// Authenticates through a closure that finds a user from the id the session holds.
    /// - Parameters:
    ///   - entry: the session entry holding the id; `HTTPSession.logIn(userID:entry:)` writes it.
    ///   - context: the router's request context.
    ///   - getUser: the user with this id, or `nil` when there is none (any more).
    public init<Identifier: Codable & Sendable>(
        entry: String = HTTPSession.userIDEntry,
        context: Context.Type = Context.self,
        getUser: @escaping @Sendable (Identifier, UserRepositoryContext) async throws -> Context.Identity?
    ) where Repository == UserSessionClosureRepository<Identifier, Context.Identity> {
        self.users = UserSessionClosureRepository(getUser)
        self.entry = entry
    }

    public func authenticate(request: Request, context: Context) async throws -> Context.Identity? {
        let id: Repository.Identifier?
        do {
            id = try await context.httpSession.get(entry, as: Repository.Identifier.self)
        } catch let error where error.kind == .valueDecoding {
            return nil
        }
        guard let id else { return nil }
        return try await users.getUser(from: id, context: UserRepositoryContext(logger: context.logger))
    }
}
