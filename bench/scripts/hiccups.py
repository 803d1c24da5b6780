#!/usr/bin/env python3
"""How late does a thread that asks to sleep 1 ms wake up on this machine? (A hiccup meter, as jHiccup.)

Sleeps 1 ms in a loop for SECONDS and reports how much later than asked each wake-up came: percentiles, the
number of wake-ups later by more than 1, 5 and 10 ms, and the share of time lost to them. Run it alone (what the
machine does to any thread: hypervisor, kernel) and beside a benchmark (what the benchmark's threads add). The
bench's latency tail can be no better than what a single thread sees here, multiplied by the number of threads an
update passes through.

Usage: bench/scripts/hiccups.py [SECONDS=20] [LABEL]   (one JSON line on stdout)
"""
import json
import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
label = sys.argv[2] if len(sys.argv) > 2 else "idle"
late = []
end = time.monotonic() + seconds
while True:
    before = time.monotonic()
    if before >= end:
        break
    time.sleep(0.001)
    late.append((time.monotonic() - before - 0.001) * 1e6)  # µs later than asked
late.sort()


def pct(p):
    return round(late[min(len(late) - 1, int(p / 100.0 * len(late)))], 1)


with open("/proc/loadavg") as f:
    load = " ".join(f.read().split()[:3])
print(json.dumps({
    "label": label, "seconds": seconds, "wakeups": len(late), "load": load,
    "p50us": pct(50), "p90us": pct(90), "p99us": pct(99), "p999us": pct(99.9), "maxus": round(late[-1], 1),
    "over1ms": sum(1 for x in late if x > 1000), "over5ms": sum(1 for x in late if x > 5000),
    "over10ms": sum(1 for x in late if x > 10000),
    "msLostOver1ms": round(sum(x for x in late if x > 1000) / 1000.0, 1),
}))
