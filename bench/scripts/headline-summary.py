#!/usr/bin/env python3
"""Summarizes bench/scripts/headline.sh's output: one row per run and the median per mode, as a Markdown table."""
import glob
import json
import os
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "bench/target/headline"
rows = []
for path in sorted(glob.glob(os.path.join(out, "*-[0-9]*.json"))):
    if path.endswith(".meta.json"):
        continue
    with open(path) as f:
        lines = [json.loads(l) for l in f if l.strip().startswith("{")]
    if not lines:
        continue
    r = lines[-1]
    meta_path = path[:-len(".json")] + ".meta.json"
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    cpu = r.get("cpuCoreMicrosPerUpdate", {})
    rows.append(dict(mode=meta.get("mode", os.path.basename(path)), run=meta.get("run", "?"),
                     start=meta.get("startSeconds"), load=meta.get("loadBefore", ""),
                     lost=r["lost"], refused=r.get("refusedByServer"), slow=r["slowConsumer"], p50=r["p50us"], p99=r["p99us"], p999=r["p999us"],
                     max=r["maxus"], server=cpu.get("server"), broker=cpu.get("broker"), state=cpu.get("state"), children=cpu.get("children"),
                     loadgen=cpu.get("loadgen")))


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}"
    return f"{v:,}{unit}"


print("| mode | run | server up (s) | load before | lost | refused by server | slow-consumer | p50 us | p99 us | p99.9 us | max us | server core-us/update | broker | state store child | other children | load generator |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['mode']} | {r['run']} | {fmt(r['start'])} | {r['load']} | {fmt(r['lost'])} | {fmt(r['refused'])} | {r['slow']} | {fmt(r['p50'])} | "
          f"{fmt(r['p99'])} | {fmt(r['p999'])} | {fmt(r['max'])} | {fmt(r['server'])} | {fmt(r['broker'])} | "
          f"{fmt(r['state'])} | {fmt(r['children'])} | {fmt(r['loadgen'])} |")
for mode in sorted(set(r["mode"] for r in rows)):
    m = [r for r in rows if r["mode"] == mode]

    def med(k):
        vals = [r[k] for r in m if r[k] is not None]
        return statistics.median(vals) if vals else None
    print(f"| **{mode} median of {len(m)}** | | {fmt(med('start'))} | | {fmt(med('lost'))} | {fmt(med('refused'))} | "
          f"{sum(1 for r in m if r['slow'])} runs | {fmt(med('p50'))} | {fmt(med('p99'))} | {fmt(med('p999'))} | "
          f"{fmt(med('max'))} | {fmt(med('server'))} | {fmt(med('broker'))} | {fmt(med('state'))} | {fmt(med('children'))} | {fmt(med('loadgen'))} |")
