#!/bin/bash
# One run against a fresh `treecast serve --in-memory` (its defaults) while the server's /metrics is sampled every
# 250 ms: the engine's inbound queue depth, the fullest subscription outbox and the largest connection send backlog.
# Shows which side falls behind while a cold server and a cold load generator warm up.
# Usage, from the repository root after `./mvnw install -DskipTests`:
#   bench/scripts/cold-sampled-run.sh LABEL OUT
# Environment: RATE (50000), DUR (5), WARMUP (10). Writes OUT/LABEL-N.json, .log, .server.log and .samples (one line
# per sample: epoch seconds, then metric value pairs). Run it in a quiet window.
set -u
label=$1
out=$2
mkdir -p "$out"
bin=distribution/target/treecast/bin/treecast
n=$(( $(ls "$out"/"$label"-*.json 2>/dev/null | wc -l) + 1 ))
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="$out/$label-$n.server.log"
"$bin" serve --in-memory --tcp-port "$port" --ws-port 0 --set metrics.port=0 > "$log" 2>&1 &
server=$!
until grep -q "listening on" "$log" 2>/dev/null; do
    if ! kill -0 "$server" 2>/dev/null; then echo "server exited: see $log" >&2; exit 1; fi
    sleep 0.1
done
metrics=$(grep -o "metrics on http://[0-9.:]*" "$log" | head -1 | cut -d' ' -f3)
sleep 1
(
    while kill -0 "$server" 2>/dev/null; do
        echo "$(date +%s.%N) $(curl -s --max-time 1 "$metrics/metrics" \
            | grep -E '^treecast_(gateway_send_backlog_max_bytes|engine_inbound_depth|engine_outbox_depth_max) ' | tr '\n' ' ')"
        sleep 0.25
    done
) > "$out/$label-$n.samples" &
sampler=$!
"$bin" bench --json --url "tcp://127.0.0.1:$port" --metrics-url "$metrics" --rate "${RATE:-50000}" \
    --duration "${DUR:-5}" --warmup "${WARMUP:-10}" > "$out/$label-$n.json" 2> "$out/$label-$n.log" || true
kill -TERM "$server"
wait "$server" 2>/dev/null
kill "$sampler" 2>/dev/null
sleep 2
