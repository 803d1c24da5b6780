// The JavaScript client against the real packaged server process, over TCP and WebSocket.
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const net = require("node:net");
const { startServer, until } = require("./server.cjs");
const { connect, ChangeBatch, Value, TreecastError, TreecastClient, transportFor } = require("..");

let server;
let tcp;
let ws;

before(async () => {
  server = await startServer("--set", "limits.max-value-bytes=1024", "--set", "limits.max-subscriptions-per-connection=8",
    "--set", "engine.max-outbox-capacity=65536");
  tcp = await connect(server.tcp, { clientName: "js-test" });
  ws = await connect(server.ws);
});

after(async () => {
  tcp?.close();
  ws?.close();
  await server?.stop();
});

/** Events of a subscription, collected; `ended` tells how it ended. */
function collect(client, pattern, options = {}) {
  const events = [];
  let end;
  const sub = client.subscribe(pattern, options, { onEvent: (e) => events.push(e), onEnd: (e) => (end = e ?? "completed") });
  return { sub, events, ended: () => end, changes: () => events.flatMap((e) => e.changes) };
}

async function rejectsWith(promise, code, fragment) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof TreecastError, `not a TreecastError: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.reason, fragment);
    return true;
  });
}

describe("values and writes", () => {
  it("every value kind round-trips exactly over TCP and WebSocket", async () => {
    const big = 2n ** 62n + 7n;
    for (const [client, at] of [[tcp, "types/tcp"], [ws, "types/ws"]]) {
      await client.update((b) => b.set(`${at}/s`, "héllo").set(`${at}/i`, big).set(`${at}/n`, -5).set(`${at}/d`, 1.0842)
        .set(`${at}/whole`, Value.double(2)).set(`${at}/b`, true).set(`${at}/raw`, new Uint8Array([0, 255, 7])));
      const got = Object.fromEntries((await client.get(`${at}/*`)).leaves.map((l) => [l.path.split("/").pop(), l.value]));
      assert.deepEqual(got.s, { kind: "string", value: "héllo" });
      assert.deepEqual(got.i, { kind: "int", value: big });
      assert.deepEqual(got.n, { kind: "int", value: -5n });
      assert.deepEqual(got.d, { kind: "double", value: 1.0842 });
      assert.deepEqual(got.whole, { kind: "double", value: 2 });
      assert.deepEqual(got.b, { kind: "bool", value: true });
      assert.deepEqual([...got.raw.value], [0, 255, 7]);
    }
  });

  it("update applies a batch atomically under one seq and a delete removes a whole subtree", async () => {
    const s = collect(ws, "atomic/**", { snapshot: true });
    await until(() => s.events.some((e) => e.kind === "SNAPSHOT_END"), "the snapshot end");
    const seq = await tcp.update(ChangeBatch.of((b) => b.set("atomic/a/x", 1).set("atomic/a/y", 2).set("atomic/z", 3)));
    const update = await until(() => s.events.find((e) => e.kind === "UPDATE"), "the update");
    assert.equal(update.seq, seq);
    assert.deepEqual(update.changes.map((c) => [c.path, c.seq]), [["atomic/a/x", seq], ["atomic/a/y", seq], ["atomic/z", seq]]);
    const del = await tcp.delete("atomic/a");
    await until(() => s.events.some((e) => e.seq === del), "the delete");
    assert.deepEqual(s.events.find((e) => e.seq === del).changes.map((c) => [c.path, c.deleted]), [["atomic/a/x", true], ["atomic/a/y", true]]);
    assert.deepEqual((await tcp.get("atomic/**")).leaves.map((l) => l.path), ["atomic/z"]);
    s.sub.cancel();
  });

  it("a DURABLE ack on a server in memory is UNAVAILABLE with the server's reason", async () => {
    await rejectsWith(tcp.set("durable/x", 1, "DURABLE"), "UNAVAILABLE", /in memory/);
    assert.ok((await tcp.set("durable/x", 1, "APPLIED")) > 0);
  });

  it("publish is fire-and-forget and lands", async () => {
    await ws.publish((b) => b.set("pub/x", "fired"));
    await until(async () => (await ws.get("pub/x")).leaves.length === 1, "the published leaf");
  });

  it("children lists one level sorted, and pages", async () => {
    await tcp.update((b) => b.set("kids/b/deep", 1).set("kids/a", 1).set("kids/c", 1));
    const all = await ws.children("kids");
    assert.deepEqual(all.children, [{ name: "a", leaf: true }, { name: "b", leaf: false }, { name: "c", leaf: true }]);
    assert.equal(all.more, false);
    const page = await ws.children("kids", { limit: 2 });
    assert.equal(page.more, true);
    assert.deepEqual((await ws.children("kids", { limit: 2, after: "b" })).children.map((c) => c.name), ["c"]);
  });
});

describe("every error a client can cause has its code and message, and the connection carries on", () => {
  const cases = [
    ["INVALID_PATH", (c) => c.set("a//b", 1), /empty segment/],
    ["INVALID_PATTERN on get", (c) => c.get("a/{b"), /a\/\{b/],
    ["VALUE_TOO_LARGE", (c) => c.set("big/x", "x".repeat(2000)), /limits\.max-value-bytes/],
    ["INVALID_BATCH", (c) => c.update(() => undefined), /no changes|at least one/i],
    ["INVALID_REQUEST on children", (c) => c.children("", { limit: 20000 }), /too large/],
    ["INVALID_PATH on children", (c) => c.children("a//b"), /empty segment/],
  ];
  for (const [name, call, fragment] of cases) {
    it(name, async () => {
      for (const c of [tcp, ws]) {
        await rejectsWith(call(c), name.split(" ")[0], fragment);
        assert.ok((await c.set("still/serves", 1)) > 0);
      }
    });
  }

  it("INVALID_PATTERN and INVALID_REQUEST end a subscription with their code", async () => {
    const bad = collect(ws, "x/**/**/**/**/**", {});
    await until(() => bad.ended(), "the end of the subscription");
    assert.equal(bad.ended().code, "INVALID_PATTERN");
    assert.match(bad.ended().reason, /\*\*/);
    const big = collect(ws, "x/**", { outboxCapacity: 1 << 30 });
    await until(() => big.ended(), "the end of the subscription");
    assert.equal(big.ended().code, "INVALID_REQUEST");
    assert.match(big.ended().reason, /outbox/);
    assert.ok((await ws.set("still/serves", 2)) > 0);
  });

  it("TOO_MANY_SUBSCRIPTIONS past limits.max-subscriptions-per-connection", async () => {
    const c = await connect(server.ws);
    const subs = [];
    for (let i = 0; i < 8; i++) subs.push(collect(c, `many/${i}`, { snapshot: true }));
    await until(() => subs.every((s) => s.events.some((e) => e.kind === "SNAPSHOT_END")), "8 subscriptions");
    const ninth = collect(c, "many/9", {});
    await until(() => ninth.ended(), "the refusal");
    assert.equal(ninth.ended().code, "TOO_MANY_SUBSCRIPTIONS");
    assert.match(ninth.ended().reason, /limits\.max-subscriptions-per-connection/);
    assert.ok((await c.set("many/0", 1)) > 0);
    c.close();
  });

  it("a closed client fails with CLOSED and an unreachable server with CONNECTION", async () => {
    const c = await connect(server.tcp);
    c.close();
    await rejectsWith(c.set("x", 1), "CLOSED", /closed/);
    const port = await freePort();
    await assert.rejects(connect(`tcp://127.0.0.1:${port}`), (e) => e.code === "CONNECTION");
    await assert.rejects(connect(`ws://127.0.0.1:${port}/rsocket`), (e) => e.code === "CONNECTION");
  });
});

