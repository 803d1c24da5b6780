#!/bin/bash
# profile server (and load generator) at 50k/s in the steady state
cd /work/main
. bench/scripts/serve-lib.sh
OUT=${OUT:-/work/notes/prof}; mkdir -p $OUT
EV=${EV:-cpu}
port=$(free_port); data=$(mktemp -d)
SJOPTS="-Xms256m -Xmx2g -XX:+UseZGC -Dio.netty.leakDetection.level=disabled ${XOPTS:-} -agentpath:/tmp/ap/linux-x64/libasyncProfiler.so=start,event=$EV,interval=997us,threads,loop=10s,collapsed,file=$OUT/server-%t.collapsed" start_serve $OUT/server.log $data --in-memory --tcp-port $port --ws-port 0 || exit 1
sleep 5
env TREECAST_JAVA_OPTS="-Xms1g -Xmx1g -XX:+UseZGC -Dio.netty.leakDetection.level=disabled -agentpath:/tmp/ap/linux-x64/libasyncProfiler.so=start,event=$EV,interval=997us,threads,loop=10s,collapsed,file=$OUT/loadgen-%t.collapsed" $BIN bench --json --url tcp://127.0.0.1:$port --metrics-url $METRICS --rate ${RATE:-50000} --duration 30 --warmup 10 > $OUT/bench.json 2> $OUT/bench.log &
bpid=$!
wait $bpid
kill $SERVER; wait $SERVER 2>/dev/null; rm -rf $data
python3 bench/scripts/headline-summary.py $OUT 2>/dev/null | tail -2
grep -o '"serverCpuMicrosPerUpdate":[0-9.]*\|"p50[^,]*\|"p99"[^,]*' $OUT/bench.json | head
