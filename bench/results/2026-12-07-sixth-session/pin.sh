#!/bin/bash
# pin only the JMH worker thread (the fork's busiest thread, 4 s in) to CPU $1; print iteration scores (M ops/s)
cd /work/main
java -jar bench/target/benchmarks.jar EngineThroughputBenchmark -p changesPerBatch=1 -f 1 -wi 2 -i 10 -w 1 -r 1 > /tmp/pin.out 2>&1 &
j=$!
sleep 2; pid=$(pgrep -f CompileCommandFile | head -1); sleep 3
tid=$(for t in /proc/$pid/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat 2>/dev/null)"; done | sort -k2 -n | tail -1 | cut -d' ' -f1)
[ "$1" != none ] && taskset -p -c $1 $tid > /dev/null
wait $j
grep -E "^Iteration" /tmp/pin.out | awk '{printf "%.2f ", $(NF-1)/1e6} END {print ""}'
