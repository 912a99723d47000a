"""A stand-in for the demo's session routes, small enough to read at once, for the checker's own tests.

It keeps the engine's promises (renew moves only a live session and merges what landed first, purge follows
the renews its key's tombstones name, a stale cookie is left alone and its writes dropped), unless a mutant
breaks one of them on purpose:

- resurrect-on-renew: a renew saves the session under a new key even when a logout purged it meanwhile;
- drop-merged-entry: a renew writes the state the login loaded, losing what landed since;
- remove-fresh-login-cookie: a request whose cookie no longer resolves answers with a removal cookie;
- purge-ignores-renews: a purge deletes its own key only, not where a concurrent renew moved the session;
- update-recreates-purged: a write to a session that ended while it ran brings the session back;
- logout-ignores-renewed-key: a logout whose key a login already renewed away purges nothing;
- dropped-write-answers-200: a write or login whose session ended while it ran is answered 200, not 409.
"""
import http.server, json, secrets, threading, time, urllib.parse

MUTANTS = ["resurrect-on-renew", "drop-merged-entry", "remove-fresh-login-cookie", "purge-ignores-renews", "update-recreates-purged",
           "logout-ignores-renewed-key", "dropped-write-answers-200"]


class Store:
    def __init__(self, grace, mutant):
        self.mutant = mutant
        self.lock = threading.Lock()
        self.sessions = {}
        self.tombstones = {}
        self.grace = grace

    def load(self, key):
        with self.lock:
            state = self.sessions.get(key)
            return None if state is None else dict(state)

    def tombstoned(self, key):
        with self.lock:
            stone = self.tombstones.get(key)
            return stone is not None and stone[1] > time.monotonic()

    def save(self, state):
        key = secrets.token_hex(16)
        with self.lock:
            self.sessions[key] = dict(state)
        return key

    def update(self, key, changes):
        with self.lock:
            state = self.sessions.get(key)
            if state is None:
                if self.mutant != "update-recreates-purged":
                    return False
                state = self.sessions[key] = {}
            for name, value in changes.items():
                if value is None:
                    state.pop(name, None)
                else:
                    state[name] = value
            return True

    def renew(self, key, changes, loaded, mutant):
        with self.lock:
            state = self.sessions.pop(key, None)
            if state is None:
                if mutant != "resurrect-on-renew":
                    return None
                state = dict(loaded)
            if mutant == "drop-merged-entry":
                state = dict(loaded)
            state.update(changes)
            new = secrets.token_hex(16)
            self.sessions[new] = state
            self.tombstones[key] = (new, time.monotonic() + self.grace)
            return new

    def purge(self, key):
        with self.lock:
            while key is not None:
                self.sessions.pop(key, None)
                successor = self.tombstones.get(key, (None, 0))[0]
                self.tombstones[key] = (successor, time.monotonic() + self.grace)
                key = successor if self.mutant != "purge-ignores-renews" else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *arguments):
        pass

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        delay = int(query.get("delay_ms", "0")) / 1000
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        cookie = None
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "id":
                cookie = value
        server = self.server
        store, mutant = server.store, server.mutant
        loaded = store.load(cookie) if cookie else None
        state = dict(loaded or {})
        set_cookie = None
        if mutant == "remove-fresh-login-cookie" and cookie and loaded is None:
            set_cookie = ""
        if method == "GET" and url.path == "/session":
            return self.answer(200, state, set_cookie)
        if method in ("PUT", "DELETE") and url.path.startswith("/session/"):
            name = url.path[len("/session/"):]
            time.sleep(delay)
            value = body if method == "PUT" else None
            if value is None:
                state.pop(name, None)
            else:
                state[name] = value
            if loaded is not None:
                if not store.update(cookie, {name: value}) and mutant != "dropped-write-answers-200":
                    return self.answer(409, "", set_cookie)
            elif state and cookie and store.tombstoned(cookie):
                if mutant != "dropped-write-answers-200":
                    return self.answer(409, "", set_cookie)
            elif state:
                set_cookie = store.save(state)
            return self.answer(200, state, set_cookie)
        if method == "POST" and url.path == "/login":
            time.sleep(delay)
            user = body["user_id"]
            if loaded is not None:
                set_cookie = store.renew(cookie, {"user_id": user}, loaded, mutant)
                if set_cookie is None and mutant != "dropped-write-answers-200":
                    return self.answer(409, "", None)
            else:
                set_cookie = store.save({"user_id": user})
            return self.answer(200, {"user_id": user, "counter": 0}, set_cookie)
        if method == "POST" and url.path == "/logout":
            time.sleep(delay)
            if cookie and (loaded is not None or mutant != "logout-ignores-renewed-key"):
                store.purge(cookie)
            text = f"Logged out: {state['user_id']}" if "user_id" in state else "Could not log out anonymous user"
            return self.answer(200, text, "" if cookie else set_cookie)
        self.answer(404, "not found", None)

    def answer(self, status, body, set_cookie):
        data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        if set_cookie == "":
            self.send_header("Set-Cookie", "id=; Max-Age=0; Path=/")
        elif set_cookie is not None:
            self.send_header("Set-Cookie", f"id={set_cookie}; Path=/; HttpOnly")
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass  # the client dropped the connection on purpose


class FakeDemo(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mutant=None, grace=60.0):
        super().__init__(("127.0.0.1", 0), Handler)
        self.store = Store(grace, mutant)
        self.mutant = mutant
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exception):
        self.shutdown()
        self.server_close()
