#!/usr/bin/env python3
"""Summarizes the JSON lines written by e2e-figures.sh: per rate and mode, the median of each figure over the runs
(and each run's p50/p99), then the find-max steps, as Markdown tables for BENCHMARKS.md."""
import glob
import json
import os
import re
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "bench/target/e2e-figures"


def fmt(us):
    return "%.0f us" % us if us < 1000 else "%.2f ms" % (us / 1000) if us < 1e6 else "%.1f s" % (us / 1e6)


groups = {}
for path in sorted(glob.glob(os.path.join(out, "rate*-*.json"))):
    rate = re.search(r"rate(\d+)-", os.path.basename(path)).group(1)
    for line in open(path):
        line = line.strip()
        if line.startswith("{") and '"mode"' in line:
            r = json.loads(line)
            groups.setdefault((int(rate), r["mode"]), []).append(r)

for rate in sorted({k[0] for k in groups}):
    print("\n### %s updates/s (medians of %d runs)\n" % (format(rate, ","), max(len(v) for k, v in groups.items() if k[0] == rate)))
    print("| mode | delivered / expected | lost | p50 | p90 | p99 | p99.9 | max | runs (p50 / p99) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in ("tcp", "ws", "floor"):
        runs = groups.get((rate, mode))
        if not runs:
            continue
        med = lambda key: statistics.median(r[key] for r in runs)
        print("| %s | %s / %s | %s | %s | %s | %s | %s | %s | %s |" % (
            mode, format(int(med("delivered")), ","), format(int(med("expected")), ","), format(int(med("lost")), ","),
            fmt(med("p50us")), fmt(med("p90us")), fmt(med("p99us")), fmt(med("p999us")), fmt(med("maxus")),
            ", ".join("%s / %s" % (fmt(r["p50us"]), fmt(r["p99us"])) for r in runs)))

for path in sorted(glob.glob(os.path.join(out, "findmax*.json"))):
    print("\n### %s\n" % os.path.basename(path)[:-5])
    print("| mode | rate | lost | p50 | p99 | p99.9 |")
    print("|---|---|---|---|---|---|")
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if "findMax" in r:
            print("| **%s** | highest passing: %s | | | | |" % (r["findMax"], "none" if r["highestPassingRate"] is None else format(r["highestPassingRate"], ",")))
        else:
            print("| %s | %s | %s | %s | %s | %s |" % (r["mode"], format(r["rate"], ","), format(r["lost"], ","), fmt(r["p50us"]), fmt(r["p99us"]), fmt(r["p999us"])))
