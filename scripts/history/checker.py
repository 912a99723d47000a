"""Replays a recorded history against a model of the promises and reports the violations.

Sessions, as clients see them: every cookie value an answer set names one session (a "node"). A node is
made by the request whose answer set its cookie: a write on no live session (a fresh session holding only
that write), or a login (a renew of the node whose cookie it carried, holding what that node held at the
renew plus the user; or a fresh session holding only the user when that node was already gone). A node
ends when a logout purges it, when a login renews it away, or when a logout purges a node it was renewed
from (a purge follows the renews its key's tombstones name, also when it carried a key that a login had
already renewed away before the logout loaded it). Every logout that carries a cookie purges, whether or
not it found a user.

Each entry of a node is a register. A read must return, for every entry, a value some write of that node
(or what the node started with) could have left there at some instant while the read ran: a write whose
effect could have begun before the read ended (after its handler's `delay_ms`), and that no write known
to have taken effect replaced before the read began. Requests whose outcome is unknown (a 5xx, no answer)
may or may not have happened, as late as the fault they met allows: they can explain a value, never
exclude one, so they raise no false alarm. The checks:

- lost-write: a read misses (or shows a stale value of) an entry that a 2xx write left and nothing could
  have removed or replaced since; a renewed session's new key lacks what the old one held at the renew;
  a 2xx write that had to start a session set no cookie;
- foreign-value: a read shows a value that no request of that session's lineage wrote;
- undone-logout: a read that began after a logout answered shows state of the session it ended, through
  any of its keys; old-key-after-renew: likewise through the key a login renewed away;
- stale-cookie: an answer to a request that did not log in or out sets or removes the session cookie
  while the browser may already hold a newer one (a read never sets one; a write sets one only to start
  a session when the one it carried ended longer ago than the tombstones last); a logout that carried a
  cookie keeps it (missing-removal);
- lost-login: a 2xx login set no cookie although nothing ended its session while it ran;
- unexpected-refusal: a 4xx other than 409 to one of the clients' requests, which are all well formed;
- spurious-conflict: a 409 (changes dropped) to a request whose session nothing could have ended or renewed
  away while it ran;
- dropped-write-acknowledged: a 2xx write that set no cookie on a session that had certainly ended before
  it could take effect (its changes were dropped: it must answer 409, or start a session with a cookie);
- error-outside-fault: a 5xx (or no answer) while no fault was active, nor had just ended.
"""
import collections, dataclasses

ABSENT = object()
USER = "user_id"
TRACKED = ["a", "b", "c", USER]
# The entry a login that asked to be remembered writes (HTTPSession.setLifecycle), which no client writes itself.
LIFECYCLE = "_lifecycle"
# How many renews a purge follows (the stores' `maximumRenewalsFollowed`).
RENEWALS_FOLLOWED = 8


def shown(value):
    return "absent" if value is ABSENT else repr(value)


@dataclasses.dataclass
class Violation:
    kind: str
    message: str
    ops: list

    @property
    def at(self):
        return max(op.end for op in self.ops)

    def report(self):
        lines = [f"{self.kind}: {self.message}"]
        seen = set()
        for op in sorted(self.ops, key=lambda op: op.start):
            if op.id not in seen:
                seen.add(op.id)
                lines.append("    " + op.describe())
        return "\n".join(lines)


class Restart:
    """The demo restarted on the memory store, which keeps its sessions in the process: every session that
    existed, and every tombstone, is gone. It ends nodes like a request would, and leaves no tombstone."""
    kind = "restart"
    id = 0
    succeeded = True
    unknown = False
    delay = 0.0

    def __init__(self, fault):
        self.start = self.effect_start = fault.start
        self.end = self.effect_end = fault.end

    def describe(self):
        return f"demo restart [{self.start:.3f}, {self.end:.3f}]: the memory store lost every session"


@dataclasses.dataclass
class End:
    """A request that ended a node, or may have: `certain` when its answer proves it did, from `after` on."""
    op: object
    certain: bool
    after: float = 0.0

    def __post_init__(self):
        self.after = max(self.after, self.op.end)


class Node:
    """A session as the clients saw it: the cookie value an answer set, and what made it."""

    def __init__(self, cookie, creator, parent):
        self.cookie = cookie
        self.creator = creator
        self.parent = parent
        self.ops = []
        self.initial = {}
        self.ends = None


