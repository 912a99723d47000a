"""One request and its answer, as the history checker records it."""
import dataclasses, json


@dataclasses.dataclass
class Op:
    """A request a client made and what came back.

    `kind` is one of put, delete, read, login, logout. Times are seconds on one monotonic clock. `status` is
    the HTTP status, or None when no answer came (a timeout or a broken connection: the outcome is unknown).
    `set_cookie` is the session cookie's new value, "" for a removal cookie, None when the answer set none.
    `delay` is the handler's wait in seconds (`delay_ms`): a write or renew takes effect only after it.
    `aborted` marks a request the client gave up on on purpose (a dropped connection), not a failure of the server;
    `sent` is False for a request whose connection was refused (the demo was down): it never reached the server.
    `remember` marks a login that asked to be remembered (a persistent cookie for that session alone).
    """
    id: int
    client: int
    jar: int
    kind: str
    key: str | None
    value: str | None
    cookie: str | None
    start: float
    end: float = 0.0
    status: int | None = None
    set_cookie: str | None = None
    body: object = None
    delay: float = 0.0
    aborted: bool = False
    sent: bool = True
    remember: bool = False

    @property
    def succeeded(self):
        return self.status is not None and 200 <= self.status < 300

    @property
    def unknown(self):
        """Whether the outcome is unknown: it may or may not have happened (no answer, or a 5xx)."""
        return self.status is None or self.status >= 500

    @property
    def conflict(self):
        """A 409: the request's session changes were dropped (its session ended or was renewed away while it
        ran): it changed nothing."""
        return self.status == 409

    @property
    def refused(self):
        """A 4xx other than 409: the request was refused and changed nothing."""
        return self.status is not None and 400 <= self.status < 500 and self.status != 409

    def describe(self):
        outcome = ("refused" if not self.sent else "no answer") if self.status is None else str(self.status)
        cookie = f" cookie {self.cookie[:10]}…" if self.cookie else " no cookie"
        target = f" {self.key}={self.value}" if self.kind == "put" else (f" {self.key}" if self.key else "")
        set_cookie = "" if self.set_cookie is None else (" → removal cookie" if self.set_cookie == "" else f" → cookie {self.set_cookie[:10]}…")
        body = "" if self.body is None else f" {json.dumps(self.body)[:120]}"
        return f"#{self.id} client {self.client} (jar {self.jar}) {self.kind}{target}{cookie} [{self.start:.3f}, {self.end:.3f}] {outcome}{set_cookie}{body}"


@dataclasses.dataclass
class Fault:
    """A fault the schedule injected, and when it held: requests in it may fail."""
    kind: str
    start: float
    end: float


def save(path, ops, faults, meta):
    with open(path, "w") as file:
        json.dump({"meta": meta, "ops": [dataclasses.asdict(op) for op in ops], "faults": [dataclasses.asdict(f) for f in faults]}, file)


def load(path):
    with open(path) as file:
        data = json.load(file)
    return [Op(**op) for op in data["ops"]], [Fault(**fault) for fault in data["faults"]], data["meta"]
