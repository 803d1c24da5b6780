#!/bin/sh
# The headline figure the way a user meets it: `treecast serve` started with its defaults (in memory, then with its
# embedded Kafka broker), then `treecast bench --url` against it, RUNS times each, one JSON line per run with
# latency, loss (and how many publishes the server refused) and CPU per update (server, its broker child, the load generator), and the load average before
# each run. Medians: bench/scripts/headline-summary.py <out-dir>.
# Usage, from the repository root after `./mvnw install -DskipTests`:
#   bench/scripts/headline.sh [out-dir]     RATE=50000 DURATION=20 WARMUP=10 RUNS=3 MODES="memory durable"
# Run it in a quiet window: nothing else building or testing on the machine.
set -eu
out=${1:-bench/target/headline}
rate=${RATE:-50000}
duration=${DURATION:-20}
warmup=${WARMUP:-10}
runs=${RUNS:-3}
modes=${MODES:-memory durable}
mkdir -p "$out"
bin=distribution/target/treecast/bin/treecast
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

for mode in $modes; do
    for i in $(seq 1 "$runs"); do
        data=$(mktemp -d /tmp/treecast-headline.XXXXXX)
        log="$out/$mode-$i.server.log"
        args="serve --tcp-port $port --ws-port 0 --set metrics.port=0 --set durability.data-dir=$data"
        [ "$mode" = memory ] && args="$args --in-memory"
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$bin" $args > "$log" 2>&1 &
        server=$!
        until grep -q "listening on" "$log" 2>/dev/null; do
            if ! kill -0 "$server" 2>/dev/null; then echo "server exited: see $log" >&2; exit 1; fi
            sleep 0.1
        done
        ready=$(date +%s.%N)
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        echo "== $mode run $i: server up in $(echo "$ready - $start" | bc) s, load $load" >&2
        # the server's metrics URL from its startup line: the bench then counts the publishes it refused
        metrics=$(grep -o "metrics on http://[0-9.:]*" "$log" | head -1 | cut -d' ' -f3)
        "$bin" bench --json --url "tcp://127.0.0.1:$port" ${metrics:+--metrics-url "$metrics"} --rate "$rate" --duration "$duration" --warmup "$warmup" \
            > "$out/$mode-$i.json" 2> "$out/$mode-$i.log" || true
        echo "{\"mode\":\"$mode\",\"run\":$i,\"startSeconds\":$(echo "$ready - $start" | bc),\"loadBefore\":\"$load\",\"loadAfter\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" \
            > "$out/$mode-$i.meta.json"
        kill -TERM "$server"
        wait "$server" 2>/dev/null || true
        rm -rf "$data"
        sleep 3
    done
done
python3 bench/scripts/headline-summary.py "$out"
