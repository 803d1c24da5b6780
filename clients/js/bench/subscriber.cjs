// How many updates/s ONE JavaScript subscriber over WebSocket keeps up with, in order. For each offered rate, a
// publisher process (bench/publisher.cjs, TCP) sends single-leaf changes for --duration seconds; the subscriber
// (STRICT policy: falling behind ends the stream with SLOW_CONSUMER instead of dropping) counts the changes it
// receives, checks that seqs only grow, and reports received/s. The figure is the highest rate it kept up with.
//
//   ./mvnw -o -q -B -pl distribution -am package -DskipTests && (cd clients/js && npm ci && npm run build)
//   node clients/js/bench/subscriber.cjs --rates 10000,25000,50000,100000 --duration 10
//   (or against a running server: --url ws://127.0.0.1:7071/rsocket --tcp tcp://127.0.0.1:7070)
const { spawn } = require("node:child_process");
const path = require("node:path");
const { connect } = require("..");
const { startServer } = require("../test/server.cjs");

function args(defaults) {
  const a = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
  return a;
}

function publish(tcp, rate, duration, prefix) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(__dirname, "publisher.cjs"), "--url", tcp, "--rate", String(rate),
      "--duration", String(duration), "--prefix", prefix, "--batch", "1"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop())) : reject(new Error(`publisher exited ${code}`))));
  });
}

(async () => {
  const o = args({ rates: "10000,25000,50000,100000", duration: 10 });
  const server = o.url ? null : await startServer();
  const ws = o.url ?? server.ws;
  const tcp = o.tcp ?? server.tcp;
  console.log(`# one JS subscriber over ${ws}, node ${process.version}, STRICT, 64 events per frame`);
  const client = await connect(ws, { clientName: "js-bench-subscriber" });
  for (const rate of o.rates.split(",").map(Number)) {
    const prefix = `bench${rate}`;
    let received = 0;
    let lastSeq = 0;
    let inOrder = true;
    let done = false;
    let end = null;
    const sub = client.subscribe(`${prefix}/**`, { policy: "STRICT", eventsPerFrame: 64, demand: 256 }, {
      onEvent(e) {
        if (e.seq <= lastSeq) inOrder = false;
        lastSeq = e.seq;
        for (const c of e.changes) {
          if (c.path === `${prefix}/done`) done = true;
          else if (c.path !== `${prefix}/warm`) received++;
        }
      },
      onEnd(e) { end = e; },
    });
    await client.set(`${prefix}/warm`, 0);
    const t0 = performance.now();
    const pub = await publish(tcp, rate, Number(o.duration), prefix);
    while (!done && !end && performance.now() - t0 < (Number(o.duration) + 30) * 1000) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t0) / 1000;
    const kept = !end && received === pub.published && inOrder;
    console.log(JSON.stringify({ offered: rate, published: pub.published, received, receivedPerSecond: Math.round(received / seconds),
      inOrder, ended: end ? end.code : null, keptUp: kept }));
    sub.cancel();
  }
  client.close();
  await server?.stop();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
