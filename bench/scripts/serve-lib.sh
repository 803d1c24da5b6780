#!/bin/bash
# Shared by the run scripts (source it): start a fresh `treecast serve` on free loopback ports and wait until it
# listens and has printed its metrics address.
#   free_port                      -> prints a free loopback port
#   start_serve LOG DATA ARGS...   -> starts `treecast serve ARGS... --set durability.data-dir=DATA` (plus any
#                                     SJOPTS / STASK of the caller) writing LOG; sets SERVER (pid), READY (date +%s.%N
#                                     when it listened) and METRICS (http://host:port); returns 1 if it exited first
#   init_run LABEL OUT SUFFIX      -> sets label, out (created), bin and n: the next run number of LABEL in OUT,
#                                     counting its files that end in SUFFIX
BIN=distribution/target/treecast/bin/treecast

init_run() {
    label=$1
    out=$2
    mkdir -p "$out"
    bin=$BIN
    n=$(( $(ls "$out"/"$label"-*"$3" 2>/dev/null | wc -l) + 1 ))
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_serve() {
    local log=$1 data=$2
    shift 2
    # shellcheck disable=SC2086 # the prefixes are lists on purpose
    ${STASK:-} ${SJOPTS:+env TREECAST_JAVA_OPTS="$SJOPTS"} "$BIN" serve --set metrics.port=0 \
        --set durability.data-dir="$data" "$@" > "$log" 2>&1 &
    SERVER=$!
    until grep -q "listening on" "$log" 2>/dev/null; do
        if ! kill -0 "$SERVER" 2>/dev/null; then echo "server exited: see $log" >&2; return 1; fi
        sleep 0.1
    done
    READY=$(date +%s.%N)
    # the CLI's own "... metrics on http://..." line follows the server's first "listening on" line
    for _ in $(seq 1 50); do grep -q "metrics on http" "$log" && break; sleep 0.1; done
    METRICS=$(grep -o "metrics on http://[0-9.:]*" "$log" | head -1 | cut -d' ' -f3)
}