class Checker:
    """`grace` is how long the demo's tombstones last (the longer of its stale-cookie grace and longest request);
    `recovery` how long after a fault ends requests may still fail (store timeouts, reconnect back-off), per
    fault kind, `default_recovery` for a kind it does not name; `slack` how long after its answer (or after
    the fault that delayed it) a request of unknown outcome may still take effect. With `refreshes` (persistent
    cookies under on-every-request extension) an answer may send again the cookie its request carried: such a
    refresh is no new cookie, and one that lands after a login renewed that key away is counted
    (`refreshes_after_renew`), not reported: it logs the browser out by contract, and no server can tell."""

    def __init__(self, ops, faults, grace=60.0, recovery=None, slack=2.0, abort_slack=10.0, store=None, refreshes=False,
                 default_recovery=12.0):
        # A request whose connection was refused never reached the demo.
        self.ops = sorted((op for op in ops if op.sent), key=lambda op: (op.end, op.id))
        self.faults = faults
        self.grace = grace
        self.recovery = dict(recovery or {})
        self.default_recovery = default_recovery
        # Unknown outcomes each fault kind excused, and refreshes of a renewed-away key.
        self.excused = collections.Counter()
        self.refreshes_after_renew = 0
        if refreshes:
            # "remembered": only the cookie of a session a remembered login made is persistent, and sent again.
            remembered = {op.set_cookie for op in self.ops if op.kind == "login" and op.remember and op.set_cookie}
            for op in self.ops:
                op.refreshed = bool(op.set_cookie) and op.set_cookie == op.cookie and (refreshes != "remembered" or op.cookie in remembered)
                if op.refreshed:
                    op.set_cookie = None
        self.slack = slack
        self.abort_slack = abort_slack
        self.store = store
        self.restarts = [Restart(fault) for fault in faults if fault.kind == "demo-restart"] if store == "memory" else []
        self.nodes = {}
        self.violations = []
        self.writer = {op.value: op for op in self.ops if op.value is not None}
        for op in self.ops:
            self._effect_window(op)
        self._build()

    def _effect_window(self, op):
        """When the request's change can have happened: not before its handler's wait, and for an unknown
        outcome as late as a fault it met held its store call back."""
        op.effect_start = op.start + op.delay
        if not op.unknown:
            op.effect_end = op.end
            return
        # A handler the client gave up on runs on; on a loaded machine it may take a while.
        horizon = max(op.end, op.effect_start) + (self.abort_slack if op.aborted else self.slack)
        for fault in self.faults:
            if fault.start <= horizon and op.start <= fault.end:
                horizon = max(horizon, fault.end + self.slack)
        op.effect_end = horizon

    # MARK: The sessions clients saw

    def _build(self):
        for op in self.ops:
            node = self.nodes.get(op.cookie) if op.cookie else None
            op.node = node
            if node is not None:
                node.ops.append(op)
            if op.set_cookie and op.set_cookie not in self.nodes:
                self.nodes[op.set_cookie] = Node(op.set_cookie, op, node if op.kind == "login" else None)
        # Parents were made before their children: each node's starting state from its parent's, in order.
        for node in self.nodes.values():
            node.initial = {key: self._starting_values(node, key) for key in TRACKED}

    @staticmethod
    def _reached(op):
        """Whether the request may have changed anything: answered 2xx, or its outcome is unknown."""
        return op.succeeded or op.unknown

    @staticmethod
    def _purged(op):
        """Whether a logout purged (it answered 2xx carrying a cookie, whether or not it found a user) or may
        have (its outcome is unknown)."""
        if op.kind != "logout" or not op.cookie:
            return False
        return op.unknown or op.succeeded

    @staticmethod
    def _found_user(op):
        """Whether a logout found a user in the session it loaded: proof that the session was live then."""
        return op.kind == "logout" and op.succeeded and isinstance(op.body, str) and op.body.startswith("Logged out")

    def _ends(self, node):
        if node.ends is not None:
            return node.ends
        ends = []
        for op in node.ops:
            if self._purged(op):
                ends.append(End(op, op.succeeded))
            elif op.kind == "login" and self._reached(op):
                # A 2xx login renewed the node away, or found it already gone; either way it is over (every store
                # renews in one step).
                ends.append(End(op, op.succeeded))
        for restart in self.restarts:
            # A session made before the demo went down is gone; one whose maker answered during the restart may be.
            if node.creator.start < restart.start:
                ends.append(End(restart, node.creator.end <= restart.start))
        # A purge through an ancestor's key follows the tombstones down to this node when it came after every
        # renew on the way, while the tombstones last, whether it loaded that key live or after it was renewed
        # away. A purge that came before a renew would have left that renew nothing to move (no node); but a
        # login may have found its session ended already and started a fresh one, which the purge never
        # reaches: certain only when nothing could have ended an ancestor before its login loaded it.
        # A purge follows at most RENEWALS_FOLLOWED renews, as the stores do. And a login is known to have
        # renewed (not started afresh) only when nothing else could have ended its session before it loaded.
        renews = []
        unsure = False
        ancestor, child = node.parent, node
        while ancestor is not None and len(renews) < RENEWALS_FOLLOWED:
            first = child.creator
            renews.append(first)
            loaded_by = first.end - first.delay
            # Whatever may have ended the ancestor, a purge through one of its own ancestors included.
            unsure = unsure or any(e.op is not first and e.op.effect_start < loaded_by for e in self._ends(ancestor))
            for op in ancestor.ops:
                if not self._purged(op):
                    continue
                if any(renew.effect_start >= op.effect_end for renew in renews):
                    continue
                # It may have run as early as its effect could start: only past the tombstones then is it out.
                if op.effect_start - first.end >= self.grace + 10:
                    continue
                late = op.effect_end - first.end
                certain = op.succeeded and not unsure and late < self.grace - 10
                ends.append(End(op, certain))
            ancestor, child = ancestor.parent, ancestor
        # An end that may or may not have happened did not, if the node was seen live after it could have: a read
        # showed its state, or a logout through it found a user to log out (an ended session never comes back).
        proofs = [op.start for op in node.ops if op.succeeded and (
            (op.kind == "read" and isinstance(op.body, dict) and any(key in op.body for key in TRACKED))
            or self._found_user(op))]
        if proofs:
            latest = max(proofs)
            ends = [e for e in ends if e.certain or e.op.effect_end >= latest]
        node.ends = ends
        return ends

    # MARK: What a read may return

    def _writes(self, node, key, before):
        return [op for op in node.ops
                if op.kind in ("put", "delete") and op.key == key and self._reached(op) and not op.set_cookie
                and op.effect_start < before]

    def _candidates(self, node, key, start, end, exclude=None):
        """The values `key` of `node` may hold at some instant of [start, end], each with the request that left
        it there (None for "absent because the session ended")."""
        writes = self._writes(node, key, end)
        ends = [e for e in self._ends(node) if e.op is not exclude]
        # A write took effect for sure if it answered 2xx and nothing could have ended the node before it committed.
        certain = [w for w in writes if w.succeeded and not any(e.op.effect_start < w.end for e in ends)]
        candidates = []
        for write in writes:
            if not any(o is not write and write.effect_end < o.effect_start and o.end < start for o in certain):
                candidates.append((write.value if write.kind == "put" else ABSENT, write))
        if not any(o.end < start for o in certain):
            candidates += node.initial[key]
        ending = [e for e in ends if e.op.effect_start < end]
        if ending:
            candidates.append((ABSENT, ending[0].op))
        return candidates

    def _starting_values(self, node, key):
        creator = node.creator
        if creator.kind != "login":
            # A write that started a session: it holds that write alone.
            return [(creator.value if creator.key == key and creator.kind == "put" else ABSENT, creator)]
        if key == USER:
            return [(creator.value, creator)]
        if node.parent is None:
            return [(ABSENT, creator)]
        parent_ends = [e for e in self._ends(node.parent) if e.op is not creator]
        if any(e.certain and e.op.end < creator.effect_start for e in parent_ends):
            # The old node was over before the renew could run: a renew would have found it gone and set no
            # cookie, so this is a fresh session the login started.
            return [(ABSENT, creator)]
        # The renew happened after the login's wait and before its answer: whatever the old node held then.
        inherited = self._candidates(node.parent, key, creator.effect_start, creator.end, exclude=creator)
        if any(e.op.effect_start < creator.end for e in parent_ends):
            # The login may have found its session already gone and started a fresh one.
            inherited.append((ABSENT, creator))
        unique = {}
        for value, op in inherited:
            unique.setdefault((id(value) if value is ABSENT else repr(value)), (value, op))
        return list(unique.values())

    # MARK: The checks

    def check(self):
        for op in self.ops:
            if getattr(op, "refreshed", False) and op.node is not None and any(
                    e.op.kind == "login" and e.certain and e.after < op.end for e in self._ends(op.node)):
                self.refreshes_after_renew += 1
            if op.refused:
                # Every request the clients send is well formed: a 4xx is the demo refusing one it should serve.
                self.violations.append(Violation("unexpected-refusal", f"HTTP {op.status} to a well-formed request", [op]))
            if op.conflict:
                self._check_conflict(op)
            if op.kind == "read" and op.succeeded:
                self._check_read(op)
            self._check_cookie(op)
            self._check_error(op)
        self.violations.sort(key=lambda violation: violation.at)
        return self.violations

    @staticmethod
    def _remembered(node):
        """Whether the login that made `node` asked to be remembered (an unknown node may have been made so):
        only then may it hold the lifecycle entry. Every demo login sets or forgets it, and moves the key."""
        if node is None:
            return True
        return node.creator.kind == "login" and getattr(node.creator, "remember", False)

    def _check_read(self, read):
        entries = read.body if isinstance(read.body, dict) else {}
        foreign = [key for key in entries if key not in TRACKED and not (key == LIFECYCLE and self._remembered(read.node))]
        if foreign:
            self.violations.append(Violation("foreign-value", f"a read showed entries no request writes: {foreign}", [read]))
        node = read.node
        if node is None:
            if any(key in entries for key in TRACKED):
                self.violations.append(Violation("foreign-value", "a request with no cookie read a session's state", [read]))
            return
        ended = [e for e in self._ends(node) if e.certain and e.after < read.start]
        for key in TRACKED:
            value = entries.get(key, ABSENT)
            if ended and value is not ABSENT:
                first = min(ended, key=lambda e: e.after).op
                kind = {"logout": "undone-logout", "restart": "undone-restart"}.get(first.kind, "old-key-after-renew")
                when = {"logout": "a logout ended it", "restart": "a restart of the memory store lost it"}.get(
                    first.kind, "a login renewed it away")
                involved = [read, first] + ([self.writer[value]] if value in self.writer else [])
                self.violations.append(Violation(kind, f"entry {key} read as {shown(value)} after {when}", involved))
                continue
            candidates = self._candidates(node, key, read.start, read.end)
            if any(value is allowed or value == allowed for allowed, _ in candidates):
                continue
            writer = self.writer.get(value) if value is not ABSENT else None
            if value is not ABSENT and writer is None:
                kind, message = "foreign-value", f"entry {key} read as {value!r}, which no request wrote"
            elif value is not ABSENT and not self._in_lineage(writer, node):
                kind, message = "foreign-value", f"entry {key} read as {value!r}, written under another session"
            elif value is not ABSENT and self._logged_out_on_the_way(writer, node, read.start):
                # Written on a session that a logout ended before this read began: whatever carried it here (a
                # renew that moved a purged session) undid the logout.
                kind, message = "undone-logout", f"entry {key} read as {value!r}, carried from a session logged out before the read"
            else:
                allowed = sorted({shown(v) for v, _ in candidates})
                kind, message = "lost-write", f"entry {key} read as {shown(value)}; it could only be one of {allowed}"
            involved = [read] + [op for _, op in candidates if op is not None][:6]
            if writer is not None:
                involved.append(writer)
            self.violations.append(Violation(kind, message, involved))

    def _logged_out_on_the_way(self, writer, node, instant):
        """Whether the value `writer` wrote reached `node` through a session a logout ended before `instant`."""
        home = self.nodes.get(writer.set_cookie) if writer.set_cookie else writer.node
        logged_out = False
        while node is not None:
            logged_out = logged_out or any(
                op.kind == "logout" and op.succeeded and self._purged(op) and op.end < instant for op in node.ops)
            if node is home:
                return logged_out
            node = node.parent
        return False

    def _in_lineage(self, writer, node):
        while node is not None:
            if writer.node is node or writer is node.creator:
                return True
            node = node.parent
        return False

    def _check_cookie(self, op):
        if op.kind == "logout":
            if op.set_cookie is None and op.succeeded and self._purged(op):
                self.violations.append(Violation("missing-removal", "a logout that carried a cookie kept it", [op]))
            elif op.set_cookie and op.succeeded:
                self.violations.append(Violation("stale-cookie", "a logout set a session cookie", [op]))
            return
        if op.kind == "login":
            if op.set_cookie == "":
                self.violations.append(Violation("stale-cookie", "a login removed the session cookie", [op]))
            elif op.succeeded and op.set_cookie is None:
                # Only a renew that found its session gone sets no cookie: something ended it while the login ran
                # (a session that was already gone when the login loaded gets a fresh one).
                ends = [e for e in self._ends(op.node) if e.op is not op and e.op.effect_start < op.end and e.op.effect_end > op.start] if op.node else []
                if not ends:
                    self.violations.append(Violation("lost-login", "a 2xx login set no cookie although nothing ended its session while it ran", [op]))
            return
        if op.set_cookie is None:
            if op.kind == "put" and op.succeeded:
                self._check_write_without_cookie(op)
            return
        if op.kind == "read" or op.set_cookie == "":
            what = "set" if op.set_cookie else "removed"
            self.violations.append(Violation("stale-cookie", f"a {op.kind} {what} the session cookie", [op]))
            return
        node = op.node
        if node is None:
            return
        ends = [e for e in self._ends(node) if e.op.effect_start < op.end]
        if not ends:
            self.violations.append(Violation("stale-cookie", f"a {op.kind} replaced the cookie of a live session", [op]))
        elif any(e.op.kind == "restart" for e in ends):
            return  # a restart of the memory store left no tombstone: a write may start a session at once
        elif all(e.certain for e in ends):
            # Whichever of them ended the session left a tombstone, no earlier than the earliest began.
            if op.end < min(e.op.start for e in ends) + self.grace - 5:
                self.violations.append(Violation(
                    "stale-cookie", f"a {op.kind} replaced the cookie of a session that ended moments before", [op, *(e.op for e in ends)]))

    def _check_conflict(self, op):
        """A 409 says the request's changes were dropped because its session ended or moved while it ran (or
        moments before: the key's tombstone still there). Something must have ended the session it carried."""
        if op.kind not in ("put", "delete", "login"):
            self.violations.append(Violation("spurious-conflict", f"a {op.kind} answered 409", [op]))
            return
        ends = [e for e in self._ends(op.node) if e.op is not op and e.op.effect_start < op.end] if op.node else []
        if not ends:
            self.violations.append(Violation(
                "spurious-conflict", f"a {op.kind} answered 409 although nothing ended its session while it ran", [op]))

    def _check_write_without_cookie(self, op):
        """A 2xx write that had to start a session (no cookie, or one whose session ended longer ago than its
        tombstone lasts) must have set a cookie; one whose session had certainly ended before it ran was dropped,
        and must have said so (409)."""
        if op.node is not None:
            before = [e for e in self._ends(op.node) if e.certain and e.op is not op and e.after < op.effect_start]
            if before:
                # Within the tombstones' life the write must have been dropped (409); after it, or after a restart
                # of the memory store (no tombstone), it must have started a session (a cookie).
                tombstoned = [e for e in before if e.op.kind != "restart" and op.start < e.op.effect_end + self.grace + 10]
                if tombstoned:
                    self.violations.append(Violation(
                        "dropped-write-acknowledged", "a 2xx write on a session that had ended moments before it ran set no cookie",
                        [op, tombstoned[0].op]))
                else:
                    self.violations.append(Violation("lost-write", "a 2xx write that had to start a session set no cookie",
                                                     [op, before[0].op]))
                return
            ends = [e for e in self._ends(op.node) if e.op.effect_start < op.end]
            if not ends or not all(e.certain for e in ends) or op.start < max(e.op.effect_end for e in ends) + self.grace + 10:
                return
        self.violations.append(Violation("lost-write", "a 2xx write that had to start a session set no cookie", [op]))

    def _check_error(self, op):
        if not op.unknown or op.aborted:
            return
        for fault in self.faults:
            if op.end >= fault.start and op.start <= fault.end + self.recovery.get(fault.kind, self.default_recovery):
                self.excused[fault.kind] += 1
                return
        outcome = "no answer" if op.status is None else f"HTTP {op.status}"
        self.violations.append(Violation("error-outside-fault", f"{outcome} while no fault was active", [op]))
