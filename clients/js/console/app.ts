// The web console: a lazy tree browser, a pattern watcher, a live chart, set/delete, and the server's figures,
// all on the browser build of the Treecast client. Bundled by scripts/bundle.cjs into the observability jar.
import {
  ClientSubscription, create, formatValue, numberOf, TreecastClient, TreecastError, TreeEvent, TreeValue, Value, ValueInput,
} from "../src/browser";

/** Per row, at most this many renders a second whatever the update rate (the rest is conflated). */
const ROW_RENDERS_PER_SECOND = 30;
/** Rows rendered in one frame at most, so that a frame stays short under any load. */
const ROWS_PER_FRAME = 1000;
/** Children listed per page of a node. */
const PAGE = 1000;
/** Leaves the pattern table shows at most. */
const MAX_MATCHES = 2000;
/** How often an open node's listing is refreshed (new or removed inner nodes). */
const RELIST_MS = 1000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface Cell {
  value?: TreeValue;
  seq: number;
  deleted: boolean;
}

/** How long a changed row stays highlighted; a row is highlighted at most once per this period. */
const FLASH_MS = 400;

/**
 * One rendered leaf: its latest state, applied to the DOM at most ROW_RENDERS_PER_SECOND times a second, and only
 * while the row is on screen (an IntersectionObserver tells); a row scrolled away is rendered when it comes back.
 */
class LeafRow {
  latest: Cell = { seq: 0, deleted: false };
  lastRender = -1e9;
  flashedAt = -1e9;
  rendered = false;
  visible = true;
  /** Changed while off screen: render when it becomes visible. */
  stale = false;
  constructor(readonly path: string, readonly valueEl: HTMLElement, readonly typeEl: HTMLElement, readonly seqEl: HTMLElement,
              readonly flashEl: HTMLElement, readonly onDeleted: () => void) {
    rowOf.set(flashEl, this);
    visibility.observe(flashEl);
  }

  /** Forgets the row (its node was closed or the pattern changed). */
  dispose(): void {
    visibility.unobserve(this.flashEl);
    dirty.delete(this);
  }

  render(now: number): void {
    const c = this.latest;
    if (c.deleted) {
      visibility.unobserve(this.flashEl);
      this.onDeleted();
      return;
    }
    if (c.value) {
      this.valueEl.textContent = formatValue(c.value, c.value.kind === "string");
      this.typeEl.textContent = c.value.kind;
    }
    this.seqEl.textContent = String(c.seq);
    if (this.rendered && now - this.flashedAt > FLASH_MS) {
      this.flashEl.classList.add("flash");
      this.flashedAt = now;
      flashing.push(this);
    }
    this.rendered = true;
    this.lastRender = now;
  }
}

const rowOf = new WeakMap<Element, LeafRow>();
const visibility = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const row = rowOf.get(e.target);
    if (!row) continue;
    row.visible = e.isIntersecting;
    if (row.visible && row.stale) {
      row.stale = false;
      dirty.add(row);
    }
  }
});
/** Rows highlighted, oldest first: the highlight is taken off FLASH_MS later. */
let flashing: LeafRow[] = [];

/** Rows with a state not yet on screen; drained once per animation frame. */
const dirty = new Set<LeafRow>();
let updatesSeen = 0;
let frames = 0;
let maxSeq = 0;

function touch(row: LeafRow, cell: Cell): void {
  if (cell.seq < row.latest.seq) return;
  row.latest = cell;
  dirty.add(row);
  updatesSeen++;
  if (cell.seq > maxSeq) maxSeq = cell.seq;
}

function frame(now: number): void {
  frames++;
  let budget = ROWS_PER_FRAME;
  const minGap = 1000 / ROW_RENDERS_PER_SECOND;
  for (const row of dirty) {
    if (budget <= 0) break;
    if (!row.visible && !row.latest.deleted) {
      dirty.delete(row);
      row.stale = true;
      continue;
    }
    if (now - row.lastRender < minGap && row.rendered && !row.latest.deleted) continue;
    dirty.delete(row);
    row.render(now);
    budget--;
  }
  let cooled = 0;
  while (cooled < flashing.length && now - flashing[cooled].flashedAt >= FLASH_MS / 2) flashing[cooled++].flashEl.classList.remove("flash");
  if (cooled > 0) flashing = flashing.slice(cooled);
  $("seq").textContent = String(maxSeq);
  chart.draw();
  requestAnimationFrame(frame);
}

