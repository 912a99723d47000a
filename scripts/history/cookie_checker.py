"""The history checker for the cookie store, whose state lives in the cookie and nowhere else.

What the cookie store promises (README, "Choosing a store") is exact and local: an answer's cookie holds what the
request's own cookie held with the request's change applied, and nothing else; a read shows exactly what its
cookie holds, whatever happened to the server meanwhile (a restart loses nothing); a logout that carried a cookie
removes it; nothing drops a write (no server-side session can end under it, so no 409). The checks:

- lost-write / foreign-value: a read's entries, or a write's answer, differ from its cookie's with the write
  applied (an acknowledged write missing, or a value that cookie never held); a 2xx change (a write, a removal of
  an entry the cookie held) that set no cookie: its change lives nowhere; lost-login likewise;
- missing-removal: a 2xx logout that carried a cookie and sent no removal cookie;
- stale-cookie: a cookie removed by anything but a logout, a cookie set by a logout, or (browser cookies, which
  are not refreshed) a cookie set by a request that changed nothing;
- spurious-conflict, unexpected-refusal, error-outside-fault: as for the server-side stores.

What it documents it cannot do (no server remembers that a session ended) is counted, not reported: an answer that
replaced a cookie the jar had received after that request started (a concurrent tab's write lost to the last
cookie, or a logout undone by a slower request that loaded before it: `logouts undone by a slower answer`).
"""
from checker import ABSENT, LIFECYCLE, TRACKED, Checker, Violation, shown


class CookieStoreChecker(Checker):
    def __init__(self, ops, faults, **options):
        # A refresh is a new cookie value here (the state is sealed anew with its new expiry), so the base class
        # must not fold it away; whether answers may refresh at all is kept for the checks below.
        self.may_refresh = options.get("refreshes", False)
        super().__init__(ops, faults, **{**options, "refreshes": False})
        self.superseded = 0
        self.undone_logouts = 0
        self.any_remembered = any(op.kind == "login" and op.remember for op in ops)

    def check(self):
        states = {}
        # The jar's cookie as each answer left it, and when it took it: to count answers that replaced a newer one.
        jars = {}
        for op in self.ops:
            base = states.get(op.cookie, {}) if op.cookie else {}
            if op.refused:
                self.violations.append(Violation("unexpected-refusal", f"HTTP {op.status} to a well-formed request", [op]))
            if op.conflict:
                self.violations.append(Violation(
                    "spurious-conflict", "a 409 from the cookie store, which has no server-side session to end", [op]))
            if op.succeeded:
                self._check_answer(op, base, states)
            elif op.unknown and op.set_cookie:
                self._record(op, base, states)
            self._count_superseded(op, jars)
            self._check_error(op)
        self.violations.sort(key=lambda violation: violation.at)
        return self.violations

    @staticmethod
    def _applied(op, base):
        """The state an answer to `op` carries: its cookie's, with its change."""
        state = dict(base)
        if op.kind == "put":
            state[op.key] = op.value
        elif op.kind == "delete":
            state.pop(op.key, None)
        elif op.kind == "login":
            state["user_id"] = op.value
        return state

    def _record(self, op, base, states):
        if op.set_cookie and op.kind != "logout":
            states.setdefault(op.set_cookie, self._applied(op, base))

    def _check_answer(self, op, base, states):
        if op.kind == "read":
            self._check_entries(op, op.body, base, "a read")
        elif op.kind in ("put", "delete"):
            self._check_entries(op, op.body, self._applied(op, base), f"the answer to a {op.kind}")
        changed = op.kind in ("put", "login") or op.kind == "delete" and op.key in base
        if op.kind == "logout":
            if op.cookie and op.set_cookie != "":
                self.violations.append(Violation("missing-removal", "a 2xx logout carrying a cookie did not remove it", [op]))
            elif op.set_cookie:
                self.violations.append(Violation("stale-cookie", "a logout set a session cookie", [op]))
        elif op.set_cookie == "":
            self.violations.append(Violation("stale-cookie", f"a {op.kind} removed the cookie: only a logout does", [op]))
        elif changed and not op.set_cookie:
            self.violations.append(Violation(
                "lost-login" if op.kind == "login" else "lost-write", "a 2xx change set no cookie, the only place it can live", [op]))
        elif not changed and op.set_cookie and not self.may_refresh:
            self.violations.append(Violation(
                "stale-cookie", f"a {op.kind} that changed nothing set the cookie (browser cookies are set only by a change)", [op]))
        self._record(op, base, states)

    def _check_entries(self, op, body, held_state, what):
        entries = body if isinstance(body, dict) else {}
        # The state lives in the cookie alone, with no lineage to follow: a lifecycle is allowed once any login asked for one.
        foreign = [key for key in entries if key not in TRACKED and not (key == LIFECYCLE and self.any_remembered)]
        if foreign:
            self.violations.append(Violation("foreign-value", f"{what} showed entries no request writes: {foreign}", [op]))
        for key in TRACKED:
            value, held = entries.get(key, ABSENT), held_state.get(key, ABSENT)
            if value != held:
                # Missing or another value than the cookie's: a write lost; a value the cookie never held: foreign.
                kind = "foreign-value" if held is ABSENT else "lost-write"
                self.violations.append(Violation(
                    kind, f"{what} showed {key}={shown(value)} where its cookie holds {shown(held)}", self._witnesses(op, key, held)))

    def _witnesses(self, op, key, held):
        writer = self.writer.get(held) if held is not ABSENT else None
        return [writer, op] if writer is not None else [op]

    def _count_superseded(self, op, jars):
        """Counts an answer that replaced a cookie the jar took after this request started (last cookie wins)."""
        previous = jars.get(op.jar)
        if op.set_cookie is not None:
            if previous is not None and previous[1] > op.start and previous[0] != op.cookie:
                self.superseded += 1
                if previous[0] == "" and op.set_cookie:
                    self.undone_logouts += 1
            jars[op.jar] = (op.set_cookie, op.end)

    def documented_windows(self):
        return (f", {self.superseded} answers replaced a newer cookie (last cookie wins), "
                f"{self.undone_logouts} logouts undone by a slower answer")
