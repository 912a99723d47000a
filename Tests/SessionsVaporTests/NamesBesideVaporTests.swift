import Sessions
import SessionsVapor
import TestSupport
import Testing
import Vapor
import VaporTesting

/// An app that imports Vapor beside this package writes both packages' names unqualified.
///
/// This file compiling is half the check: Vapor's own session names (`Session`, `SessionData`,
/// `SessionsMiddleware`, `request.session`) are written here without a module prefix beside ours
/// (`HTTPSession`, `HTTPSessionMiddleware`, `request.httpSession`). The test is the other half: both
/// sessions work on one app, each under its own cookie.
@Suite(.tags(.vapor)) struct NamesBesideVaporTests {
    @Test func bothSessionsRunOnOneAppUnqualified() async throws {
        try await withApp { app in
            let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
            app.sessions.use(.memory)
            let vaporSessions: SessionsMiddleware = app.sessions.middleware
            app.middleware.use(vaporSessions)
            app.middleware.use(HTTPSessionMiddleware(engine: engine))
            app.post("login") { request async throws -> String in
                let theirs: Session = request.session
                theirs.data["user"] = "ada"
                let ours: HTTPSession = request.httpSession
                try await ours.insert("user_id", "ada")
                return "welcome"
            }
            app.get("whoami") { request async throws -> String in
                let data: SessionData = request.session.data
                let ours = try await request.httpSession.get("user_id", as: String.self) ?? "nobody"
                return "\(data["user"] ?? "nobody") \(ours)"
            }

            let login = try await app.testing().sendRequest(.POST, "login")
            let cookies = login.headers[.setCookie].map { String($0.prefix { $0 != ";" }) }
            #expect(cookies.contains { $0.hasPrefix("vapor-session=") }, "Vapor's cookie: \(cookies)")
            #expect(cookies.contains { $0.hasPrefix("id=") }, "our cookie: \(cookies)")
            let whoami = try await app.testing().sendRequest(.GET, "whoami", headers: ["Cookie": cookies.joined(separator: "; ")])
            #expect(whoami.body.string == "ada ada")
            let stranger = try await app.testing().sendRequest(.GET, "whoami")
            #expect(stranger.body.string == "nobody nobody")
        }
    }
}
