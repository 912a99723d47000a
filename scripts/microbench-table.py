"""Turns ordo-one/benchmark's JMH output (on stdin) into the Markdown table BENCHMARKS.md pastes: per
benchmark, the median allocations and the median wall-clock time of one operation, under the provenance
line (the arguments given after the script's name)."""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
text = sys.stdin.read()
# The tool prints its own lines before the JSON document.
elements = json.loads(text[text.index("[{"):])
rows = []
for element in elements:
    name = element["benchmark"].split("SessionsBenchmarks.", 1)[-1]
    metrics = element.get("secondaryMetrics") or {}
    mallocs = next((m for key, m in metrics.items() if key.lower().startswith("malloc")), None)
    clock = next((m for key, m in metrics.items() if key.lower().startswith("time (wall")), None)
    rows.append((name,
                 f"{mallocs['scorePercentiles']['50.0']:.0f}" if mallocs else "n/a",
                 f"{clock['scorePercentiles']['50.0']:.2f}" if clock else "n/a"))
print(provenance.header("scripts/microbench", provenance.commit(ROOT), sys.argv[1:]))
print("ordo-one/benchmark 1.38.1, release build; medians per operation; times are this machine's only\n")
print("| benchmark | mallocs | wall clock, µs |")
print("|---|---|---|")
for name, mallocs, clock in sorted(rows):
    print(f"| `{name}` | {mallocs} | {clock} |")
