// The web console in a real browser: Debian's headless Chromium (scripts/ensure-chromium.sh), driven by
// puppeteer-core, against the packaged server process that serves the page. A screenshot is saved under target/.
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const puppeteer = require("puppeteer-core");
const { startServer } = require("./server.cjs");
const { connect, ChangeBatch } = require("..");

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const TARGET = path.join(__dirname, "../target");

/** The flags every browser test uses: headless, no sandbox (root in CI), nothing that phones home. */
function chromiumArgs(userDataDir) {
  return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", `--user-data-dir=${userDataDir}`, "--window-size=1280,900"];
}

let server;
let browser;
let page;
let writer;
let profile;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run clients/js/scripts/ensure-chromium.sh (the build does)`);
  server = await startServer();
  writer = await connect(server.tcp);
  // 100,000 leaves: 100 groups of 1000, and a flat node of 5,000 siblings (more than one page)
  await writer.ingest((function* () {
    for (let g = 0; g < 100; g++) {
      yield ChangeBatch.of((b) => { for (let k = 0; k < 1000; k++) b.set(`big/g${String(g).padStart(2, "0")}/k${String(k).padStart(3, "0")}`, k); });
    }
    for (let i = 0; i < 5; i++) yield ChangeBatch.of((b) => { for (let k = 0; k < 1000; k++) b.set(`flat/k${i * 1000 + k}`, k); });
  })());
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "treecast-chromium-"));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, args: chromiumArgs(profile), headless: true, pipe: true, defaultViewport: { width: 1280, height: 900 } });
  page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(server.http + "/", { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("state").textContent === "connected", { timeout: 10_000 });
});

after(async () => {
  if (page) {
    fs.mkdirSync(TARGET, { recursive: true });
    await page.screenshot({ path: path.join(TARGET, "console.png"), fullPage: false }).catch(() => undefined);
  }
  await browser?.close();
  writer?.close();
  await server?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

const row = (p) => `[data-path="${p}"]`;

/** Clicks the ▸ of an inner node of the tree and waits for its first child row. */
async function expand(p, firstChild) {
  await page.waitForSelector(`${row(p)} .toggle`, { timeout: 10_000 });
  await page.click(`${row(p)} .toggle`);
  await page.waitForSelector(row(firstChild), { timeout: 20_000 });
}

/**
 * Installs a freeze probe: the longest task that held the page's main thread since now (Long Tasks API). A page that
 * loaded a 100,000-leaf tree whole would hold it for many seconds; the bound leaves room for a loaded CI machine.
 */
async function watchFrames() {
  await page.evaluate(() => {
    window.__gap = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__gap = Math.max(window.__gap, e.duration);
    }).observe({ type: "longtask" });
  });
}

const FREEZE_MS = 2000;

describe("the web console", () => {
  it("connects to the ws address the server gave in console/config.json and lists the root", async () => {
    const url = await page.$eval("#url", (e) => e.value);
    assert.equal(url, server.ws);
    await page.waitForSelector(row("big"));
    await page.waitForSelector(row("flat"));
  });

  it("shows a leaf set by the CLI within a second, with its value, type and seq", async () => {
    await page.type("#pattern", "e2e/**");
    await page.click("#pattern-form button");
    await page.waitForFunction(() => /0 matching/.test(document.getElementById("pattern-info").textContent) || document.getElementById("pattern-info").textContent === "…");
    const out = await server.cli("set", "e2e/live/x", "42");
    const seq = /seq=(\d+)/.exec(out)[1];
    const setAt = Date.now();
    await page.waitForSelector(`#matches ${row("e2e/live/x")}`, { timeout: 1000 });
    const cells = await page.$$eval(`#matches ${row("e2e/live/x")} td`, (tds) => tds.map((t) => t.textContent));
    assert.ok(Date.now() - setAt <= 1000);
    assert.deepEqual(cells, ["e2e/live/x", "42", "int", seq]);
    // and it is in the tree once its level is open
    await expand("e2e", "e2e/live");
    await expand("e2e/live", "e2e/live/x");
  });

  it("the pattern box filters: only matching leaves are shown, and they update live", async () => {
    await writer.update((b) => b.set("e2e/m/bid", 1.5).set("e2e/m/ask", 1.6).set("e2e/n/bid", 2.5));
    await page.$eval("#pattern", (e) => (e.value = ""));
    await page.type("#pattern", "e2e/**/bid");
    await page.click("#pattern-form button");
    await page.waitForSelector(`#matches ${row("e2e/n/bid")}`);
    await page.waitForSelector(`#matches ${row("e2e/m/bid")}`);
    const paths = await page.$$eval("#matches tr", (trs) => trs.map((t) => t.dataset.path));
    assert.deepEqual(paths.sort(), ["e2e/m/bid", "e2e/n/bid"]);
    await writer.set("e2e/m/bid", 1.75);
    await page.waitForFunction((sel) => document.querySelector(sel + " td:nth-child(2)")?.textContent === "1.75", {}, `#matches ${row("e2e/m/bid")}`);
  });

  it("a delete from the page removes the row", async () => {
    await page.type("#set-path", "e2e/m/bid");
    await page.click("#delete");
    await page.waitForFunction(() => /^ok seq=\d+$/.test(document.getElementById("set-result").textContent));
    await page.waitForFunction((sel) => !document.querySelector(sel), { timeout: 2000 }, `#matches ${row("e2e/m/bid")}`);
    assert.equal((await writer.get("e2e/m/bid")).leaves.length, 0);
    // and a set from the page lands; a bad path shows the server's code
    await page.$eval("#set-path", (e) => (e.value = "e2e/page/x"));
    await page.type("#set-value", "hello");
    const before = await page.$eval("#set-result", (e) => e.textContent);
    await page.click("#set");
    await page.waitForFunction((was) => {
      const now = document.getElementById("set-result").textContent;
      return now !== was && /^ok seq=\d+$/.test(now);
    }, {}, before);
    assert.deepEqual((await writer.get("e2e/page/x")).leaves[0].value, { kind: "string", value: "hello" });
    await page.$eval("#set-path", (e) => (e.value = "e2e//bad"));
    await page.click("#set");
    await page.waitForFunction(() => document.getElementById("set-result").textContent.startsWith("INVALID_PATH: "));
  });

  it("opens a 100,000-leaf tree level by level without freezing the page", async () => {
    await watchFrames();
    await expand("big", "big/g00");
    assert.equal(await page.$$eval(`${row("big")} ~ .kids > div > .row`, (r) => r.length), 100);
    await expand("big/g42", "big/g42/k999");
    // rows render only while on screen: scroll to the last one
    await page.$eval(row("big/g42/k999"), (e) => e.scrollIntoView());
    await page.waitForFunction((sel) => document.querySelector(sel + " .value")?.textContent === "999", {}, row("big/g42/k999"));
    await expand("flat", "flat/k0");
    // 5,000 siblings: the first page only, and a link to the next
    const shown = await page.$$eval(`${row("flat")} ~ .kids > div > .row`, (r) => r.length);
    assert.ok(shown > 0 && shown <= 1000, `${shown} rows shown`);
    await page.waitForSelector(`${row("flat")} ~ .kids > .more`);
    await page.waitForFunction((sel) => document.querySelector(sel + " .value")?.textContent !== "", {}, row("flat/k0"));
    const gap = await page.evaluate(() => window.__gap);
    assert.ok(gap < FREEZE_MS, `a task held the page for ${gap} ms`);
    const rendered = await page.$$eval(".tree .row", (r) => r.length);
    assert.ok(rendered < 3000, `${rendered} rows in the DOM: the tree was not loaded whole`);
  });

  it("keeps rendering while a leaf changes fast, and charts it", async () => {
    await page.click(`${row("big/g42/k000")} .value`);
    await watchFrames();
    const before = await page.evaluate(() => window.treecastConsole.frames());
    for (let i = 0; i < 20; i++) await writer.ingest((function* () { for (let k = 0; k < 50; k++) yield ChangeBatch.of((b) => b.set("big/g42/k000", i * 50 + k)); })());
    await page.waitForFunction((sel) => document.querySelector(sel + " .value")?.textContent === "999", {}, row("big/g42/k000"));
    assert.ok((await page.evaluate(() => window.treecastConsole.frames())) > before);
    assert.ok((await page.evaluate(() => window.__gap)) < FREEZE_MS);
    assert.equal(await page.$eval("#chart-path", (e) => e.textContent), "big/g42/k000");
  });
});

describe("the web console on a server with tokens", () => {
  let secured;
  let authPage;
  before(async () => {
    secured = await startServer("--set", "auth.tokens=s3cret");
    const w = await connect(secured.tcp, { token: "s3cret" });
    await w.set("secret/leaf", 1);
    w.close();
    authPage = await browser.newPage();
    await authPage.goto(secured.http + "/", { waitUntil: "load" });
  });
  after(async () => {
    await authPage?.close();
    await secured?.stop();
  });

  it("asks for a token, shows UNAUTHORIZED for a wrong one, and browses with the right one", async () => {
    await authPage.waitForSelector("#token:not([hidden])");
    assert.match(await authPage.$eval("#auth-message", (e) => e.textContent), /needs a token/);
    await authPage.type("#token", "nope");
    await authPage.click("#connect");
    await authPage.waitForFunction(() => /UNAUTHORIZED/.test(document.getElementById("auth-message").textContent), { timeout: 10_000 });
    await authPage.$eval("#token", (e) => (e.value = ""));
    await authPage.type("#token", "s3cret");
    await authPage.click("#connect");
    await authPage.waitForSelector(row("secret"), { timeout: 10_000 });
    assert.equal(await authPage.$eval("#state", (e) => e.textContent), "connected");
  });
});
