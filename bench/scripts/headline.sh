#!/bin/sh
# The headline figure the way a user meets it: `treecast serve` started with its defaults (in memory, then with its
# embedded Kafka broker), then `treecast bench --url` against it the moment it listens, RUNS times each, one JSON line
# per run with latency, loss (and how many publishes the server refused) and CPU per update (server, its broker
# child, the load generator), and the load average before each run. Each run is bench/scripts/ab-run.sh with no
# settle time. Medians: bench/scripts/headline-summary.py <out-dir>.
# Usage, from the repository root after `./mvnw install -DskipTests`:
#   bench/scripts/headline.sh [out-dir]     RATE=50000 DURATION=20 WARMUP=10 RUNS=3 MODES="memory durable"
# Run it in a quiet window: nothing else building or testing on the machine.
set -eu
out=${1:-bench/target/headline}
runs=${RUNS:-3}
modes=${MODES:-memory durable}
mkdir -p "$out"

for mode in $modes; do
    sargs=""
    [ "$mode" = memory ] && sargs="--in-memory"
    for i in $(seq 1 "$runs"); do
        SARGS="$sargs" SETTLE=0 RATE="${RATE:-50000}" DUR="${DURATION:-20}" WARMUP="${WARMUP:-10}" \
            bench/scripts/ab-run.sh "$mode" "$out"
    done
done
python3 bench/scripts/headline-summary.py "$out"
