"""The line every benchmark table is printed under: the exact command, the date, the commit and the machine,
so that BENCHMARKS.md pastes what a script printed and says where it came from."""
import datetime, os, shlex, subprocess, sys


def commit(directory):
    """The commit `directory` is at, with -dirty for uncommitted changes to tracked files."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory, capture_output=True, text=True).stdout.strip()
    return (head or "unknown") + ("-dirty" if dirty else "")


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.uname().machine}, {os.cpu_count()} cores, {model}"


def header(script, commits, arguments=None):
    """`script` as it was run (with `arguments`, else this process's own), today's date, `commits` (a commit, or a
    description of several) and the machine."""
    arguments = shlex.join(sys.argv[1:] if arguments is None else arguments)
    return f"`{script}{' ' + arguments if arguments else ''}`, {datetime.date.today().isoformat()}, commit {commits}, {machine()}."
