#!/bin/bash
# per-thread context switches and CPU of server and loadgen at RATE for 10 s in the steady state
cd /work/main
. bench/scripts/serve-lib.sh
OUT=/work/notes/ctx; mkdir -p $OUT
port=$(free_port); data=$(mktemp -d)
SJOPTS="-Xms256m -Xmx2g -XX:+UseZGC -Dio.netty.leakDetection.level=disabled ${XOPTS:-}" start_serve $OUT/server.log $data --in-memory --tcp-port $port --ws-port 0 ${SARGS:-} || exit 1
sleep 3
${BJOPTS:+env TREECAST_JAVA_OPTS="$BJOPTS"} $BIN bench --json --url tcp://127.0.0.1:$port --rate ${RATE:-50000} --duration 25 --warmup 10 > $OUT/bench.json 2> $OUT/bench.log &
bpid=$!
sleep 20
snap() { for t in /proc/$1/task/*; do echo "$(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat) $(grep -E '^(non)?voluntary' $t/status | awk '{print $2}' | tr '\n' ' ')"; done; }
snap $SERVER > $OUT/s0; snap $bpid > $OUT/b0
sleep 10
snap $SERVER > $OUT/s1; snap $bpid > $OUT/b1
wait $bpid
kill $SERVER; wait $SERVER 2>/dev/null; rm -rf $data
for w in s b; do
python3 - $OUT/${w}0 $OUT/${w}1 <<'P'
import sys,collections
def rd(f):
    d=collections.defaultdict(lambda:[0,0,0])
    for l in open(f):
        p=l.split()
        if len(p)<4: continue
        k=p[0]
        import re; k=re.sub(r'-?\d+$','',k)
        v=d[k]; v[0]+=int(p[1]); v[1]+=int(p[2]); v[2]+=int(p[3])
    return d
a=rd(sys.argv[1]); b=rd(sys.argv[2])
for k in sorted(b, key=lambda k: -(b[k][0]-a.get(k,[0,0,0])[0])):
    x=[b[k][i]-a.get(k,[0,0,0])[i] for i in range(3)]
    if x[0]==0 and x[1]<10: continue
    print(f"{k:28s} cpu {x[0]/10:6.1f}%  vol/s {x[1]/10:8.0f}  invol/s {x[2]/10:6.0f}")
P
echo
done
grep -o '"p50us":[0-9.]*\|"p99us":[0-9.]*\|"cpuCoreMicrosPerUpdate":{[^}]*}\|"lost":[0-9]*' $OUT/bench.json
