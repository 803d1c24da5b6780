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
. "$(dirname "$0")/serve-lib.sh"
init_run "$1" "$2" .meta.json
port=$(free_port)
wsport=$(free_port)
url="tcp://127.0.0.1:$port"
[ "${TRANSPORT:-tcp}" = ws ] && url="ws://127.0.0.1:$wsport/rsocket --transport ws"
data=$(mktemp -d /tmp/treecast-ab.XXXXXX)
log="$out/$label-$n.server.log"
start=$(date +%s.%N)
# shellcheck disable=SC2086 # SARGS is a list on purpose
start_serve "$log" "$data" --tcp-port "$port" --ws-port "$wsport" ${SARGS:-} || { rm -rf "$data"; exit 1; }
server=$SERVER
ready=$READY
metrics=$METRICS
sleep "${SETTLE:-5}"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $label run $n: server up in $(echo "$ready - $start" | bc) s, load $load" >&2
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