// ---- connection ----

let client: TreecastClient | null = null;
let config: { websocket: { scheme?: string; port: number; path: string }; auth: boolean } | null = null;

function defaultUrl(): string {
  const q = new URLSearchParams(location.search).get("ws");
  if (q) return q;
  if (!config || !config.websocket.port) return "";
  const scheme = config.websocket.scheme ?? (location.protocol === "https:" ? "wss" : "ws");
  return `${scheme}://${location.hostname}:${config.websocket.port}${config.websocket.path}`;
}

function showState(state: string, error?: TreecastError): void {
  const el = $("state");
  el.textContent = state + (error ? ` (${error.code})` : "");
  el.className = "state " + state;
  el.title = error ? error.message : "";
  if (error && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN")) askForToken(error.message);
}

function askForToken(why: string): void {
  $("token").hidden = false;
  const m = $("auth-message");
  m.hidden = false;
  m.textContent = `${why} — enter a token and connect.`;
  $("token").focus();
}

function start(): void {
  const url = ($("url") as HTMLInputElement).value.trim();
  const token = ($("token") as HTMLInputElement).value;
  if (token) sessionStorage.setItem("treecast.token", token);
  if (client) client.close();
  tree.reset();
  patterns.stop();
  $("auth-message").hidden = true;
  try {
    client = create(url, { token: token || undefined, clientName: "treecast-console" });
  } catch (e) {
    showState("disconnected", TreecastError.from(e));
    return;
  }
  client.onStateChange((s, error) => showState(s, error));
  client.connect().then(() => tree.open(""), (e) => showState("disconnected", TreecastError.from(e)));
  if (patterns.pattern) patterns.watch(patterns.pattern);
}

/** Calls that may fail tell the user; a lost connection is retried by the next call (and by the relist timer). */
function report(e: unknown, where: HTMLElement): void {
  const err = TreecastError.from(e);
  where.textContent = err.message;
  where.className = "info error";
}

/** Adds an error line to a node's children (the rows stay). */
function note(where: HTMLElement, e: unknown): void {
  const line = document.createElement("div");
  report(e, line);
  where.appendChild(line);
}

// ---- tree ----

interface OpenNode {
  path: string;
  kids: HTMLElement;
  rows: Map<string, { el: HTMLElement; leaf: boolean; row?: LeafRow; node?: OpenNode; toggle?: HTMLElement }>;
  subs: ClientSubscription[];
  timer: ReturnType<typeof setInterval> | undefined;
  /** Names listed so far (paging), and whether the listing had more. */
  listed: number;
  more: boolean;
  moreEl: HTMLElement | null;
  /** Alternation subscriptions per page when the node is too big for `path/*`. */
  perPage: boolean;
}

const join = (parent: string, name: string) => (parent === "" ? name : parent + "/" + name);

const tree = {
  root: null as OpenNode | null,

  reset(): void {
    if (this.root) this.close(this.root);
    this.root = null;
    $("tree").textContent = "";
  },

  async open(path: string, container?: HTMLElement): Promise<OpenNode | null> {
    if (!client) return null;
    const kids = container ?? $("tree");
    const node: OpenNode = { path, kids, rows: new Map(), subs: [], timer: undefined, listed: 0, more: false, moreEl: null, perPage: false };
    if (path === "") this.root = node;
    try {
      await this.page(node);
    } catch (e) {
      note(kids, e);
      return node;
    }
    node.timer = setInterval(() => void this.relist(node), RELIST_MS);
    return node;
  },

  /** Lists the next page of children and subscribes to the values of its leaves. */
  async page(node: OpenNode): Promise<void> {
    const after = node.listed === 0 ? "" : [...node.rows.keys()].sort().pop() ?? "";
    const page = await client!.children(node.path, { limit: PAGE, after });
    const first = node.listed === 0;
    node.listed += page.children.length;
    node.more = page.more;
    for (const c of page.children) this.addRow(node, c.name, c.leaf);
    if (first && !page.more) {
      // a node small enough to list whole: one subscription covers its leaves, also those added later
      node.subs.push(this.watch(node, node.path === "" ? "*" : node.path + "/*"));
    } else {
      node.perPage = true;
      const leaves = page.children.filter((c) => c.leaf).map((c) => c.name);
      for (const alt of alternations(leaves)) node.subs.push(this.watch(node, (node.path === "" ? "" : node.path + "/") + alt));
    }
    if (node.moreEl) node.moreEl.remove();
    node.moreEl = null;
    if (page.more) {
      const more = document.createElement("div");
      more.className = "more";
      more.textContent = `… more children after ${node.listed} (load ${PAGE} more)`;
      more.onclick = () => void this.page(node).catch((e) => report(e, more));
      node.kids.appendChild(more);
      node.moreEl = more;
    }
  },

  watch(node: OpenNode, pattern: string): ClientSubscription {
    return client!.subscribe(pattern, { snapshot: true }, {
      onEvent: (e: TreeEvent) => {
        for (const c of e.changes) {
          const name = c.path.substring(node.path === "" ? 0 : node.path.length + 1);
          let r = node.rows.get(name);
          if (!r && !c.deleted && !node.perPage) r = this.addRow(node, name, true);
          if (r && r.row) touch(r.row, { value: c.value, seq: c.seq, deleted: c.deleted });
        }
      },
      onEnd: (error) => {
        if (error) note(node.kids, error);
      },
    });
  },

  addRow(node: OpenNode, name: string, leaf: boolean) {
    const existing = node.rows.get(name);
    if (existing) return existing;
    const el = document.createElement("div");
    const line = document.createElement("div");
    line.className = "row " + (leaf ? "leaf" : "inner");
    line.dataset.path = join(node.path, name);
    const toggle = document.createElement("span");
    toggle.className = "toggle";
    const nameEl = document.createElement("span");
    nameEl.className = "name";
    nameEl.textContent = name;
    line.append(toggle, nameEl);
    el.appendChild(line);
    const entry: { el: HTMLElement; leaf: boolean; row?: LeafRow; node?: OpenNode; toggle?: HTMLElement } = { el, leaf };
    if (leaf) {
      const value = document.createElement("span");
      value.className = "value";
      const type = document.createElement("span");
      type.className = "type";
      const seq = document.createElement("span");
      seq.className = "seq";
      line.append(value, type, seq);
      const path = join(node.path, name);
      value.onclick = () => chart.follow(path, entry.row!);
      entry.row = new LeafRow(path, value, type, seq, line, () => {
        el.remove();
        node.rows.delete(name);
      });
    } else {
      toggle.textContent = "▸";
      entry.toggle = toggle;
      const kids = document.createElement("div");
      kids.className = "kids";
      el.appendChild(kids);
      toggle.onclick = async () => {
        if (entry.node) {
          this.close(entry.node);
          entry.node = undefined;
          toggle.textContent = "▸";
          kids.textContent = "";
        } else {
          toggle.textContent = "▾";
          entry.node = (await this.open(join(node.path, name), kids)) ?? undefined;
        }
      };
    }
    // keep rows sorted by name: the listing is sorted, later arrivals are inserted in place
    const next = firstAfter(node.rows.keys(), name);
    node.kids.insertBefore(el, next === undefined ? node.moreEl : node.rows.get(next)!.el);
    node.rows.set(name, entry);
    return entry;
  },

  /** New inner nodes appear (and vanished ones go) without a subscription below this level. */
  async relist(node: OpenNode): Promise<void> {
    if (!client || node.perPage) return;
    try {
      const page = await client.children(node.path, { limit: PAGE });
      if (page.more) return;
      const now = new Set(page.children.map((c) => c.name));
      for (const c of page.children) if (!c.leaf) this.addRow(node, c.name, false);
      for (const [name, r] of node.rows) {
        if (!r.leaf && !now.has(name)) {
          if (r.node) this.close(r.node);
          r.el.remove();
          node.rows.delete(name);
        }
      }
    } catch {
      // the state badge shows a lost connection; the next tick tries again
    }
  },

  close(node: OpenNode): void {
    if (node.timer) clearInterval(node.timer);
    for (const s of node.subs) s.cancel();
    node.subs = [];
    for (const r of node.rows.values()) {
      if (r.node) this.close(r.node);
      if (r.row) r.row.dispose();
    }
    node.rows.clear();
  },
};

/** The smallest of `names` that sorts after `name` (rows are kept in name order). */
function firstAfter(names: Iterable<string>, name: string): string | undefined {
  let best: string | undefined;
  for (const n of names) if (n > name && (best === undefined || n < best)) best = n;
  return best;
}

const utf8 = new TextEncoder();

/** `{a,b,c}` alternations within the server's pattern limits: one segment of at most 255 bytes, 256 names. */
function alternations(names: string[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let bytes = 2;
  for (const n of names) {
    const size = utf8.encode(n).length + 1;
    if (cur.length && (cur.length >= 256 || bytes + size > 255)) {
      out.push(cur.length === 1 ? cur[0] : `{${cur.join(",")}}`);
      cur = [];
      bytes = 2;
    }
    cur.push(n);
    bytes += size;
  }
  if (cur.length) out.push(cur.length === 1 ? cur[0] : `{${cur.join(",")}}`);
  return out;
}

// ---- pattern ----

const patterns = {
  pattern: "",
  sub: null as ClientSubscription | null,
  rows: new Map<string, { tr: HTMLElement; row: LeafRow }>(),
  shown: -1,

  stop(): void {
    this.sub?.cancel();
    this.sub = null;
    for (const r of this.rows.values()) r.row.dispose();
    this.rows.clear();
    $("matches").textContent = "";
  },

  watch(pattern: string): void {
    this.stop();
    this.shown = -1;
    this.pattern = pattern;
    const info = $("pattern-info");
    info.className = "info";
    if (!pattern || !client) {
      info.textContent = "";
      return;
    }
    info.textContent = "…";
    this.sub = client.subscribe(pattern, { snapshot: true }, {
      onEvent: (e) => {
        for (const c of e.changes) {
          let r = this.rows.get(c.path);
          if (!r && !c.deleted && this.rows.size < MAX_MATCHES) r = this.add(c.path);
          if (r) touch(r.row, { value: c.value, seq: c.seq, deleted: c.deleted });
        }
        if (this.rows.size !== this.shown) {
          this.shown = this.rows.size;
          info.textContent = `${this.rows.size} matching leaves${this.rows.size >= MAX_MATCHES ? ` (showing the first ${MAX_MATCHES})` : ""}`;
        }
      },
      onEnd: (error) => {
        if (error) report(error, info);
      },
    });
  },

  add(path: string) {
    const tr = document.createElement("tr");
    tr.dataset.path = path;
    const cells = [0, 1, 2, 3].map(() => document.createElement("td"));
    cells[0].textContent = path;
    tr.append(...cells);
    const body = $("matches");
    const after = firstAfter(this.rows.keys(), path);
    body.insertBefore(tr, after === undefined ? null : this.rows.get(after)!.tr);
    const row = new LeafRow(path, cells[1], cells[2], cells[3], tr, () => {
      tr.remove();
      this.rows.delete(path);
      $("pattern-info").textContent = `${this.rows.size} matching leaves`;
    });
    cells[1].onclick = () => chart.follow(path, row);
    const entry = { tr, row };
    this.rows.set(path, entry);
    return entry;
  },
};

// ---- chart ----

const chart = {
  path: "",
  row: null as LeafRow | null,
  points: [] as { t: number; v: number }[],
  lastSeq: 0,

  follow(path: string, row: LeafRow): void {
    this.path = path;
    this.row = row;
    this.points = [];
    this.lastSeq = 0;
    $("chart-path").textContent = path;
  },

  /** Samples the followed leaf once per frame (a conflated view, as the rows) and draws the last 30 s. */
  draw(): void {
    const c = this.row?.latest;
    const now = performance.now();
    if (c && c.seq !== this.lastSeq) {
      this.lastSeq = c.seq;
      const v = numberOf(c.value);
      if (v !== undefined) this.points.push({ t: now, v });
    }
    while (this.points.length && this.points[0].t < now - 30_000) this.points.shift();
    const canvas = $("chart") as HTMLCanvasElement;
    const g = canvas.getContext("2d");
    if (!g || !this.row) return;
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (this.points.length === 0) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of this.points) {
      lo = Math.min(lo, p.v);
      hi = Math.max(hi, p.v);
    }
    if (hi === lo) {
      hi += 1;
      lo -= 1;
    }
    g.strokeStyle = "#1f3a5f";
    g.beginPath();
    this.points.forEach((p, i) => {
      const x = canvas.width - ((now - p.t) / 30_000) * canvas.width;
      const y = canvas.height - 6 - ((p.v - lo) / (hi - lo)) * (canvas.height - 12);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = "#555";
    g.fillText(`${hi.toPrecision(6)}`, 4, 12);
    g.fillText(`${lo.toPrecision(6)}`, 4, canvas.height - 4);
  },
};

// ---- set / delete ----

function typed(text: string, type: string): ValueInput {
  switch (type) {
    case "string": return Value.string(text);
    case "int": return Value.int(BigInt(text));
    case "double": return Value.double(Number(text));
    case "bool": return Value.bool(text === "true");
    default:
      if (text === "true" || text === "false") return text === "true";
      if (/^-?\d+$/.test(text)) return Value.int(BigInt(text));
      if (text.trim() !== "" && !Number.isNaN(Number(text))) return Value.double(Number(text));
      return text;
  }
}

async function setOrDelete(del: boolean): Promise<void> {
  const out = $("set-result");
  out.className = "info";
  out.textContent = "…";
  if (!client) return;
  const path = ($("set-path") as HTMLInputElement).value.trim();
  try {
    const seq = del ? await client.delete(path)
      : await client.set(path, typed(($("set-value") as HTMLInputElement).value, ($("set-type") as HTMLSelectElement).value));
    out.textContent = `ok seq=${seq}`;
  } catch (e) {
    report(e, out);
  }
}

// ---- server figures (from /metrics) ----

function metric(text: string, name: string, label?: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    if (label && !line.includes(label)) continue;
    const v = Number(line.substring(line.lastIndexOf(" ") + 1));
    if (!Number.isNaN(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

let lastChanges: { t: number; n: number } | null = null;

async function figures(): Promise<void> {
  try {
    // with metrics.require-token the port asks for the same token as the WebSocket listener
    const token = sessionStorage.getItem("treecast.token");
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const res = await fetch("metrics", { cache: "no-store", headers });
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    const text = await res.text();
    const changes = metric(text, "treecast_engine_changes_applied_total") ?? 0;
    const now = performance.now();
    const rate = lastChanges ? ((changes - lastChanges.n) * 1000) / (now - lastChanges.t) : 0;
    lastChanges = { t: now, n: changes };
    const p99 = metric(text, "treecast_delivery_latency_percentile_seconds", 'quantile="0.99"');
    const kafka = metric(text, "treecast_kafka_reachable");
    const parts = [
      `${Math.round(rate).toLocaleString()} changes/s`,
      `leaves ${metric(text, "treecast_engine_leaves") ?? "?"}`,
      `subscriptions ${metric(text, "treecast_engine_subscriptions") ?? "?"}`,
      `connections ${metric(text, "treecast_gateway_connections") ?? "?"}`,
      p99 !== undefined ? `p99 ${(p99 * 1e6).toFixed(0)} µs` : "",
      kafka === undefined ? "Kafka off" : kafka > 0 ? "Kafka up" : "Kafka DOWN",
    ];
    $("figures").textContent = parts.filter(Boolean).join(" · ");
  } catch {
    $("figures").textContent = "no /metrics";
  }
}

// ---- start ----

declare global {
  interface Window {
    treecastConsole: { frames: () => number; updates: () => number; client: () => TreecastClient | null; watch: (p: string) => void };
  }
}
window.treecastConsole = { frames: () => frames, updates: () => updatesSeen, client: () => client, watch: (p) => patterns.watch(p) };

async function boot(): Promise<void> {
  try {
    const r = await fetch("console/config.json", { cache: "no-store" });
    if (r.ok) config = await r.json();
  } catch {
    // no config: the user types the URL
  }
  ($("url") as HTMLInputElement).value = defaultUrl();
  const saved = sessionStorage.getItem("treecast.token");
  if (saved) ($("token") as HTMLInputElement).value = saved;
  $("connect-form").onsubmit = (e) => {
    e.preventDefault();
    start();
  };
  $("pattern-form").onsubmit = (e) => {
    e.preventDefault();
    patterns.watch(($("pattern") as HTMLInputElement).value.trim());
  };
  $("set-form").onsubmit = (e) => {
    e.preventDefault();
    void setOrDelete(false);
  };
  $("delete").onclick = () => void setOrDelete(true);
  requestAnimationFrame(frame);
  void figures();
  setInterval(() => void figures(), 2000);
  if (config?.auth && !saved) {
    askForToken("this server needs a token");
    return;
  }
  if (($("url") as HTMLInputElement).value) start();
}

void boot();
