"""The history checker's own tests: hand-written histories, one per promise kept and broken, and runs against
a fake demo that must come out clean while each of its mutants is caught.

    python3 -m unittest discover -s scripts/history -p 'test_*.py'
"""
import itertools, os, sys, threading, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checker import Checker
from cookie_checker import CookieStoreChecker
from client import Jar, Recorder, Tab
from fake_demo import FakeDemo
from record import Fault, Op

_ids = itertools.count(1)


def op(kind, start, end, status=200, cookie=None, set_cookie=None, key=None, value=None, body=None, delay=0.0, aborted=False):
    return Op(id=next(_ids), client=0, jar=0, kind=kind, key=key, value=value, cookie=cookie, start=start, end=end,
              status=status, set_cookie=set_cookie, body=body, delay=delay, aborted=aborted)


def put(start, end, key, value, cookie=None, set_cookie=None, **extra):
    extra.setdefault("body", "" if extra.get("status", 200) == 409 else {key: value})
    return op("put", start, end, cookie=cookie, set_cookie=set_cookie, key=key, value=value, **extra)


def read(start, end, cookie, body, **extra):
    return op("read", start, end, cookie=cookie, body=body, **extra)


def login(start, end, user, cookie=None, set_cookie=None, **extra):
    return op("login", start, end, cookie=cookie, set_cookie=set_cookie, value=user, body={"user_id": user, "counter": 0}, **extra)


def logout(start, end, cookie, found_user=True, **extra):
    body = "Logged out: u" if found_user else "Could not log out anonymous user"
    extra.setdefault("set_cookie", "" if cookie else None)
    return op("logout", start, end, cookie=cookie, body=body, **extra)


def kinds(ops, faults=(), store=None):
    return sorted({violation.kind for violation in Checker(ops, list(faults), store=store).check()})


