"""Runs random concurrent sessions against the built demo under injected faults and checks every answer.

    python3 scripts/history/main.py [--store memory,sqlite,redis,postgres] [--framework hummingbird,vapor]
                                    [--seconds N] [--seed S] [--demo PATH] [--keep DIR]
    python3 scripts/history/main.py --check HISTORY.json

One run per store and framework. Each prints its requests, faults and violations; a violation prints the
first one with the requests that show it, the seed that reproduces the run's schedule, and where the
recorded history is (re-check it with --check). Exits 1 when any run found a violation.
"""
import argparse, collections, os, secrets, shutil, socket, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checker import Checker
from client import Jar, Recorder, Tab
from faults import Demo, FaultSchedule, fault_kinds
import record

STORES = ["memory", "sqlite", "redis", "postgres"]
FRAMEWORKS = ["hummingbird", "vapor"]
GRACE = 60


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_arguments(store, framework, folder, environment):
    arguments = ["--framework", framework, "--store", store, "--insecure-cookie", "--secret", secrets.token_hex(64),
                 "--stale-cookie-grace", str(GRACE)]
    if store == "sqlite":
        arguments += ["--sqlite-path", os.path.join(folder, "sessions.sqlite")]
    elif store == "redis":
        arguments += ["--redis-url", environment["SESSIONS_TEST_REDIS_CRASH_URL"]]
    elif store == "postgres":
        arguments += ["--postgres-url", environment["SESSIONS_TEST_POSTGRES_CRASH_URL"]]
    return arguments


def run(store, framework, seconds, seed, binary, folder, jars=6, first_fault=0):
    """One run: returns (ops, faults, violations, history path)."""
    generator = __import__("random").Random(seed)
    environment = os.environ
    demo = Demo(binary, demo_arguments(store, framework, folder, environment), free_port(), os.path.join(folder, "demo.log"))
    demo.start()
    clock = time.monotonic
    recorder = Recorder(clock)
    deadline = clock() + seconds
    tabs = []
    for number in range(jars):
        jar = Jar(number)
        # Some browsers with one tab, some with several sharing the cookie jar.
        for _ in range(generator.choice([1, 1, 2, 3])):
            tabs.append(Tab(len(tabs), jar, demo.port, recorder, generator.getrandbits(64), deadline))
    schedule = FaultSchedule(fault_kinds(store, demo, environment), clock, generator.getrandbits(64), deadline, first=first_fault)
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
    meta = {"store": store, "framework": framework, "seconds": seconds, "seed": seed, "grace": GRACE}
    record.save(history, recorder.ops, schedule.faults, meta)
    violations = Checker(recorder.ops, schedule.faults, grace=GRACE, store=store).check()
    return recorder.ops, schedule.faults, violations, history


def summary(ops, faults, violations):
    refused = sum(1 for op in ops if not op.sent)
    ops = [op for op in ops if op.sent]
    unknown = sum(1 for op in ops if op.unknown)
    kinds = collections.Counter(fault.kind for fault in faults)
    fault_text = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "none"
    found = collections.Counter(violation.kind for violation in violations)
    violation_text = ", ".join(f"{count} {kind}" for kind, count in sorted(found.items())) or "none"
    return (f"{len(ops)} requests checked ({unknown} of unknown outcome, {refused} more refused while the demo was down), "
            f"faults: {fault_text}; violations: {violation_text}")


def report(violations):
    print("first violation:")
    print(violations[0].report())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=",".join(STORES))
    parser.add_argument("--framework", default=",".join(FRAMEWORKS))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--demo", default=".build/debug/sessions-demo")
    parser.add_argument("--keep", default=None, help="folder for histories and demo logs (default: a temporary one)")
    parser.add_argument("--check", default=None, help="re-check a recorded history instead of running")
    options = parser.parse_args()

    if options.check:
        ops, faults, meta = record.load(options.check)
        violations = Checker(ops, faults, grace=meta.get("grace", GRACE), store=meta.get("store")).check()
        print(f"{options.check}: {summary(ops, faults, violations)}")
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
    seed = options.seed if options.seed is not None else secrets.randbits(32)
    root = options.keep or tempfile.mkdtemp(prefix="history-check.")
    totals = collections.Counter()
    failed = False
    for index, (store, framework) in enumerate((s, f) for s in stores for f in frameworks):
        run_seed = seed + index
        folder = os.path.join(root, f"{store}-{framework}")
        os.makedirs(folder, exist_ok=True)
        ops, faults, violations, history = run(store, framework, options.seconds, run_seed, os.path.abspath(options.demo), folder,
                                               first_fault=FRAMEWORKS.index(framework))
        print(f"history-check {store} through {framework} for {options.seconds:g} s (seed {run_seed}): "
              f"{summary(ops, faults, violations)}", flush=True)
        totals.update(requests=sum(1 for op in ops if op.sent), faults=len(faults), violations=len(violations))
        if violations:
            failed = True
            report(violations)
            print(f"reproduce the schedule: scripts/history-check --store {store} --framework {framework} "
                  f"--seconds {options.seconds:g} --seed {run_seed}; re-check: scripts/history-check --check {history}")
    if not failed and options.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    print(f"history-check total: {totals['requests']} requests checked, {totals['faults']} faults injected, "
          f"{totals['violations']} violations (seed {seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