describe("subscriptions", () => {
  it("resumeAfter delivers exactly the events after that seq", async () => {
    const first = await tcp.set("resume/a", 1);
    const second = await tcp.set("resume/b", 2);
    const third = await tcp.set("resume/a", 3);
    const s = collect(ws, "resume/**", { resumeAfter: first });
    await until(() => s.events.length >= 2, "the resumed events");
    assert.deepEqual(s.events.map((e) => [e.kind, e.seq]), [["UPDATE", second], ["UPDATE", third]]);
    s.sub.cancel();
  });

  it("STRICT with no demand ends with SLOW_CONSUMER and its last seq, from which a resume misses nothing", async () => {
    const s = collect(ws, "strict/**", { policy: "STRICT", outboxCapacity: 16, manualDemand: true, demand: 1, eventsPerFrame: 1 });
    await until(async () => (await tcp.set("strict/probe", 0)) && s.events.length >= 1, "the first event");
    let n = 0;
    while (!s.ended()) {
      await tcp.set("strict/k", ++n);
      if (n > 5000) assert.fail("no SLOW_CONSUMER after 5000 updates");
    }
    const end = s.ended();
    assert.equal(end.code, "SLOW_CONSUMER");
    assert.equal(typeof end.lastSeq, "number");
    const last = await tcp.set("strict/k", "last");
    const resumed = collect(ws, "strict/**", { resumeAfter: end.lastSeq });
    await until(() => resumed.events.some((e) => e.seq === last), "the resumed stream");
    const seqs = resumed.events.map((e) => e.seq);
    assert.equal(seqs[0], end.lastSeq + 1);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
    resumed.sub.cancel();
  });

  it("manual demand: nothing beyond what was asked for arrives", async () => {
    for (let i = 0; i < 5; i++) await tcp.set(`demand/k${i}`, i);
    const s = collect(ws, "demand/**", { snapshot: true, manualDemand: true, demand: 1, eventsPerFrame: 1 });
    await until(() => s.events.length === 1, "the first event");
    await tcp.set("demand/other", 1); // a round trip: what would have come, has
    assert.equal(s.events.length, 1);
    s.sub.request(2);
    await until(() => s.events.length === 3, "two more");
    s.sub.cancel();
  });
});

