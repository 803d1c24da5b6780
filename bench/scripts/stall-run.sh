#!/bin/bash
# Does a STRICT `treecast sub '**'` that asked for no outbox ride out stalls of its process under load? A fresh
# `treecast serve` (SARGS, default --in-memory), a `treecast sub '**' --strict` process writing every change to a file,
# and `treecast bench --url` publishing RATE/s; after the warm-up the sub process is stopped (SIGSTOP) for each of
# STALLS seconds in turn, GAP seconds apart. At the end: did it end (SLOW_CONSUMER), and are the seqs it printed
# gap-free (one change per batch, so consecutive) up to the server's last seq?
# Usage, from the repository root after `./mvnw install -DskipTests`:
#   bench/scripts/stall-run.sh LABEL OUT
# Environment: SARGS ("--in-memory"), RATE (50000), DUR (40), WARMUP (5), STALLS ("0.2 1 5"), GAP (5).
# Writes OUT/LABEL-N.stall.json (the verdict), .bench.json, .bench.log, .server.log, .sub.err. Run it in a quiet window.
set -u
. "$(dirname "$0")/serve-lib.sh"
init_run "$1" "$2" .stall.json
base="$out/$label-$n"
port=$(free_port)
data=$(mktemp -d /tmp/treecast-stall.XXXXXX)
# shellcheck disable=SC2086 # SARGS is a list on purpose
start_serve "$base.server.log" "$data" --tcp-port "$port" --ws-port 0 ${SARGS:---in-memory} || { rm -rf "$data"; exit 1; }
server=$SERVER
metrics=$METRICS
changes="$data/sub.out"
"$bin" sub '**' --strict --url "tcp://127.0.0.1:$port" > "$changes" 2> "$base.sub.err" &
sub=$!
sleep 2
"$bin" bench --json --url "tcp://127.0.0.1:$port" --metrics-url "$metrics" --rate "${RATE:-50000}" \
    --duration "${DUR:-40}" --warmup "${WARMUP:-5}" > "$base.bench.json" 2> "$base.bench.log" &
bench=$!
sleep "$(( ${WARMUP:-5} + 5 ))"
stalls=""
for s in ${STALLS:-0.2 1 5}; do
    kill -STOP "$sub"
    sleep "$s"
    # what the server holds for it at the end of the stall (all outboxes; the others keep up)
    held=$(curl -s --max-time 2 "$metrics/metrics" | awk '/^treecast_engine_outbox_bytes /{print $2}')
    kill -CONT "$sub"
    stalls="$stalls{\"seconds\":$s,\"outboxBytesAtEnd\":${held:-null}},"
    echo "== $label run $n: stalled $s s, outboxes held ${held:-?} bytes" >&2
    sleep "${GAP:-5}"
done
wait "$bench"
last=$(curl -s --max-time 2 "$metrics/metrics" | awk '/^treecast_engine_seq /{printf "%d", $2}')
ends=$(curl -s --max-time 2 "$metrics/metrics" | awk '/^treecast_engine_slow_consumer_ends_total /{printf "%d", $2}')
# let the sub catch up with the last batch (the bench's final delete of its leaves is one batch of many lines: wait
# until the file stops growing too), then stop it
for _ in $(seq 1 100); do
    tail -c 200 "$changes" | grep -q "^\[$last\] " && break
    kill -0 "$sub" 2>/dev/null || break
    sleep 0.2
done
size=-1
while [ "$(stat -c %s "$changes")" != "$size" ]; do size=$(stat -c %s "$changes"); sleep 1; done
alive=false
kill -0 "$sub" 2>/dev/null && alive=true
kill -TERM "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
verdict=$(python3 - "$changes" "$last" <<'EOF'
import re, sys
path, last = sys.argv[1], int(sys.argv[2] or 0)
prev = first = None
gaps = lines = 0
with open(path, errors="replace") as f:
    for line in f:
        m = re.match(r"\[(\d+)\] ", line)
        if not m:
            continue
        s = int(m.group(1))
        lines += 1
        if prev is not None and (s > prev + 1 or s < prev):  # a batch of several changes repeats its seq
            gaps += 1
        if first is None:
            first = s
        prev = s
print('"changes":%d,"firstSeq":%s,"lastSeqPrinted":%s,"gaps":%d,"serverLastSeq":%d' % (lines, first, prev, gaps, last))
EOF
)
echo "{\"label\":\"$label\",\"run\":$n,\"stalls\":[${stalls%,}],\"subAliveAtEnd\":$alive,\"slowConsumerEnds\":${ends:-null},$verdict,\"subErr\":$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()[-300:]))' "$base.sub.err")}" \
    | tee "$base.stall.json"
kill -TERM "$server"
wait "$server" 2>/dev/null
rm -rf "$data"
sleep 3
