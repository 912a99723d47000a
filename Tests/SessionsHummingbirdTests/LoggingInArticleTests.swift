import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdBasicAuth
import HummingbirdTesting
import Sessions
import SessionsHummingbird
import TestSupport
import Testing

/// The article "Logging in and out", its code run: a login route behind hummingbird-auth's basic
/// authenticator, a logout, and a login that drops a planted value.
@Suite(.tags(.hummingbird)) struct LoggingInArticleTests {
    @Test("the article's login and logout routes log in on a new key, drop the planted value, and log out")
    func theArticlesRoutesWork() async throws {
        let users = HummingbirdAuthRecipeTests.users
        let router = Router(context: AppContext.self)
        router.addMiddleware { HTTPSessionMiddleware(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate())) }
        router.post("/plant") { _, context -> String in
            try await context.httpSession.insert("return_to", "https://attacker.example")
            try await context.httpSession.insert("theme", "dark")
            return "planted"
        }
        router.get("/values") { _, context -> String in
            try await context.httpSession.entries().keys.filter { $0 != HTTPSession.principalEntry }.sorted().joined(separator: ",")
        }
        router.group("careful").add(middleware: BasicAuthenticator { name, _ in users[name] })
            .post("login") { _, context -> String in
                let user = try context.requireIdentity()
                let session = context.httpSession
                // README: Logging in, planted values
                try await session.logIn(userID: user.name, as: User.self, carryingOver: .everything(except: ["return_to"]))
                // README: end
                return "welcome"
            }
        router.addMiddleware { BasicAuthenticator { name, _ in users[name] } }
        // README: Logging in, routes
        router.post("/login") { _, context in
            let user = try context.requireIdentity()  // the password, checked by hummingbird-auth
            try await context.httpSession.logIn(userID: user.name, as: User.self)
            return "welcome"
        }
        router.post("/logout") { _, context in
            try await context.httpSession.logOut()
            return "bye"
        }
        // README: end
        try await Application(router: router).test(.router) { client in
            let demo = DemoClient(hummingbird: client)
            let password = HummingbirdAuthRecipeTests.basic("ada", "correct horse")
            let browser = TestBrowser()
            try await browser.send(.post, "/plant", client: demo)
            let anonymous = browser.cookie
            #expect(try await browser.send(.post, "/careful/login", headers: password, client: demo).body == "welcome")
            #expect(browser.cookie != anonymous, "the login moved the session to a new key")
            #expect(try await browser.send(.get, "/values", client: demo).body == "theme", "the planted value was dropped")
            #expect(try await browser.send(.post, "/login", headers: password, client: demo).body == "welcome")
            #expect(try await browser.send(.post, "/logout", client: demo).body == "bye")
            #expect(browser.cookie == nil)
        }
    }

    @Test("the article's remember-me login gives that session alone a 30-day persistent cookie")
    func theArticlesRememberMeWorks() async throws {
        let users = HummingbirdAuthRecipeTests.users
        let router = Router(context: AppContext.self)
        router.addMiddleware { HTTPSessionMiddleware(store: MemorySessionStore(), secrets: SessionSecrets(current: .generate())) }
        router.addMiddleware { BasicAuthenticator { name, _ in users[name] } }
        // README: Logging in, remember me
        router.post("/login") { request, context in
            let user = try context.requireIdentity()
            try await context.httpSession.logIn(userID: user.name, as: User.self)
            if request.uri.queryParameters["remember"] == "1" {
                try await context.httpSession.setLifecycle(.persistent(ttl: .seconds(30 * 86_400)))
            }
            return "welcome"
        }
        // README: end
        try await Application(router: router).test(.router) { client in
            let demo = DemoClient(hummingbird: client)
            let password = HummingbirdAuthRecipeTests.basic("ada", "correct horse")
            let remembered = try await TestBrowser().send(.post, "/login?remember=1", headers: password, client: demo)
            #expect(remembered.setCookies.first?.contains("Max-Age=2592000") == true, "\(remembered.setCookies)")
            let plain = try await TestBrowser().send(.post, "/login", headers: password, client: demo)
            #expect(plain.setCookies.count == 1)
            #expect(plain.setCookies.first?.contains("Max-Age") == false, "a browser-session cookie, as configured")
        }
    }
}
