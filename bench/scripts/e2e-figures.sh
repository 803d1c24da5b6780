#!/bin/sh
# The end-to-end figures of BENCHMARKS.md in one go: 5,000/s and 50,000/s (TCP, WebSocket and the floor, three runs
# each, medians computed by summarize.py), then --find-max with one and with 100 leaf updates per publish. Usage, from the repository root after `./mvnw install`:
#   bench/scripts/e2e-figures.sh [out-dir]        (default: bench/target/e2e-figures)
# Extra server JVM options: SERVER_OPTS="..." (default: the bench command's default); engine settings through
# TREECAST_* variables, e.g. TREECAST_ENGINE_DISPATCHER_THREADS=0 (inherited by the embedded server).
set -eu
out=${1:-bench/target/e2e-figures}
mkdir -p "$out"
bin=distribution/target/treecast/bin/treecast
opts=${SERVER_OPTS:-}
run() {
    name=$1; shift
    echo "== $name: $*" >&2
    if [ -n "$opts" ]; then
        "$bin" bench --json "$@" --server-java-opts "$opts" > "$out/$name.json" 2> "$out/$name.log" || true
    else
        "$bin" bench --json "$@" > "$out/$name.json" 2> "$out/$name.log" || true
    fi
}
for i in 1 2 3; do
    run "rate5000-$i" --rate 5000 --duration 15 --warmup 5 --transport tcp,ws --floor
done
for i in 1 2 3; do
    run "rate50000-$i" --rate 50000 --duration 15 --warmup 5 --transport tcp,ws --floor
done
run "findmax-1ms" --find-max --rate 5000 --p99-limit 1 --duration 10 --warmup 5 --transport tcp,ws --floor
# publishers that batch: 100 leaf updates per publish (the rate still counts leaf updates)
run "findmax-1ms-batch100" --find-max --batch 100 --rate 50000 --p99-limit 1 --duration 10 --warmup 5 --transport tcp,ws
run "findmax-10ms-batch100" --find-max --batch 100 --rate 50000 --p99-limit 10 --duration 10 --warmup 5 --transport tcp
python3 "$(dirname "$0")/summarize.py" "$out"
