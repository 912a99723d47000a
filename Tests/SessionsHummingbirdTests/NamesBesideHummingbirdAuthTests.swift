import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import SessionsHummingbirdAuth
import TestSupport
import Testing

/// An app that imports hummingbird-auth beside this package writes both packages' names unqualified.
///
/// This file compiling is half the check: every hummingbird-auth session name (`SessionMiddleware`,
/// `SessionRequestContext`, `BasicSessionRequestContext`, `SessionContext`, `SessionAuthenticator`) is
/// written here without a module prefix beside ours, `SessionsHummingbirdAuth` imported too. The test is the other half: both sessions work on one context, each under
/// its own cookie.
@Suite(.tags(.hummingbird)) struct NamesBesideHummingbirdAuthTests {
    /// hummingbird-auth's session (a user name, in its `sessions`) and ours (in `httpSession`) on one context.
    struct AppContext: SessionRequestContext, HTTPSessionRequestContext {
        var coreContext: CoreRequestContextStorage
        let sessions: SessionContext<String>
        var httpSession: HTTPSession = .unattached

        init(source: Source) {
            self.coreContext = .init(source: source)
            self.sessions = .init()
        }
    }

    @Test func bothPackagesSessionsRunOnOneContextUnqualified() async throws {
        let engine = try SessionEngine(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate()))
        let router = Router(context: AppContext.self)
        router.addMiddleware {
            SessionMiddleware(storage: MemoryPersistDriver())
            HTTPSessionMiddleware(engine: engine)
        }
        router.post("/login") { _, context -> String in
            context.sessions.createSession("ada")
            try await context.httpSession.insert("user_id", "ada")
            return "welcome"
        }
        router.get("/whoami") { _, context -> String in
            let theirs = context.sessions.session ?? "nobody"
            let ours = try await context.httpSession.get("user_id", as: String.self) ?? "nobody"
            return "\(theirs) \(ours)"
        }
        // Both packages' ready-made contexts and session authenticators, unqualified.
        let theirs = Router(context: BasicSessionRequestContext<String, String>.self)
        theirs.addMiddleware { SessionAuthenticator(context: BasicSessionRequestContext<String, String>.self) { (name: String, _) in name } }
        _ = Router(context: BasicHTTPSessionRequestContext.self)

        try await Application(router: router).test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .post)
            #expect(login.status == .ok)
            let cookies = login.headers[values: .setCookie].map { String($0.prefix { $0 != ";" }) }
            #expect(cookies.contains { $0.hasPrefix("SESSION_ID=") }, "hummingbird-auth's cookie: \(cookies)")
            #expect(cookies.contains { $0.hasPrefix("id=") }, "our cookie: \(cookies)")
            let whoami = try await client.execute(uri: "/whoami", method: .get, headers: [.cookie: cookies.joined(separator: "; ")])
            #expect(String(buffer: whoami.body) == "ada ada")
            let stranger = try await client.execute(uri: "/whoami", method: .get)
            #expect(String(buffer: stranger.body) == "nobody nobody")
        }
    }
}
