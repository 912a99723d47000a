"""Turns ordo-one/benchmark's Markdown output (on stdin) into the one table BENCHMARKS.md pastes: per
benchmark, the median (p50) allocations and wall-clock time of one operation, under the provenance line
(the arguments given after the script's name)."""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TO_MICROSECONDS = {"ns": 1e-3, "μs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}

rows, benchmark, p50 = {}, None, None
for line in sys.stdin:
    line = line.strip()
    if line.startswith("### "):
        benchmark, p50 = line[4:].strip(), None
        continue
    if not line.startswith("|") or benchmark is None:
        continue
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    if "p50" in cells:
        p50 = cells.index("p50")
        continue
    if p50 is None or set(cells[0]) <= set("-: "):
        continue
    label, value = cells[0], cells[p50]
    entry = rows.setdefault(benchmark, {})
    if label.startswith("Malloc (total)"):
        entry["mallocs"] = value
    elif label.startswith("Time (wall clock)"):
        unit = re.search(r"\((ns|μs|us|ms|s)\)", label)
        entry["time"] = f"{float(value) * TO_MICROSECONDS[unit.group(1) if unit else 'ns']:.2f}"

if not rows:
    sys.exit("microbench-table: no benchmark results in the input")
print(provenance.header("scripts/microbench", provenance.commit(ROOT), sys.argv[1:]))
print("ordo-one/benchmark 1.38.1, release build; the median (p50) of one operation; times are this machine's only\n")
print("| benchmark | mallocs | wall clock, µs |")
print("|---|---|---|")
for name in sorted(rows):
    print(f"| `{name}` | {rows[name].get('mallocs', 'n/a')} | {rows[name].get('time', 'n/a')} |")