describe("ingest", () => {
  it("never takes a batch before the server asked for it, and a refused batch does not end the stream", async () => {
    const total = 3000;
    let taken = 0;
    let acks = 0;
    let maxAhead = 0;
    const errors = [];
    function* source() {
      for (let i = 0; i < total; i++) {
        taken++;
        maxAhead = Math.max(maxAhead, taken - acks);
        yield i === 10 ? ChangeBatch.of((b) => b.set("ingest//bad", 1)) : ChangeBatch.of((b) => b.set(`ingest/k${i % 100}`, i));
      }
    }
    const r = await ws.ingest(source(), (a) => {
      acks++;
      if (a.error) errors.push(a.error);
    });
    assert.deepEqual(r, { batches: total, refused: 1 });
    assert.equal(errors[0].code, "INVALID_PATH");
    assert.ok(maxAhead <= 257 + 1, `the source ran ${maxAhead} batches ahead of the acks`);
    assert.equal((await ws.get("ingest/k99")).leaves[0].value.value, BigInt(total - 1));
  });
});

describe("mirror", () => {
  it("replicates, then reconnects after the connection is cut and resumes by seq without a new snapshot", async () => {
    const proxy = await cuttableProxy(new URL(server.tcp).port);
    const client = new TreecastClient(transportFor(`tcp://127.0.0.1:${proxy.port}`));
    await tcp.update((b) => b.set("mirror/a", 1).set("mirror/b", 2));
    const seen = [];
    const m = client.mirror("mirror/**", { onChange: (p, v) => seen.push([p, v?.value]) });
    await m.ready;
    assert.equal(m.size, 2);
    await tcp.set("mirror/a", 10);
    await until(() => m.get("mirror/a")?.value.value === 10n, "the live change");
    proxy.cut();
    const whileDown = await tcp.update((b) => b.set("mirror/c", 3).delete("mirror/b"));
    await until(() => m.seq >= whileDown, "the resume after the cut", 15_000);
    assert.ok(m.reconnects >= 1);
    assert.deepEqual([...m.entries()].map(([p, e]) => [p, e.value.value]).sort(), [["mirror/a", 10n], ["mirror/c", 3n]]);
    const truth = await tcp.get("mirror/**");
    assert.deepEqual([...m.entries()].map(([p, e]) => [p, e.seq]).sort(), truth.leaves.map((l) => [l.path, l.seq]).sort());
    assert.ok(proxy.connections() >= 2, "it connected again");
    assert.ok(seen.some(([p, v]) => p === "mirror/b" && v === undefined), "the delete was reported");
    client.close();
    proxy.close();
  });

  it("fails for good on a bad pattern", async () => {
    const m = ws.mirror("mirror/{x");
    await assert.rejects(m.ready, (e) => e.code === "INVALID_PATTERN");
  });
});

