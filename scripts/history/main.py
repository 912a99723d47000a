"""Runs random concurrent sessions against the built demo under injected faults and checks every answer.

    python3 scripts/history/main.py [--store memory,sqlite,redis,postgres,cookie] [--framework hummingbird,vapor]
                                    [--profile rotate|all|NAME,...] [--seconds N] [--seed S] [--demo PATH] [--keep DIR]
    python3 scripts/history/main.py --check HISTORY.json

One run per store, framework and profile (a configuration of the demo, PROFILES below; `rotate`, the default,
gives each store and framework one profile in turn, so that a short run of every store and framework covers
every profile; `all` runs each of them). Each prints its requests, faults, what each fault kind excused and
its violations; a violation prints the first one with the requests that show it, the seed that reproduces the
run's schedule, and where the recorded history is (re-check it with --check). Exits 1 when any run found a
violation, or checked too few requests of known outcome to mean anything.
"""
import argparse, collections, dataclasses, os, secrets, shutil, socket, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checker import Checker
from cookie_checker import CookieStoreChecker
from client import Jar, Recorder, Tab
from faults import RECOVERY, Demo, FaultSchedule, fault_kinds, secret_rotation
import record

STORES = ["memory", "sqlite", "redis", "postgres", "cookie"]
FRAMEWORKS = ["hummingbird", "vapor"]
GRACE = 60
# A run whose requests mostly failed checked nothing: at least this many must have a known outcome, and this share.
MINIMUM_KNOWN = 100
MINIMUM_KNOWN_SHARE = 0.25


@dataclasses.dataclass(frozen=True)
class Profile:
    """A configuration of the demo: its flags, how long its tombstones last, whether answers may re-send the
    cookie they got (persistent cookies refreshed on every request), and whether it rotates the secret (the demo
    restarts with a new secret and the old one as previous: cookies sealed before keep working, never re-sent)."""
    name: str
    flags: tuple = ()
    tombstones: float = GRACE
    refreshes: bool = False
    rotates_secret: bool = False
    # Whether reads must restart the TTL (and so re-send the cookie) for the run to have checked anything of its own.
    read_restarts: bool = False
    # The share of logins that ask to be remembered (a persistent cookie for that session alone).
    remember_rate: float = 0.0

    def applies_to(self, store):
        # The memory store loses its sessions with the process, which a rotation restarts: nothing to rotate. The
        # cookie store has no tombstones for a short grace to shorten (and `rotate` then gives it the rotation).
        return not (self.rotates_secret and store == "memory") and not (self.tombstones != GRACE and store == "cookie")


PROFILES = [
    Profile("browser"),
    Profile("persistent-every-request", ("--lifecycle", "persistent", "--ttl-extension", "on-every-request"), refreshes=True),
    # The default extension, made to restart often: a read 6 ms after the last restart restarts a 60 s TTL, one sooner does not.
    Profile("persistent-sliding", ("--lifecycle", "persistent", "--ttl", "60", "--ttl-remaining-below", "0.9999"), refreshes=True,
            read_restarts=True),
    # Browser-session cookies, but half the logins ask to be remembered: those sessions' cookies are re-sent on writes.
    Profile("remember-me", refreshes="remembered", remember_rate=0.5),
    Profile("previous-secret", rotates_secret=True),
    Profile("short-grace", ("--stale-cookie-grace", "1", "--longest-request", "5"), tombstones=5.0),
]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_arguments(store, framework, folder, environment, profile, secret):
    arguments = ["--framework", framework, "--store", store, "--insecure-cookie", "--secret", secret,
                 "--stale-cookie-grace", str(GRACE), *profile.flags]
    if store == "sqlite":
        arguments += ["--sqlite-path", os.path.join(folder, "sessions.sqlite")]
    elif store == "redis":
        arguments += ["--redis-url", environment["SESSIONS_TEST_REDIS_CRASH_URL"]]
    elif store == "postgres":
        arguments += ["--postgres-url", environment["SESSIONS_TEST_POSTGRES_CRASH_URL"]]
    return arguments