class HandWrittenHistories(unittest.TestCase):
    def test_a_write_then_a_read_is_clean(self):
        self.assertEqual(kinds([put(0, 1, "a", "v1", set_cookie="C1"), read(2, 3, "C1", {"a": "v1"})]), [])

    def test_only_a_remembered_login_explains_a_lifecycle(self):
        remembered = login(0, 1, "u1", set_cookie="C1")
        remembered.remember = True
        lifecycle = {"user_id": "u1", "_lifecycle": {"persistent": True, "ttl_ms": 1000}}
        self.assertEqual(kinds([remembered, read(2, 3, "C1", lifecycle)]), [])
        renewed = login(4, 5, "u2", cookie="C1", set_cookie="C2")
        self.assertEqual(kinds([remembered, renewed, read(6, 7, "C2", dict(lifecycle, user_id="u2"))]), ["foreign-value"],
                         "a login without remember me forgets it")
        self.assertEqual(kinds([login(0, 1, "u1", set_cookie="C1"), read(2, 3, "C1", lifecycle)]), ["foreign-value"])

    def test_a_read_that_misses_an_acknowledged_write_is_a_lost_write(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "a", "v2", cookie="C1"), read(4, 5, "C1", {"a": "v1"})]
        self.assertEqual(kinds(history), ["lost-write"])

    def test_a_read_overlapping_a_write_may_show_either_value(self):
        for shown in ("v1", "v2"):
            history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 4, "a", "v2", cookie="C1"), read(3, 5, "C1", {"a": shown})]
            self.assertEqual(kinds(history), [], shown)

    def test_a_write_of_unknown_outcome_explains_a_value_and_excludes_none(self):
        fault = Fault("redis-sleep", 1.5, 8)
        for shown in ({"a": "v1"}, {"a": "v2"}):
            history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 7, "a", "v2", cookie="C1", status=500), read(12, 13, "C1", shown)]
            self.assertEqual(kinds(history, [fault]), [], shown)

    def test_a_value_no_request_wrote_is_foreign(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(0, 1, "b", "v2", set_cookie="C2"), read(2, 3, "C1", {"a": "v1", "b": "v2"})]
        self.assertEqual(kinds(history), ["foreign-value"])
        self.assertEqual(kinds([read(0, 1, None, {"a": "v9"})]), ["foreign-value"])

    def test_state_read_after_a_logout_is_an_undone_logout(self):
        history = [login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1"), read(4, 5, "C1", {"user_id": "u1"})]
        self.assertEqual(kinds(history), ["undone-logout"])
        self.assertEqual(kinds(history[:2] + [read(4, 5, "C1", {})]), [])

    def test_a_logout_through_the_old_key_ends_the_session_a_concurrent_login_renewed_it_to(self):
        # The logout loaded the session during the login's wait (after the login's load, before its renew), and
        # purged after the renew: it follows the tombstone.
        history = [
            put(0, 1, "a", "v1", set_cookie="C1"),
            login(2, 4, "u1", cookie="C1", set_cookie="C2", delay=1.0),
            logout(3.2, 4.5, "C1"),
        ]
        self.assertEqual(kinds(history + [read(5, 6, "C2", {"a": "v1", "user_id": "u1"})]), ["undone-logout"])
        self.assertEqual(kinds(history + [read(5, 6, "C2", {})]), [])
        # A logout that may have purged before the login loaded: the login may have started a fresh session.
        history[2] = logout(2, 4.5, "C1")
        self.assertEqual(kinds(history + [read(5, 6, "C2", {"user_id": "u1"})]), [])

    def test_a_login_that_renews_a_session_logged_out_during_its_wait_starts_fresh(self):
        # The logout answered before the login's wait was over: the renew must find the session gone.
        history = [
            put(0, 1, "a", "v1", set_cookie="C1"),
            login(1.2, 1.5, "u0", cookie="C1", set_cookie="C2"),
            login(2, 4, "u1", cookie="C2", set_cookie="C3", delay=1.5),
            logout(2.1, 2.2, "C2"),
        ]
        self.assertEqual(kinds(history + [read(5, 6, "C3", {"a": "v1", "user_id": "u1"})]), ["undone-logout"])
        self.assertEqual(kinds(history + [read(5, 6, "C3", {"user_id": "u1"})]), [])

    def test_the_key_a_login_renewed_away_reads_empty(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), login(2, 3, "u1", cookie="C1", set_cookie="C2")]
        self.assertEqual(kinds(history + [read(4, 5, "C1", {"a": "v1"})]), ["old-key-after-renew"])
        self.assertEqual(kinds(history + [read(4, 5, "C1", {}), read(4, 5, "C2", {"a": "v1", "user_id": "u1"})]), [])

    def test_a_renewed_session_carries_what_the_old_one_held(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), login(2, 3, "u1", cookie="C1", set_cookie="C2")]
        self.assertEqual(kinds(history + [read(4, 5, "C2", {"user_id": "u1"})]), ["lost-write"])

    def test_a_write_that_landed_during_a_logins_wait_is_merged(self):
        # The renew comes after the login's one-second wait: a write acknowledged before that is in the new session.
        base = [put(0, 1, "a", "v1", set_cookie="C1"), login(2, 4, "u1", cookie="C1", set_cookie="C2", delay=1.0)]
        early = put(2.1, 2.5, "a", "v2", cookie="C1")
        self.assertEqual(kinds(base + [early, read(5, 6, "C2", {"a": "v1", "user_id": "u1"})]), ["lost-write"])
        self.assertEqual(kinds(base + [early, read(5, 6, "C2", {"a": "v2", "user_id": "u1"})]), [])
        # One that answered after the wait may have come after the renew, and been dropped.
        late = put(2.1, 3.5, "a", "v2", cookie="C1")
        self.assertEqual(kinds(base + [late, read(5, 6, "C2", {"a": "v1", "user_id": "u1"})]), [])

    def test_a_login_on_a_session_logged_out_meanwhile_may_start_fresh(self):
        history = [
            put(0, 1, "a", "v1", set_cookie="C1"),
            login(1.5, 1.8, "u0", cookie="C1", set_cookie="C2"),
            logout(2, 3, "C2"),
            login(2.5, 4, "u1", cookie="C2", set_cookie="C3"),
        ]
        self.assertEqual(kinds(history + [read(5, 6, "C3", {"user_id": "u1"})]), [])

    def test_a_read_never_sets_the_cookie_and_a_write_never_removes_it(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), read(2, 3, "C1", {"a": "v1"})]
        history[1].set_cookie = "C9"
        self.assertEqual(kinds(history), ["stale-cookie"])
        self.assertEqual(kinds([put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "b", "v2", cookie="C1", set_cookie="")]), ["stale-cookie"])

    def test_a_write_with_the_cookie_of_a_session_that_just_ended_starts_none(self):
        history = [login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1")]
        self.assertEqual(kinds(history + [put(4, 5, "a", "v1", cookie="C1", set_cookie="C2")]), ["stale-cookie"])
        self.assertEqual(kinds(history + [put(4, 5, "a", "v1", cookie="C1", status=409)]), [])
        self.assertEqual(kinds(history + [put(4, 5, "a", "v1", cookie="C1")]), ["dropped-write-acknowledged"])
        # Once the tombstone is gone, the write must start a session.
        self.assertEqual(kinds(history + [put(200, 201, "a", "v1", cookie="C1", set_cookie="C2")]), [])
        self.assertEqual(kinds(history + [put(200, 201, "a", "v1", cookie="C1")]), ["lost-write"])

    def test_a_write_on_a_live_session_replaces_no_cookie(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "b", "v2", cookie="C1", set_cookie="C2")]
        self.assertEqual(kinds(history), ["stale-cookie"])

    def test_a_logout_removes_the_cookie_whenever_it_carries_one(self):
        self.assertEqual(kinds([login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1", found_user=False)]), [])
        self.assertEqual(kinds([login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1", set_cookie=None)]), ["missing-removal"])
        self.assertEqual(kinds([login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1", found_user=False, set_cookie=None)]), ["missing-removal"])
        self.assertEqual(kinds([logout(2, 3, None, found_user=False)]), [])

    def test_a_logout_carrying_a_key_a_login_renewed_before_it_loaded_ends_the_renewed_session(self):
        history = [
            login(0, 1, "u0", set_cookie="C1"),
            login(2, 2.1, "u1", cookie="C1", set_cookie="C2"),
            logout(2.2, 2.3, "C1", found_user=False),
        ]
        self.assertEqual(kinds(history + [read(3, 4, "C2", {"user_id": "u1"})]), ["undone-logout"])
        self.assertEqual(kinds(history + [read(3, 4, "C2", {})]), [])
        # Once the renew's tombstone ran out, the logout reaches nothing.
        late = history[:2] + [logout(80, 81, "C1", found_user=False)]
        self.assertEqual(kinds(late + [read(90, 91, "C2", {"user_id": "u1"})]), [])

    def test_a_login_sets_a_cookie_unless_its_session_ended_meanwhile(self):
        self.assertEqual(kinds([login(0, 1, "u1")]), ["lost-login"])
        history = [put(0, 1, "a", "v1", set_cookie="C1"), login(2, 3, "u1", cookie="C1", set_cookie="C2"), login(2.5, 4, "u2", cookie="C1")]
        self.assertEqual(kinds(history), [])

    def test_a_login_or_logout_of_unknown_outcome_is_ruled_out_once_the_session_is_seen_live(self):
        fault = Fault("redis-sleep", 1.5, 2.5)
        base = [put(0, 1, "a", "v1", set_cookie="C1"), login(2, 2.2, "u1", cookie="C1", status=500)]
        # The login may have renewed the session away, and the write found it gone: an empty read is fine.
        self.assertEqual(kinds(base + [put(30, 31, "a", "v2", cookie="C1"), read(40, 41, "C1", {})], [fault]), [])
        # A read that shows state after the login could have landed proves it did not (an ended session never
        # comes back), so the write landed: v2 must show.
        self.assertEqual(kinds(base + [put(30, 31, "a", "v2", cookie="C1"), read(40, 41, "C1", {"a": "v1"})], [fault]), ["lost-write"])
        seen = read(20, 21, "C1", {"a": "v1"})
        self.assertEqual(kinds(base + [seen, put(30, 31, "a", "v2", cookie="C1"), read(40, 41, "C1", {"a": "v2"})], [fault]), [])

    def test_a_login_that_found_no_live_session_to_move_is_over_at_once(self):
        # Every store renews in one step (SQLite too, since its schema 3): a second login that answered "gone"
        # came after the first one's move, so the old key reads empty from then on.
        history = [
            put(0, 1, "a", "v1", set_cookie="C1"),
            login(2.0, 2.5, "u1", cookie="C1", set_cookie="C2"),
            login(2.01, 2.02, "u2", cookie="C1"),
            read(2.03, 2.04, "C1", {"a": "v1"}),
        ]
        for store in ("sqlite", "redis", None):
            self.assertEqual(kinds(history, store=store), ["old-key-after-renew"])

    def test_a_login_long_after_its_session_ended_must_set_a_cookie(self):
        history = [login(0, 1, "u0", set_cookie="C1"), login(2, 3, "u1", cookie="C1", set_cookie="C2")]
        self.assertEqual(kinds(history + [login(10, 11, "u2", cookie="C1")]), ["lost-login"])
        self.assertEqual(kinds(history + [login(10, 11, "u2", cookie="C1", set_cookie="C3")]), [])
        self.assertEqual(kinds(history + [login(10, 11, "u2", cookie="C1", set_cookie="")]), ["stale-cookie"])

    def test_a_slow_logout_follows_a_renew_made_during_its_wait(self):
        history = [
            login(0, 1, "u0", set_cookie="C1"),
            logout(2, 2.6, "C1", delay=0.5),
            login(2.1, 2.2, "u1", cookie="C1", set_cookie="C2"),
        ]
        self.assertEqual(kinds(history + [read(3, 4, "C2", {"user_id": "u1"})]), ["undone-logout"])
        self.assertEqual(kinds(history + [read(3, 4, "C2", {})]), [])

    def test_a_slow_logout_does_not_reach_a_login_that_found_the_session_ended_by_another_request(self):
        history = [
            login(0, 1, "u0", set_cookie="C1"),
            logout(2, 2.6, "C1", delay=0.5),
            logout(2.05, 2.1, "C1"),
            login(2.2, 2.45, "u1", cookie="C1", set_cookie="C2", delay=0.15),
        ]
        self.assertEqual(kinds(history + [read(3, 4, "C2", {"user_id": "u1"})]), [])

    def test_a_slow_logout_does_not_reach_a_login_that_may_have_found_the_session_ended_through_its_parent(self):
        # The unanswered logout of C0 may have purged C0 and, following the renew, C1 before the second login
        # loaded C1; that login then started a fresh session, which the slow logout of C1 never reaches.
        history = [
            login(0, 1, "u0", set_cookie="C0"),
            logout(2, 2.3, "C0", delay=0.2, status=None, set_cookie=None, aborted=True),
            login(2.05, 2.07, "u1", cookie="C0", set_cookie="C1"),
            logout(2.1, 2.7, "C1", delay=0.5),
            login(2.25, 2.4, "u2", cookie="C1", set_cookie="C2", delay=0.1),
        ]
        self.assertEqual(kinds(history + [read(3, 4, "C2", {"user_id": "u2"})]), [])
        # Without the unanswered logout, the second login renewed C1 and the slow logout ended C2 too.
        self.assertEqual(kinds(history[:1] + history[2:] + [read(3, 4, "C2", {"user_id": "u2"})]), ["undone-logout"])

    def test_an_unanswered_logout_through_an_ancestor_may_have_run_early_enough_to_follow(self):
        # Dropped by the client 5 s after the login: it may have purged at once, while the 5 s tombstones lasted.
        history = [
            login(0, 1, "u0", set_cookie="C0"),
            login(2, 2.1, "u1", cookie="C0", set_cookie="C1"),
            logout(7, 7.2, "C0", found_user=False, status=None, set_cookie=None, aborted=True),
            read(30, 31, "C1", {}),
        ]
        self.assertEqual(sorted({v.kind for v in Checker(history, [], grace=5.0).check()}), [])

    def test_a_purge_follows_at_most_eight_renews(self):
        def chain(renews):
            history = [login(0, 1, "u0", set_cookie="C0"), logout(2, 4, "C0", delay=1.9)]
            for number in range(1, renews + 1):
                history.append(login(2 + number * 0.1, 2.05 + number * 0.1, f"u{number}", cookie=f"C{number - 1}", set_cookie=f"C{number}"))
            return history + [read(5, 6, f"C{renews}", {"user_id": f"u{renews}"})]
        self.assertEqual(kinds(chain(8)), ["undone-logout"])
        self.assertEqual(kinds(chain(9)), [])

    def test_a_write_may_start_a_session_once_the_first_ends_tombstone_ran_out(self):
        history = [
            login(0, 1, "u0", set_cookie="C1"),
            logout(3, 3.1, "C1"),
            login(61, 62, "u1", cookie="C1", set_cookie="C2"),
        ]
        self.assertEqual(kinds(history + [put(66, 67, "a", "v1", cookie="C1", set_cookie="C3")]), [])
        self.assertEqual(kinds(history + [put(40, 41, "a", "v1", cookie="C1", set_cookie="C3")]), ["stale-cookie"])

    def test_a_restart_of_the_memory_store_ends_every_session_and_leaves_no_tombstone(self):
        restart = Fault("demo-restart", 5, 6)
        history = [login(0, 1, "u0", set_cookie="C1"), put(2, 3, "a", "v1", cookie="C1")]
        # After the restart the old key names nothing: a read is empty, a write starts a session at once.
        self.assertEqual(kinds(history + [read(10, 11, "C1", {}), put(12, 13, "b", "v2", cookie="C1", set_cookie="C2")],
                               [restart], store="memory"), [])
        self.assertEqual(kinds(history + [read(10, 11, "C1", {"a": "v1", "user_id": "u0"})], [restart], store="memory"),
                         ["undone-restart"])
        self.assertEqual(kinds(history + [put(12, 13, "b", "v2", cookie="C1")], [restart], store="memory"), ["lost-write"])
        # Another store keeps its sessions through a restart of the demo.
        self.assertEqual(kinds(history + [read(10, 11, "C1", {"a": "v1", "user_id": "u0"})], [restart], store="sqlite"), [])

    def test_a_refusal_of_a_well_formed_request_is_a_violation(self):
        self.assertEqual(kinds([put(0, 1, "a", "v1", status=422)]), ["unexpected-refusal"])

    def test_a_conflict_answers_a_write_whose_session_ended_and_nothing_else(self):
        base = [login(0, 1, "u0", set_cookie="C1"), login(2, 2.1, "u1", cookie="C1", set_cookie="C2")]
        # The old key's write came after the renew away from it: dropped, and it says so.
        self.assertEqual(kinds(base + [put(3, 3.1, "a", "v1", cookie="C1", status=409)]), [])
        # A 2xx instead, with no new session, claims a write that was dropped.
        self.assertEqual(kinds(base + [put(3, 3.1, "a", "v1", cookie="C1")]), ["dropped-write-acknowledged"])
        # A 409 to a write on a session nothing ended is spurious, and so is one to a read.
        self.assertEqual(kinds(base + [put(3, 3.1, "a", "v1", cookie="C2", status=409)]), ["spurious-conflict"])
        self.assertEqual(kinds(base + [read(3, 3.1, "C2", {}, status=409)]), ["spurious-conflict"])

    def test_a_request_whose_connection_was_refused_is_not_in_the_history(self):
        refused = put(20, 20.1, "a", "v1", status=None)
        refused.sent = False
        self.assertEqual(kinds([put(0, 1, "a", "v0", set_cookie="C1"), refused, read(30, 31, "C1", {"a": "v0"})]), [])

    def test_errors_only_while_a_fault_holds(self):
        failed = put(20, 21, "a", "v1", status=500)
        self.assertEqual(kinds([failed]), ["error-outside-fault"])
        self.assertEqual(kinds([failed], [Fault("redis-kill", 19, 20.5)]), [])
        self.assertEqual(kinds([failed], [Fault("redis-kill", 1, 2)]), ["error-outside-fault"])
        self.assertEqual(kinds([put(20, 21, "a", "v1", status=None, aborted=True)]), [])


def cookie_kinds(ops, faults=()):
    return sorted({violation.kind for violation in CookieStoreChecker(ops, list(faults)).check()})


class CookieStoreHistories(unittest.TestCase):
    """The cookie store's state lives in the cookie: each answer's cookie holds its request's cookie plus its change."""

    def test_a_lineage_of_cookies_read_back_exactly_is_clean(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "b", "v2", cookie="C1", set_cookie="C2", body={"a": "v1", "b": "v2"}),
                   login(4, 5, "u1", cookie="C2", set_cookie="C3"), read(6, 7, "C3", {"a": "v1", "b": "v2", "user_id": "u1"}),
                   read(6, 7, "C1", {"a": "v1"}), op("delete", 8, 9, cookie="C3", key="b", set_cookie="C4", body={"a": "v1", "user_id": "u1"}),
                   op("delete", 10, 11, cookie="C4", key="c", body={"a": "v1", "user_id": "u1"}), read(12, 13, "C4", {"a": "v1", "user_id": "u1"})]
        self.assertEqual(cookie_kinds(history), [])

    def test_a_read_missing_what_its_cookie_holds_is_a_lost_write(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "b", "v2", cookie="C1", set_cookie="C2", body={"a": "v1", "b": "v2"}),
                   read(4, 5, "C2", {"b": "v2"})]
        self.assertEqual(cookie_kinds(history), ["lost-write"])
        self.assertEqual(cookie_kinds(history[:1] + [put(2, 3, "b", "v2", cookie="C1", set_cookie="C2")]), ["lost-write"])

    def test_a_read_showing_what_its_cookie_never_held_is_foreign(self):
        history = [put(0, 1, "a", "v1", set_cookie="C1"), put(0, 1, "b", "v2", set_cookie="C2"), read(2, 3, "C1", {"a": "v1", "b": "v2"})]
        self.assertEqual(cookie_kinds(history), ["foreign-value"])

    def test_a_change_that_set_no_cookie_lived_nowhere(self):
        self.assertEqual(cookie_kinds([put(0, 1, "a", "v1")]), ["lost-write"])
        self.assertEqual(cookie_kinds([login(0, 1, "u1")]), ["lost-login"])
        self.assertEqual(cookie_kinds([put(0, 1, "a", "v1", set_cookie="C1"), op("delete", 2, 3, cookie="C1", key="a", body={})]), ["lost-write"])

    def test_only_a_change_sets_the_cookie_and_only_a_logout_removes_it(self):
        written = put(0, 1, "a", "v1", set_cookie="C1")
        self.assertEqual(cookie_kinds([written, read(2, 3, "C1", {"a": "v1"}, set_cookie="C2")]), ["stale-cookie"])
        self.assertEqual(cookie_kinds([written, put(2, 3, "b", "v2", cookie="C1", set_cookie="", body={"a": "v1", "b": "v2"})]), ["stale-cookie"])
        refreshed = [written, read(2, 3, "C1", {"a": "v1"}, set_cookie="C2"), read(4, 5, "C2", {"a": "v1"})]
        self.assertEqual(sorted({v.kind for v in CookieStoreChecker(refreshed, [], refreshes=True).check()}), [])

    def test_a_logout_must_remove_the_cookie_and_nothing_answers_409(self):
        self.assertEqual(cookie_kinds([login(0, 1, "u1", set_cookie="C1"), logout(2, 3, "C1", set_cookie=None)]), ["missing-removal"])
        self.assertEqual(cookie_kinds([put(0, 1, "a", "v1", set_cookie="C1"), put(2, 3, "a", "v2", cookie="C1", status=409)]),
                         ["spurious-conflict"])

    def test_a_restart_loses_nothing(self):
        restart = Fault("demo-restart", 2, 3)
        history = [put(0, 1, "a", "v1", set_cookie="C1"), read(4, 5, "C1", {})]
        self.assertEqual(cookie_kinds(history, [restart]), ["lost-write"])

    def test_a_logout_undone_by_a_slower_answer_is_counted_not_reported(self):
        history = [login(0, 1, "u1", set_cookie="C1"), put(2, 5, "a", "v1", cookie="C1", set_cookie="C2", delay=2, body={"user_id": "u1", "a": "v1"}),
                   logout(3, 4, "C1"), read(6, 7, "C2", {"user_id": "u1", "a": "v1"})]
        checker = CookieStoreChecker(history, [])
        self.assertEqual(checker.check(), [])
        self.assertEqual((checker.superseded, checker.undone_logouts), (1, 1))


class FakeDemoRuns(unittest.TestCase):
    """The checker must pass the fake demo and catch each of its mutants within `limit` seconds."""

    def run_fake(self, mutant, seconds):
        with FakeDemo(mutant=mutant) as demo:
            recorder = Recorder(time.monotonic)
            deadline = time.monotonic() + seconds
            tabs = []
            for number in range(4):
                jar = Jar(number)
                for _ in range(3):
                    tabs.append(Tab(len(tabs), jar, demo.port, recorder, 1000 * number + len(tabs), deadline, timeout=10))
            for tab in tabs:
                tab.start()
            for tab in tabs:
                tab.join()
        return Checker(recorder.ops, []).check(), len(recorder.ops)

    def test_the_fake_demo_is_clean(self):
        violations, count = self.run_fake(None, 8)
        self.assertGreater(count, 200)
        self.assertEqual([violation.report() for violation in violations], [])

    def assert_caught(self, mutant, expected, limit=40):
        deadline = time.monotonic() + limit
        found = set()
        while time.monotonic() < deadline and not found & expected:
            violations, _ = self.run_fake(mutant, 5)
            found |= {violation.kind for violation in violations}
        self.assertTrue(found & expected, f"{mutant}: found only {sorted(found)}")

    def test_a_renew_that_resurrects_a_logged_out_session_is_caught(self):
        self.assert_caught("resurrect-on-renew", {"undone-logout"})

    def test_a_renew_that_drops_a_merged_entry_is_caught(self):
        self.assert_caught("drop-merged-entry", {"lost-write"})

    def test_a_response_that_removes_a_fresh_login_cookie_is_caught(self):
        self.assert_caught("remove-fresh-login-cookie", {"stale-cookie"})

    def test_a_purge_that_does_not_follow_a_concurrent_renew_is_caught(self):
        self.assert_caught("purge-ignores-renews", {"undone-logout"})

    def test_a_logout_that_ignores_a_key_renewed_before_it_loaded_is_caught(self):
        # Seen as a read of the session the logout should have ended, or a write to it acknowledged.
        self.assert_caught("logout-ignores-renewed-key", {"undone-logout", "old-key-after-renew", "dropped-write-acknowledged"})

    def test_a_dropped_write_answered_200_is_caught(self):
        self.assert_caught("dropped-write-answers-200", {"dropped-write-acknowledged", "lost-login"})

    def test_a_write_that_brings_back_an_ended_session_is_caught(self):
        self.assert_caught("update-recreates-purged", {"undone-logout", "old-key-after-renew"})


if __name__ == "__main__":
    unittest.main()