describe("token auth", () => {
  let secured;
  before(async () => {
    secured = await startServer("--set", "auth.tokens=s3cret");
  });
  after(async () => {
    await secured?.stop();
  });

  it("without or with a wrong token every call fails UNAUTHORIZED; with the token it works", async () => {
    for (const token of [undefined, "wrong"]) {
      const c = await connect(secured.ws, { token });
      await rejectsWith(c.set("auth/x", 1), "UNAUTHORIZED", /token/);
      c.close();
    }
    const ok = await connect(secured.tcp, { token: "s3cret" });
    assert.ok((await ok.set("auth/x", 1)) > 0);
    ok.close();
  });
});

describe("access rules", () => {
  let ruled;
  let dir;
  before(async () => {
    const fs = require("node:fs");
    const os = require("node:os");
    const path = require("node:path");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "treecast-js-rules-"));
    fs.writeFileSync(path.join(dir, "tokens"), "writer w-token\nalice a-token\n");
    fs.writeFileSync(path.join(dir, "rules.yaml"), [
      "principals:",
      "  writer:",
      '    read:  { allow: ["**"] }',
      '    write: { allow: ["**"] }',
      "  alice:",
      '    read:  { allow: ["markets/**"], deny: ["markets/secret/**"] }',
      '    write: { allow: ["markets/eu/**"] }',
      "",
    ].join("\n"));
    ruled = await startServer("--set", `auth.tokens-file=${path.join(dir, "tokens")}`,
      "--set", `auth.rules-file=${path.join(dir, "rules.yaml")}`);
  });
  after(async () => {
    await ruled?.stop();
    require("node:fs").rmSync(dir, { recursive: true, force: true });
  });

  it("children lists only what the principal may read, and a node it may not read is FORBIDDEN", async () => {
    const w = await connect(ruled.tcp, { token: "w-token" });
    for (const p of ["markets/eu/bid", "markets/secret/plan", "markets/top", "other/x"]) await w.set(p, 1);
    const alice = await connect(ruled.ws, { token: "a-token" });
    assert.deepEqual((await alice.children("markets")).children.map((c) => c.name), ["eu", "top"]);
    assert.deepEqual((await alice.children("")).children.map((c) => c.name), ["markets"]);
    await rejectsWith(alice.children("markets/secret"), "FORBIDDEN", /markets\/secret/);
    await rejectsWith(alice.set("markets/secret/plan", 2), "FORBIDDEN", /may not write/);
    assert.ok((await alice.set("markets/eu/bid", 2)) > 0, "the connection carries on after FORBIDDEN");
    w.close();
    alice.close();
  });
});

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A TCP proxy to the server whose connections can be cut (a network drop), while it keeps accepting new ones. */
function cuttableProxy(targetPort) {
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer((inbound) => {
    accepted++;
    const outbound = net.connect(Number(targetPort), "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    port: server.address().port,
    connections: () => accepted,
    cut: () => { for (const s of sockets) s.destroy(); },
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  })));
}
