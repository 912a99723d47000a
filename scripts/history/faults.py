"""The demo process, and the faults a run injects into it and its store, each recorded with when it held."""
import os, random, signal, subprocess, threading, time, urllib.parse, http.client

from record import Fault


class Demo:
    """The built demo, serving one store through one framework on a fixed loopback port."""

    def __init__(self, binary, arguments, port, log_path):
        self.binary, self.arguments, self.port, self.log_path = binary, arguments, port, log_path
        self.process = None

    def start(self, timeout=60):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, *self.arguments, "--port", str(self.port)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo exited with status {self.process.returncode}; see {self.log_path}")
            if self.answers():
                return
            time.sleep(0.05)  # polling a starting process: there is nothing to await but its port
        raise RuntimeError(f"the demo did not answer within {timeout} s; see {self.log_path}")

    def answers(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/plain")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def shell(command):
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def redis_cli(url, *arguments):
    parts = urllib.parse.urlsplit(url)
    subprocess.run(["redis-cli", "-h", parts.hostname, "-p", str(parts.port), *arguments], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class FaultSchedule(threading.Thread):
    """Injects faults one at a time, with calm stretches between them long enough for the demo to recover and
    for errors outside any fault to show. `kinds` lists (name, inject) pairs, taken in turn from `first` on, so
    that short runs of one store through each framework meet different faults; `inject` returns once the
    fault is over (the server back, the demo answering)."""

    def __init__(self, kinds, recorder_clock, seed, deadline, first=0, calm=(14.0, 20.0), prelude=None):
        super().__init__(daemon=True)
        self.kinds, self.clock, self.deadline, self.calm = kinds, recorder_clock, deadline, calm
        # A (name, inject) run once early, before the faults and taking none of their turns (a secret rotation).
        self.prelude = prelude
        self.first = first
        self.random = random.Random(seed)
        self.faults = []
        self.error = None
        self.stopping = threading.Event()

    def run(self):
        try:
            if self.prelude is not None:
                if self.stopping.wait(self.random.uniform(1.5, 2.5)):
                    return
                name, inject = self.prelude
                start = self.clock()
                inject(self.random)
                self.faults.append(Fault(name, start, self.clock()))
            taken = 0
            while self.kinds:
                # The first fault comes early, so that a short run meets one.
                wait = self.random.uniform(2.0, 4.0) if not taken else self.random.uniform(*self.calm)
                # Stops early when the run ends; the wait is the schedule itself, not a synchronisation.
                if self.stopping.wait(wait) or self.clock() + 7 > self.deadline:
                    return
                name, inject = self.kinds[(self.first + taken) % len(self.kinds)]
                taken += 1
                start = self.clock()
                inject(self.random)
                self.faults.append(Fault(name, start, self.clock()))
        except Exception as error:  # reported by the run: a fault that could not be injected fails it
            self.error = error


def demo_restart(demo):
    def inject(_random):
        demo.kill()
        demo.start()
    return inject


def redis_sleep(url, seconds):
    def inject(_random):
        # Past the store's command timeout (5 s): requests fail, the commands queued behind run afterwards.
        redis_cli(url, "DEBUG", "SLEEP", str(seconds))
    return inject


def server_crash(kill, start):
    def inject(random_source):
        shell(kill)
        # How long the server stays down is part of the fault.
        time.sleep(random_source.uniform(0.2, 2.0))
        shell(start)
    return inject


def postgres_stall(url, seconds):
    def inject(_random):
        # Every statement on the sessions table waits past the store's query timeout (5 s): renews, purges and
        # updates fail at their deadline and may run once the lock goes, as Redis's DEBUG SLEEP does.
        subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-c",
                        f"BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({seconds}); COMMIT;"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return inject


def secret_rotation(demo, rotated_arguments):
    """Restarts the demo with a new secret and the old one as its previous secret."""
    def inject(_random):
        demo.kill()
        demo.arguments = rotated_arguments
        demo.start()
    return inject


# How long after a fault of each kind ends a request may still fail: store timeouts (5 s) of commands sent just
# before it ended, the Redis client's reconnect back-off (at most 2 s), PostgreSQL's pool reconnecting.
RECOVERY = {"demo-restart": 4.0, "secret-rotation": 4.0, "redis-sleep": 7.0, "redis-kill": 8.0,
            "postgres-kill": 10.0, "postgres-stall": 7.0}


def fault_kinds(store, demo, environment):
    """The faults a run on `store` injects, the store's own first. On the in-memory store a demo restart loses
    every session and tombstone, which the checker models (`checker.Restart`)."""
    kinds = []
    if store == "redis":
        url = environment["SESSIONS_TEST_REDIS_CRASH_URL"]
        kinds.append(("redis-sleep", redis_sleep(url, 6)))
        kinds.append(("redis-kill", server_crash(environment["SESSIONS_TEST_REDIS_CRASH_KILL"], environment["SESSIONS_TEST_REDIS_CRASH_START"])))
    if store == "postgres":
        kinds.append(("postgres-stall", postgres_stall(environment["SESSIONS_TEST_POSTGRES_CRASH_URL"], 6)))
        kinds.append(("postgres-kill", server_crash(environment["SESSIONS_TEST_POSTGRES_CRASH_KILL"], environment["SESSIONS_TEST_POSTGRES_CRASH_START"])))
    kinds.append(("demo-restart", demo_restart(demo)))
    return kinds
