#!/bin/bash
# One A/B run the way a user meets the server: a fresh `treecast serve` with its defaults (durable unless SARGS has
# --in-memory), SETTLE seconds after it listens, then `treecast bench --url ... --metrics-url ... --json`. Alternate
# labels in a loop for a side-by-side comparison; summarize with bench/scripts/headline-summary.py OUT.
# Usage, from the repository root after `./mvnw install -DskipTests`:
#   bench/scripts/ab-run.sh LABEL OUT
# Environment: SARGS (extra serve flags), BARGS (extra bench flags, e.g. --pacing-tick-us 100), SJOPTS / BJOPTS (TREECAST_JAVA_OPTS of the server / the bench JVM, e.g. to
# add a -D switch or a profiler), STASK / BTASK (a command prefix, e.g. "taskset -c 0"), RATE (50000), DUR (20),
# WARMUP (10), SETTLE (5), TRANSPORT (tcp, or ws: the bench connects to the server's WebSocket listener). Writes OUT/LABEL-N.json, .meta.json, .log, .server.log and .metrics.txt (the server's
# refusal and publish-pause counters at the end). Run it in a quiet window.
set -u
label=$1
out=$2
mkdir -p "$out"
bin=distribution/target/treecast/bin/treecast
n=$(( $(ls "$out"/"$label"-*.meta.json 2>/dev/null | wc -l) + 1 ))
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
wsport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="tcp://127.0.0.1:$port"
[ "${TRANSPORT:-tcp}" = ws ] && url="ws://127.0.0.1:$wsport/rsocket --transport ws"
data=$(mktemp -d /tmp/treecast-ab.XXXXXX)
log="$out/$label-$n.server.log"
start=$(date +%s.%N)
# shellcheck disable=SC2086 # the flags and prefixes are lists on purpose
${STASK:-} ${SJOPTS:+env TREECAST_JAVA_OPTS="$SJOPTS"} "$bin" serve --tcp-port "$port" --ws-port "$wsport" --set metrics.port=0 \
    --set durability.data-dir="$data" ${SARGS:-} > "$log" 2>&1 &
server=$!
until grep -q "listening on" "$log" 2>/dev/null; do
    if ! kill -0 "$server" 2>/dev/null; then echo "server exited: see $log" >&2; rm -rf "$data"; exit 1; fi
    sleep 0.1
done
ready=$(date +%s.%N)
sleep "${SETTLE:-5}"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $label run $n: server up in $(echo "$ready - $start" | bc) s, load $load" >&2
# the CLI's own "... metrics on http://..." line follows the server's first "listening on" line
for _ in $(seq 1 50); do grep -q "metrics on http" "$log" && break; sleep 0.1; done
metrics=$(grep -o "metrics on http://[0-9.:]*" "$log" | head -1 | cut -d' ' -f3)
# shellcheck disable=SC2086
${BTASK:-} ${BJOPTS:+env TREECAST_JAVA_OPTS="$BJOPTS"} "$bin" bench --json --url $url \
    ${metrics:+--metrics-url "$metrics"} --rate "${RATE:-50000}" --duration "${DUR:-20}" --warmup "${WARMUP:-10}" ${BARGS:-} \
    > "$out/$label-$n.json" 2> "$out/$label-$n.log" || true
echo "{\"mode\":\"$label\",\"run\":$n,\"startSeconds\":$(echo "$ready - $start" | bc),\"loadBefore\":\"$load\",\"loadAfter\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" \
    > "$out/$label-$n.meta.json"
# the server's own counters of refusals and pauses, for the record (the bench reads the refusals itself)
[ -n "$metrics" ] && curl -s --max-time 2 "$metrics/metrics" \
    | grep -E '^treecast_(gateway_publish_pauses|gateway_rejected_without_answer|engine_batches_rejected)_total ' \
    > "$out/$label-$n.metrics.txt"
kill -TERM "$server"
wait "$server" 2>/dev/null
rm -rf "$data"
sleep 3
