// The web console's frame rate while the server delivers 50,000 updates/s to it: a publisher process offers
// --rate single-leaf changes/s over 1000 leaves under fps/**; the page (headless Debian Chromium) has the level
// fps/g0 open (100 leaves) and the pattern box on fps/** (1000 leaves), so every update reaches the page; the page
// conflates rendering to <= 30 renders/s per row. Reports frames/s, the longest frame and the updates/s the page
// received. Note: headless Chromium without a GPU paints in software; the figure is a floor for a desktop browser.
//
//   bash clients/js/scripts/ensure-chromium.sh
//   node clients/js/bench/console-fps.cjs --rate 50000 --duration 10
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const puppeteer = require("puppeteer-core");
const { startServer } = require("../test/server.cjs");
const { connect } = require("..");

function args(defaults) {
  const a = { ...defaults };
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
  return a;
}

(async () => {
  const o = args({ rate: 50000, duration: 10 });
  const server = await startServer();
  const w = await connect(server.tcp);
  await w.update((b) => { for (let i = 0; i < 1000; i++) b.set(`fps/g${i % 10}/k${Math.floor(i / 10)}`, 0); return b; });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "treecast-fps-"));
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium", pipe: true, headless: true,
    defaultViewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`] });
  try {
    const page = await browser.newPage();
    await page.goto(server.http + "/");
    await page.waitForSelector('[data-path="fps"] .toggle');
    await page.click('[data-path="fps"] .toggle');
    await page.waitForSelector('[data-path="fps/g0"] .toggle');
    await page.click('[data-path="fps/g0"] .toggle');
    await page.waitForSelector('[data-path="fps/g0/k0"]');
    await page.evaluate(() => window.treecastConsole.watch("fps/**"));
    const pub = spawn(process.execPath, [path.join(__dirname, "publisher.cjs"), "--url", server.tcp, "--rate", String(o.rate),
      "--duration", String(o.duration), "--prefix", "fps", "--leaves", "1000", "--batch", "10"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    pub.stdout.on("data", (d) => (out += d));
    await new Promise((r) => setTimeout(r, 1000)); // let the rate settle
    const m = await page.evaluate(async (ms) => {
      const f0 = window.treecastConsole.frames();
      const u0 = window.treecastConsole.updates();
      let gap = 0;
      let last = performance.now();
      let run = true;
      const tick = (t) => { gap = Math.max(gap, t - last); last = t; if (run) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, ms));
      run = false;
      const s = (performance.now() - t0) / 1000;
      return { fps: (window.treecastConsole.frames() - f0) / s, longestFrameMs: gap, pageUpdatesPerSecond: (window.treecastConsole.updates() - u0) / s };
    }, (Number(o.duration) - 2) * 1000);
    await new Promise((r) => pub.on("exit", r));
    console.log(JSON.stringify({ offered: Number(o.rate), publisher: JSON.parse(out.trim() || "{}"), fps: Math.round(m.fps * 10) / 10,
      longestFrameMs: Math.round(m.longestFrameMs), pageUpdatesPerSecond: Math.round(m.pageUpdatesPerSecond) }));
  } finally {
    await browser.close();
    w.close();
    await server.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
