// Vapor 4 SessionsMiddleware with the in-memory driver.
// Usage: VaporPeer PORT [plain|sessions]
import Vapor

let args = CommandLine.arguments
let port = args.count > 1 ? Int(args[1]) ?? 8082 : 8082
let mode = args.count > 2 ? args[2] : "sessions"

let env = Environment(name: "production", arguments: ["vapor"])
let app = try await Application.make(env)
app.http.server.configuration.hostname = "127.0.0.1"
app.http.server.configuration.port = port
app.logger.logLevel = .error
if mode == "sessions" {
    app.sessions.use(.memory)
    app.middleware.use(app.sessions.middleware)
}
app.get("plain") { _ in "ok" }
app.post("login") { req -> String in
    req.session.data["user"] = "bench"
    req.session.data["count"] = "0"
    return "ok"
}
app.get("counter") { req -> String in
    guard mode == "sessions" else { return "0" }
    let next = (Int(req.session.data["count"] ?? "-1") ?? -1) + 1
    req.session.data["user"] = "bench"
    req.session.data["count"] = String(next)
    return String(next)
}
app.get("read") { req -> String in
    guard mode == "sessions" else { return "anonymous" }
    return req.session.data["user"] ?? "anonymous"
}
try await app.execute()
try await app.asyncShutdown()
