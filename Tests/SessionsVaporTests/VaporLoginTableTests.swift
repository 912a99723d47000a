import Logging
import Sessions
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

struct Member: SessionAuthenticatable {
    let id: Int
    var sessionID: Int { id }
}

struct MemberSessionAuthenticator: AsyncHTTPSessionAuthenticator {
    typealias User = Member
    func authenticate(sessionID: Int, for request: Request) async throws {
        request.auth.login(Member(id: sessionID))
    }
}

/// The login table on Vapor: the defects of the login-table issue that a Vapor program showed, each driven
/// the way the review drove it.
@Suite(.tags(.vapor)) struct VaporLoginTableTests {
    static func app(_ app: Application) throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        app.middleware.use(HTTPSessionMiddleware(engine: engine))
        let members = app.grouped(MemberSessionAuthenticator())
        members.get("me") { request async throws -> String in
            let member = request.auth.get(Member.self).map { "member \($0.id)" } ?? "nobody"
            let flash = try await request.httpSession.get("flash", as: String.self) ?? "no flash"
            return "\(member), \(flash)"
        }
    }

    static func cookie(of response: TestingHTTPResponse) -> String? {
        VaporAuthRecipeTests.cookie(of: response)
    }

    /// Defect 1: the documented "log in first, then write" lost the route's writes with an integer id.
    @Test func aRouteThatLogsInWithAnIntegerIdKeepsWhatItWrites() async throws {
        try await withApp { app in
            try Self.app(app)
            app.grouped(MemberSessionAuthenticator()).post("join") { request async throws -> String in
                try await request.httpSession.logIn(userID: 7, as: Member.self)
                try await request.httpSession.insert("flash", "welcome")
                request.auth.login(Member(id: 7))
                return "ok"
            }
            let join = try await app.testing().sendRequest(.POST, "join")
            let cookie = try #require(Self.cookie(of: join))
            let me = try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"])
            #expect(me.body.string == "member 7, welcome")
        }
    }

    /// Defect 2: a route that logged in itself, then to `request.auth`, then threw 403 answered with a
    /// session cookie that authenticated the member on the next request.
    @Test(arguments: [true, false])
    func aLoginTheRouteRejectsLogsNobodyIn(thrown: Bool) async throws {
        try await withApp { app in
            try Self.app(app)
            app.grouped(MemberSessionAuthenticator()).post("join") { request async throws -> Response in
                try await request.httpSession.logIn(userID: 7, as: Member.self)
                request.auth.login(Member(id: 7))
                if thrown { throw Abort(.forbidden) }
                return Response(status: .forbidden)
            }
            let visit = try await app.testing().sendRequest(.GET, "me")
            #expect(visit.body.string == "nobody, no flash")
            let join = try await app.testing().sendRequest(.POST, "join")
            #expect(join.status == .forbidden)
            #expect(Self.cookie(of: join) == nil, "no session was started")
        }
    }

    /// Defect 5: a `request.auth.logout` of a user an earlier authenticator (a bearer token) authenticated
    /// ends no session, and now says so in the log.
    @Test func aLogoutThatEndsNoSessionSaysSo() async throws {
        let capture = LogCapture()
        try await withApp { app in
            try Self.app(app)
            app.grouped(MemberSessionAuthenticator()).post("join") { request async throws -> String in
                request.auth.login(Member(id: 7))
                return "ok"
            }
            let logger = capture.logger
            app.grouped(
                LoggerMiddleware(logger: logger), MemberTokenAuthenticator(), MemberSessionAuthenticator()
            ).post("api", "logout") { request async throws -> String in
                request.auth.logout(Member.self)
                return "ok"
            }
            let cookie = try #require(Self.cookie(of: try await app.testing().sendRequest(.POST, "join")))
            let logout = try await app.testing().sendRequest(.POST, "api/logout", headers: ["Cookie": "id=\(cookie)", "Authorization": "Bearer 7"])
            #expect(logout.status == .ok)
            #expect(capture.text.contains("ended no session"))
            #expect(try await app.testing().sendRequest(.GET, "me", headers: ["Cookie": "id=\(cookie)"]).body.string == "member 7, no flash")
        }
    }
}

struct MemberTokenAuthenticator: AsyncBearerAuthenticator {
    func authenticate(bearer: BearerAuthorization, for request: Request) async throws {
        if let id = Int(bearer.token) { request.auth.login(Member(id: id)) }
    }
}

/// Sets the request's logger, so that a test reads what the middlewares after it log.
struct LoggerMiddleware: AsyncMiddleware {
    let logger: Logger
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.logger = logger
        return try await next.respond(to: request)
    }
}
