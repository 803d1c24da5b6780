// The five-minute tour of clients/js/README.md: node examples/tour.cjs [ws://127.0.0.1:7071/rsocket]
const { connect, ChangeBatch, Value, TreecastError, formatValue } = require("..");

(async () => {
  const client = await connect(process.argv[2] ?? "ws://127.0.0.1:7071/rsocket");   // or tcp://127.0.0.1:7070

  const seq = await client.set("markets/eu/fx/EURUSD/bid", 1.0842);     // a double; 7 is an int, "x" a string
  console.log("set at seq", seq);
  await client.update((b) => b.set("markets/eu/fx/EURUSD/ask", 1.0844).set("markets/us/fx/USDJPY/bid", Value.double(151)));

  const snap = await client.get("markets/**/bid");                       // exact at one seq
  for (const leaf of snap.leaves) console.log(leaf.path, "=", formatValue(leaf.value), `(${leaf.value.kind}, seq ${leaf.seq})`);

  const sub = client.subscribe("markets/{eu,us}/**", { snapshot: true }, {
    onEvent: (e) => console.log(e.kind, e.seq, e.changes.map((c) => `${c.path}${c.deleted ? " deleted" : " = " + formatValue(c.value)}`)),
    onEnd: (error) => console.log("ended", error?.code ?? "cleanly"),
  });

  const fx = client.mirror("markets/eu/fx/**");                          // a live replica that reconnects and resumes
  await fx.ready;
  await client.set("markets/eu/fx/EURUSD/bid", 1.085);
  await client.delete("markets/us");                                      // a whole subtree
  await new Promise((r) => setTimeout(r, 100));
  console.log("mirror:", [...fx.entries()].map(([p, e]) => `${p}=${formatValue(e.value)}`).join(", "), "at seq", fx.seq);

  function* load() { for (let i = 0; i < 10_000; i++) yield ChangeBatch.of((b) => b.set(`load/k${i % 100}`, i)); }
  console.log("ingest:", await client.ingest(load()));                   // taken only as fast as the server asks

  try {
    await client.set("a//b", 1);
  } catch (e) {
    if (e instanceof TreecastError) console.log("error:", e.code, "-", e.reason);
  }
  sub.cancel();
  client.close();
})();
