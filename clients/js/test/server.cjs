// Starts the REAL packaged server (distribution/target/treecast/bin/treecast serve --in-memory) on free ports of
// 127.0.0.1 and stops it (SIGTERM, then SIGKILL) when the test file is done. Build the distribution first:
// ./mvnw -o -q -B -pl distribution -am package -DskipTests
const { spawn, execFile } = require("node:child_process");
const path = require("node:path");
const fs = require("node:fs");

const DIST = process.env.TREECAST_DIST || path.join(__dirname, "../../../distribution/target/treecast");
const BIN = path.join(DIST, "bin/treecast");

async function startServer(...extra) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`${BIN} is missing: package the distribution first (./mvnw -o -q -B -pl distribution -am package -DskipTests)`);
  }
  // TREECAST_DIST is this test's own variable: serve refuses a TREECAST_* variable that is not one of its keys
  const env = { ...process.env };
  delete env.TREECAST_DIST;
  const child = spawn(BIN, ["serve", "--in-memory", "--host", "127.0.0.1", "--tcp-port", "0", "--ws-port", "0",
    "--set", "metrics.port=0", ...extra], { stdio: ["ignore", "pipe", "pipe"], detached: false, env });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s: ${err}`)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.substring(0, nl));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${out}${err}`));
    });
  });
  const tcp = /(tcp:\/\/\S+)/.exec(line)[1];
  const ws = /(ws:\/\/\S+)/.exec(line)[1];
  const http = /metrics on (http:\/\/\S+)/.exec(line)[1];
  return {
    tcp, ws, http, process: child,
    log: () => err,
    /** Runs the CLI against this server: resolves to its stdout, rejects with its stderr on a non-zero exit. */
    cli(...args) {
      return new Promise((resolve, reject) => execFile(BIN, [...args, "--url", tcp], (e, stdout, stderr) => (e ? reject(new Error(stderr || e.message)) : resolve(stdout))));
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Resolves when `condition()` is truthy, polling every 10 ms; rejects with `what` after `ms`. */
async function until(condition, what, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await condition();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

module.exports = { startServer, until, BIN, DIST };
