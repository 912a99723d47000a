"""Clients that drive the demo like browsers: each jar holds one session cookie, shared by the tabs (threads)
that use it; every request and its answer is recorded."""
import http.client, json, random, threading, time

from record import Op

COOKIE = "id"
KEYS = ["a", "b", "c"]
WEIGHTS = {"put": 30, "delete": 8, "read": 35, "login": 15, "logout": 12}


class Jar:
    """A browser's cookie jar: requests send what it holds; an answer's Set-Cookie replaces it when the answer
    arrives. It remembers the cookies it held, for requests that were slow to leave (a tab restored from
    memory, a retried fetch) and so carry one an answer has since replaced."""

    def __init__(self, number):
        self.number = number
        self.cookie = None
        self.retired = []
        self.lock = threading.Lock()

    def current(self, random_source, stale_rate):
        with self.lock:
            if self.retired and random_source.random() < stale_rate:
                return random_source.choice(self.retired[-20:])
            return self.cookie

    def take(self, set_cookie):
        """Applies an answer's Set-Cookie; called with the lock held."""
        if set_cookie is None:
            return
        if self.cookie is not None:
            self.retired.append(self.cookie)
        self.cookie = set_cookie or None


class Recorder:
    """Hands out op ids and keeps every op, in the order their answers arrived."""

    def __init__(self, clock):
        self.clock = clock
        self.lock = threading.Lock()
        self.next_id = 0
        self.ops = []
        self.values = 0

    def new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def unique_value(self):
        with self.lock:
            self.values += 1
            return f"v{self.values}"

    def keep(self, op):
        with self.lock:
            self.ops.append(op)


def parse_set_cookie(headers):
    """The session cookie's new value from the answer's Set-Cookie headers: "" for a removal, None for none."""
    found = None
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        pair = value.split(";", 1)[0]
        if not pair.startswith(COOKIE + "="):
            continue
        found = "" if "Max-Age=0" in value else pair[len(COOKIE) + 1:]
    return found


def request(port, op, method, path, body, timeout):
    """Makes the request for `op` and fills in its answer; a timeout or broken connection leaves status None, a
    refused connection (the demo is restarting) marks the request as never sent."""
    headers = {"Content-Type": "application/json"}
    if op.cookie:
        headers["Cookie"] = f"{COOKIE}={op.cookie}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError:
            op.sent = False
            return
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        op.status = response.status
        op.set_cookie = parse_set_cookie(response.getheaders())
        try:
            op.body = json.loads(data) if data else None
        except ValueError:
            op.body = data.decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        op.status = None
    finally:
        connection.close()


class Tab(threading.Thread):
    """One tab of a browser: runs random requests on its jar until the deadline."""

    def __init__(self, client, jar, port, recorder, seed, deadline, timeout=30.0, weights=None, abort_rate=0.03, stale_rate=0.05,
                 remember_rate=0.0):
        super().__init__(daemon=True)
        self.client, self.jar, self.port, self.recorder = client, jar, port, recorder
        self.random = random.Random(seed)
        self.deadline, self.timeout = deadline, timeout
        self.weights = weights or WEIGHTS
        self.abort_rate, self.stale_rate = abort_rate, stale_rate
        self.remember_rate = remember_rate

    def run(self):
        kinds = list(self.weights)
        weights = [self.weights[kind] for kind in kinds]
        while self.recorder.clock() < self.deadline:
            if not self.step(self.random.choices(kinds, weights)[0]):
                # The demo is restarting: pace the retries rather than spin (this wait is the client's, not a
                # synchronisation).
                time.sleep(0.1)

    def step(self, kind):
        """One request; False when the connection was refused."""
        key = value = None
        remember = False
        delay = self.random.choice([0, 0, 0, 50, 150, 400])
        if kind == "put":
            key, value = self.random.choice(KEYS), self.recorder.unique_value()
            method, path, body = "PUT", f"/session/{key}?delay_ms={delay}", json.dumps(value)
        elif kind == "delete":
            key, delay = self.random.choice(KEYS), 0
            method, path, body = "DELETE", f"/session/{key}", None
        elif kind == "read":
            delay = 0
            method, path, body = "GET", "/session", None
        elif kind == "login":
            value = self.recorder.unique_value()
            # Drawn only when asked for, so that other profiles keep their schedules for a given seed.
            remember = self.remember_rate > 0 and self.random.random() < self.remember_rate
            login = {"user_id": value, "remember_me": True} if remember else {"user_id": value}
            method, path, body = "POST", f"/login?delay_ms={delay}", json.dumps(login)
        else:
            method, path, body = "POST", f"/logout?delay_ms={delay}", None
        # A dropped connection: the client gives up halfway through the handler's wait.
        aborted = delay > 0 and self.random.random() < self.abort_rate
        op = Op(id=self.recorder.new_id(), client=self.client, jar=self.jar.number, kind=kind, key=key, value=value,
                cookie=self.jar.current(self.random, self.stale_rate), start=self.recorder.clock(), delay=delay / 1000,
                aborted=aborted, remember=remember)
        request(self.port, op, method, path, body, delay / 2000 if aborted else self.timeout)
        # The jar takes the answer's cookie as the answer arrives, as a browser does: the end is read, the op
        # kept and the cookie applied under the jar's lock, so the recorded order is the jar's.
        with self.jar.lock:
            op.end = self.recorder.clock()
            self.recorder.keep(op)
            self.jar.take(op.set_cookie)
        return op.sent
