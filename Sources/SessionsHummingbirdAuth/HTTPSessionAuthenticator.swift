public import Hummingbird
public import HummingbirdAuth
import Sessions
public import SessionsHummingbird

/// Authenticates a request from the principal its `HTTPSession` holds, as hummingbird-auth's own
/// `SessionAuthenticator` does from its sessions: a user repository turns the id into the context's
/// `identity`, so `context.requireIdentity()` and hummingbird-auth's policies work as usual.
///
/// The principal gets there through `HTTPSession.logIn(userID:as:)`, once the credentials are checked (for
/// example by hummingbird-auth's `BasicAuthenticator`), and the session middleware carries the login out
/// after the route, only when it answered below 400; `HTTPSession.logOut()` ends it. Put the
/// authenticator after `HTTPSessionMiddleware`:
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
/// router.group("login").add(middleware: BasicAuthenticator { name, _ in try await users.find(name) })
///     .post { _, context in
///         try await context.httpSession.logIn(userID: try context.requireIdentity().id, as: User.self)
///         return "welcome"
///     }
/// router.group("account")
///     .add(middleware: HTTPSessionAuthenticator(context: AppContext.self) { (id: String, _) in try await users.find(id) })
///     .get("me") { _, context in try context.requireIdentity().name }
/// ```
///
/// Keep it off the login route: there `requireIdentity()` would answer the session's user for a request
/// that carries no password, and logging that user in again renews the session, with a new
/// absolute-timeout window, without credentials.
///
/// It reads only principals of its ``userType``, by default the identity type's name, so two repositories
/// whose ids overlap (customer 7, administrator 7) never authenticate each other's users. An identity an
/// earlier authenticator set (a bearer token, a password) is kept: the first authenticator wins, as on
/// Vapor, so a session planted in the browser never overrides the credentials a request carries.
///
/// A session without a principal of this kind, or whose id is not an `Identifier` (data from an older
/// version of the app), is a request without an identity: never an error that locks the user out. A store
/// failure is one: the request fails as any session failure does (an empty HTTP 500).
public struct HTTPSessionAuthenticator<
    Context: AuthRequestContext & HTTPSessionRequestContext,
    Repository: UserSessionRepository
>: AuthenticatorMiddleware where Repository.User == Context.Identity {
    public typealias Identity = Context.Identity

    /// Where users are found from their ids.
    public let users: Repository
    /// The kind of user this authenticator reads: `SessionPrincipal.userType(of: Context.Identity.self)`
    /// unless given.
    public let userType: String

    /// Authenticates through a user repository.
    /// - Parameters:
    ///   - users: finds a user from the id the session holds.
    ///   - userType: the kind of principal to read; `HTTPSession.logIn(userID:as:)` with the identity type
    ///     writes the default.
    ///   - context: the router's request context.
    public init(users: Repository, userType: String? = nil, context: Context.Type = Context.self) {
        self.users = users
        self.userType = userType ?? SessionPrincipal.userType(of: Context.Identity.self)
    }

    /// Authenticates through a closure that finds a user from the id the session holds.
    /// - Parameters:
    ///   - userType: the kind of principal to read; `HTTPSession.logIn(userID:as:)` with the identity type
    ///     writes the default.
    ///   - context: the router's request context.
    ///   - getUser: the user with this id, or `nil` when there is none (any more).
    public init<Identifier: Codable & Sendable>(
        userType: String? = nil,
        context: Context.Type = Context.self,
        getUser: @escaping @Sendable (Identifier, UserRepositoryContext) async throws -> Context.Identity?
    ) where Repository == UserSessionClosureRepository<Identifier, Context.Identity> {
        self.users = UserSessionClosureRepository(getUser)
        self.userType = userType ?? SessionPrincipal.userType(of: Context.Identity.self)
    }

    public func authenticate(request: Request, context: Context) async throws -> Context.Identity? {
        // The first authenticator wins: hummingbird-auth would let this one overwrite an earlier identity.
        if let identity = context.identity { return identity }
        guard let principal = try await context.httpSession.principal(), principal.userType == userType,
            let id = principal.userID(as: Repository.Identifier.self)
        else { return nil }
        return try await users.getUser(from: id, context: UserRepositoryContext(logger: context.logger))
    }

}
