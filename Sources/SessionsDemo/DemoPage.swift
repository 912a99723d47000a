/// The demo's HTML page: a visit counter and a log in / log out form, for a real browser.
enum DemoPage {
    static func render(user: String?, visits: Int) -> String {
        let greeting = user.map { "Logged in as <strong>\(escape($0))</strong>." } ?? "Not logged in."
        let form =
            user == nil
            ? """
            <form onsubmit="send('/login', {user_id: this.user.value}); return false;">
              <input name="user" placeholder="user name" required autofocus> <button>Log in</button>
            </form>
            """
            : #"<button onclick="send('/logout')">Log out</button>"#
        return """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>swift-sessions demo</title>
            <style>body{font:16px system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}</style></head>
            <body>
            <h1>swift-sessions demo</h1>
            <p>You have visited this page <strong>\(visits)</strong> time\(visits == 1 ? "" : "s") in this session.</p>
            <p>\(greeting)</p>
            \(form)
            <script>
            async function send(path, body) {
              await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: body ? JSON.stringify(body) : ''});
              location.reload();
            }
            </script>
            </body>
            </html>
            """
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