def run(store, framework, profile, seconds, seed, binary, folder, jars=6, first_fault=0):
    """One run: returns (ops, faults, checker, history path)."""
    generator = __import__("random").Random(seed)
    environment = os.environ
    old_secret = secrets.token_hex(64)
    arguments = demo_arguments(store, framework, folder, environment, profile, old_secret)
    demo = Demo(binary, arguments, free_port(), os.path.join(folder, "demo.log"))
    prelude = None
    if profile.rotates_secret:
        rotated = demo_arguments(store, framework, folder, environment, profile, secrets.token_hex(64)) + ["--previous-secret", old_secret]
        prelude = ("secret-rotation", secret_rotation(demo, rotated))
    demo.start()
    clock = time.monotonic
    recorder = Recorder(clock)
    deadline = clock() + seconds
    tabs = []
    for number in range(jars):
        jar = Jar(number)
        # Some browsers with one tab, some with several sharing the cookie jar.
        for _ in range(generator.choice([1, 1, 2, 3])):
            tabs.append(Tab(len(tabs), jar, demo.port, recorder, generator.getrandbits(64), deadline, remember_rate=profile.remember_rate))
    schedule = FaultSchedule(fault_kinds(store, demo, environment), clock, generator.getrandbits(64), deadline, first=first_fault,
                             prelude=prelude)
    try:
        for tab in tabs:
            tab.start()
        schedule.start()
        for tab in tabs:
            tab.join()
        schedule.stopping.set()
        schedule.join()
    finally:
        demo.stop()
    if schedule.error is not None:
        raise RuntimeError(f"a fault could not be injected: {schedule.error!r}")
    history = os.path.join(folder, "history.json")
    meta = {"store": store, "framework": framework, "profile": profile.name, "seconds": seconds, "seed": seed,
            "grace": profile.tombstones, "refreshes": profile.refreshes}
    record.save(history, recorder.ops, schedule.faults, meta)
    # Counted before the checker, which takes a refresh's cookie for no new cookie.
    read_restarts = sum(1 for op in recorder.ops if op.sent and op.kind == "read" and op.set_cookie)
    checker = checker_for(store)(recorder.ops, schedule.faults, grace=profile.tombstones, store=store, refreshes=profile.refreshes,
                                 recovery=RECOVERY)
    checker.read_restarts = read_restarts
    checker.check()
    return recorder.ops, schedule.faults, checker, history


def checker_for(store):
    """The model a store's history is checked against: the cookie store keeps its state in the cookie alone."""
    return CookieStoreChecker if store == "cookie" else Checker


def too_few_known(ops):
    """Why a run checked too little to mean anything, or None."""
    sent = [op for op in ops if op.sent]
    known = sum(1 for op in sent if not op.unknown)
    if known < MINIMUM_KNOWN or known < MINIMUM_KNOWN_SHARE * len(sent):
        return f"only {known} of {len(sent)} requests had a known outcome (at least {MINIMUM_KNOWN} and {MINIMUM_KNOWN_SHARE:.0%} needed)"
    return None


def summary(ops, faults, checker):
    violations = checker.violations
    refused = sum(1 for op in ops if not op.sent)
    ops = [op for op in ops if op.sent]
    unknown = sum(1 for op in ops if op.unknown)
    conflicts = sum(1 for op in ops if op.conflict)
    kinds = collections.Counter(fault.kind for fault in faults)
    fault_text = ", ".join(f"{count} {kind} (excused {checker.excused[kind]})" for kind, count in sorted(kinds.items())) or "none"
    found = collections.Counter(violation.kind for violation in violations)
    violation_text = ", ".join(f"{count} {kind}" for kind, count in sorted(found.items())) or "none"
    refreshes = f", {checker.refreshes_after_renew} refreshes of a renewed-away key" if checker.refreshes_after_renew else ""
    remembered = sum(1 for op in ops if op.kind == "login" and op.remember and op.succeeded)
    if remembered:
        refreshes += f", {remembered} logins remembered"
    if getattr(checker, "read_restarts", 0):
        refreshes += f", {checker.read_restarts} reads restarted the TTL"
    if hasattr(checker, "documented_windows"):
        refreshes += checker.documented_windows()
    return (f"{len(ops)} requests checked ({unknown} of unknown outcome, {conflicts} answered 409, {refused} more refused "
            f"while the demo was down{refreshes}), faults: {fault_text}; violations: {violation_text}")


