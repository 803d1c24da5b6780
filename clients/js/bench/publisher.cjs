// Publishes leaf updates at a fixed offered rate (fire-and-forget batches over TCP) for the JS benchmarks:
// node bench/publisher.cjs --url tcp://127.0.0.1:7070 --rate 50000 --duration 10 --leaves 1000 --batch 10 --prefix bench
// Prints one JSON line at the end: {"offered":..,"published":..,"seconds":..}.
const { connect, ChangeBatch } = require("..");

function args(defaults) {
  const a = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
  return a;
}

(async () => {
  const o = args({ url: "tcp://127.0.0.1:7070", rate: 50000, duration: 10, leaves: 1000, batch: 10, prefix: "bench" });
  const rate = Number(o.rate);
  const batch = Number(o.batch);
  const leaves = Number(o.leaves);
  const client = await connect(o.url, { clientName: "js-bench-publisher" });
  const paths = Array.from({ length: leaves }, (_, i) => `${o.prefix}/g${i % 10}/k${Math.floor(i / 10)}`);
  const start = performance.now();
  const end = start + Number(o.duration) * 1000;
  let published = 0;
  let n = 0;
  while (performance.now() < end) {
    // catch up to the schedule of the intended send times (no coordinated omission in the offered load)
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (published + batch <= due) {
      const b = new ChangeBatch();
      for (let i = 0; i < batch; i++) b.set(paths[n++ % leaves], n);
      await client.publish(b);
      published += batch;
    }
    await new Promise((r) => setImmediate(r));
  }
  // an update with an answer: everything published before it was applied
  await client.set(`${o.prefix}/done`, published);
  console.log(JSON.stringify({ offered: rate, published, seconds: (performance.now() - start) / 1000 }));
  client.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