def report(violations):
    print("first violation:")
    print(violations[0].report())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=",".join(STORES))
    parser.add_argument("--framework", default=",".join(FRAMEWORKS))
    parser.add_argument("--profile", default="rotate", help="rotate (one per run, in turn), all, or names: "
                        + ", ".join(profile.name for profile in PROFILES))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--demo", default=".build/debug/sessions-demo")
    parser.add_argument("--keep", default=None, help="folder for histories and demo logs (default: a temporary one)")
    parser.add_argument("--check", default=None, help="re-check a recorded history instead of running")
    options = parser.parse_args()

    if options.check:
        ops, faults, meta = record.load(options.check)
        checker = checker_for(meta.get("store"))(ops, faults, grace=meta.get("grace", GRACE), store=meta.get("store"),
                                                 refreshes=meta.get("refreshes", False), recovery=RECOVERY)
        violations = checker.check()
        print(f"{options.check}: {summary(ops, faults, checker)}")
        if violations:
            report(violations)
        return 1 if violations else 0

    stores = options.store.split(",")
    frameworks = options.framework.split(",")
    for name in stores:
        if name not in STORES:
            parser.error(f"--store takes {', '.join(STORES)}")
    for name in frameworks:
        if name not in FRAMEWORKS:
            parser.error(f"--framework takes {', '.join(FRAMEWORKS)}")
    by_name = {profile.name: profile for profile in PROFILES}
    if options.profile not in ("rotate", "all"):
        for name in options.profile.split(","):
            if name not in by_name:
                parser.error(f"--profile takes rotate, all or {', '.join(by_name)}")
    seed = options.seed if options.seed is not None else secrets.randbits(32)
    root = options.keep or tempfile.mkdtemp(prefix="history-check.")
    runs = []
    for index, (store, framework) in enumerate((s, f) for s in stores for f in frameworks):
        applicable = [profile for profile in PROFILES if profile.applies_to(store)]
        if options.profile == "rotate":
            runs.append((store, framework, applicable[index % len(applicable)]))
        else:
            chosen = PROFILES if options.profile == "all" else [by_name[name] for name in options.profile.split(",")]
            runs += [(store, framework, profile) for profile in chosen if profile.applies_to(store)]
    totals = collections.Counter()
    covered = collections.defaultdict(collections.Counter)
    failed = False
    for index, (store, framework, profile) in enumerate(runs):
        run_seed = seed + index
        folder = os.path.join(root, f"{store}-{framework}-{profile.name}")
        os.makedirs(folder, exist_ok=True)
        ops, faults, checker, history = run(store, framework, profile, options.seconds, run_seed, os.path.abspath(options.demo),
                                            folder, first_fault=FRAMEWORKS.index(framework))
        violations = checker.violations
        print(f"history-check {store} through {framework}, {profile.name}, for {options.seconds:g} s (seed {run_seed}): "
              f"{summary(ops, faults, checker)}", flush=True)
        totals.update(requests=sum(1 for op in ops if op.sent), faults=len(faults), violations=len(violations))
        covered[profile.name].update(fault.kind for fault in faults)
        covered[profile.name]["runs"] += 1
        thin = too_few_known(ops)
        if not thin and profile.read_restarts and not getattr(checker, "read_restarts", 0):
            thin = "no read restarted the TTL, which this profile exists to check"
        remembered = sum(1 for op in ops if op.kind == "login" and op.remember and op.succeeded)
        if not thin and profile.remember_rate and not remembered:
            thin = "no login was remembered, which this profile exists to check"
        if thin:
            failed = True
            print(f"too few requests checked: {thin}")
        if violations:
            failed = True
            report(violations)
        if violations or thin:
            print(f"reproduce the schedule: scripts/history-check --store {store} --framework {framework} --profile {profile.name} "
                  f"--seconds {options.seconds:g} --seed {run_seed}; re-check: scripts/history-check --check {history}")
    if not failed and options.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    for name, counts in covered.items():
        faults_text = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()) if kind != "runs") or "no faults"
        print(f"history-check profile {name}: {counts['runs']} runs, {faults_text}")
    print(f"history-check total: {totals['requests']} requests checked, {totals['faults']} faults injected, "
          f"{totals['violations']} violations (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
