import { Buffer } from "buffer";
import { ClientTransport, Payload, RSocket, RSocketConnector } from "rsocket-core";
import { encodeCompositeMetadata, encodeRoute, WellKnownMimeType } from "rsocket-composite-metadata";
import { TreecastError } from "./errors";
import { fromWire, toSeq, toWire, TreeValue, ValueInput, valueOf } from "./values";
import { EVENT_KINDS, pb, Reader } from "./wire";
import { Mirror, MirrorOptions } from "./mirror";
import type { Type } from "protobufjs/light";

/** How long `update` waits: until the engine applied the batch, or until Kafka acknowledged it too. */
export type AckMode = "APPLIED" | "DURABLE";
/** What the server does when a subscriber falls behind (proto/README.md, tree.subscribe). */
export type Policy = "CONFLATE" | "STRICT";
/** The connection's state, as `onStateChange` reports it. */
export type ConnectionState = "connecting" | "connected" | "disconnected" | "closed";

/** Settings of a client. */
export interface ClientOptions {
  /** The token the server expects at SETUP when it has `auth.tokens`. */
  token?: string;
  /** Shows up in the server's logs and metrics. */
  clientName?: string;
  /** Keep-alive interval in ms (default 15000; the server accepts 1000 up to below its idle timeout). */
  keepAliveMs?: number;
  /** How long a request may wait for its answer before it fails with TIMEOUT, in ms (default 30000; 0 = forever). */
  requestTimeoutMs?: number;
}

/** One change as a subscriber or a snapshot sees it: a set (value) or a delete, with the seq that made it. */
export interface LeafChange {
  path: string;
  /** The new value; undefined for a delete. */
  value?: TreeValue;
  deleted: boolean;
  /** The seq of the batch that made this change (already resolved from the event's seq). */
  seq: number;
}

/** One element of a subscription (see proto/README.md, tree.subscribe). */
export interface TreeEvent {
  kind: "UPDATE" | "SNAPSHOT" | "SNAPSHOT_END" | "RESET";
  seq: number;
  changes: LeafChange[];
  conflated: boolean;
}

/** The leaves matching a pattern, exact at `seq`. */
export interface Snapshot {
  seq: number;
  leaves: LeafChange[];
}

/** One page of a node's direct children (route tree.children). */
export interface Children {
  seq: number;
  children: { name: string; leaf: boolean }[];
  /** More children follow the last one: ask again with `after` = its name. */
  more: boolean;
}

/** The answer to one batch of `ingest`: its seq, or the error that refused it (the stream goes on). */
export interface IngestAck {
  seq: number;
  error?: TreecastError;
}

/** What to send in one atomic batch; built with {@link ChangeBatch}. */
export class ChangeBatch {
  readonly changes: Record<string, unknown>[] = [];

  /** A batch built by `fill`: `ChangeBatch.of(b => b.set("a/x", 1).delete("a/y"))`. */
  static of(fill: (b: ChangeBatch) => unknown): ChangeBatch {
    const b = new ChangeBatch();
    fill(b);
    return b;
  }

  /** Sets the leaf at `path` (a subtree there is replaced). */
  set(path: string, value: ValueInput): this {
    this.changes.push({ path, set: toWire(valueOf(value)) });
    return this;
  }

  /** Deletes the leaf or the whole subtree at `path`. */
  delete(path: string): this {
    this.changes.push({ path, delete: {} });
    return this;
  }

  /** @internal the encoded `Batch`. */
  encode(ack: AckMode = "APPLIED"): Buffer {
    const bytes = pb.Batch.encode(pb.Batch.fromObject({ changes: this.changes, ack: ack === "DURABLE" ? 1 : 0 })).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/** A batch to send: a ChangeBatch, or a function that fills one. */
export type BatchInput = ChangeBatch | ((b: ChangeBatch) => unknown);

function batchOf(input: BatchInput): ChangeBatch {
  return input instanceof ChangeBatch ? input : ChangeBatch.of(input);
}

/** Settings of one subscription. */
export interface SubscribeOptions {
  /** Send the current state first (SNAPSHOT events, then SNAPSHOT_END). */
  snapshot?: boolean;
  /** Send exactly the matching events with seq above this one (or RESET and a snapshot when it is too old). */
  resumeAfter?: number;
  /** CONFLATE (default) or STRICT. */
  policy?: Policy;
  /** Events the server buffers for this subscriber (0 = the server's default). */
  outboxCapacity?: number;
  /** Events per frame (default 64): events that are ready together travel in one frame. */
  eventsPerFrame?: number;
  /**
   * Frames asked for ahead (RSocket request-n, default 256), topped up as they arrive; with `manualDemand` only
   * this many are asked for and the application asks for more with `request(n)`.
   */
  demand?: number;
  /** The application drives the demand with {@link ClientSubscription.request}. */
  manualDemand?: boolean;
}

/** Callbacks of a subscription. `onEnd` gets null when the stream completed, else the error that ended it. */
export interface SubscriptionHandler {
  onEvent(event: TreeEvent): void;
  onEnd?(error: TreecastError | null): void;
}

/** A live subscription: cancel it to unsubscribe. */
export interface ClientSubscription {
  /** Asks the server for `n` more frames (only needed with `manualDemand`). */
  request(n: number): void;
  /** Ends the subscription (no onEnd call follows). */
  cancel(): void;
  /** The newest seq delivered so far (0 before the first event). */
  readonly lastSeq: number;
  /** Resolves when the stream ends (completed, failed or cancelled); never rejects. */
  readonly ended: Promise<TreecastError | null>;
}

/** Opens one RSocket connection (a transport chosen by the entry point, tcp or ws). */
export type TransportFactory = () => ClientTransport;

const routes = new Map<string, Buffer>();

function route(name: string): Buffer {
  let m = routes.get(name);
  if (!m) {
    m = encodeCompositeMetadata([[WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, encodeRoute(name)]]);
    routes.set(name, m);
  }
  return m;
}

function bytes(message: Type, object: Record<string, unknown>): Buffer {
  const b = message.encode(message.fromObject(object)).finish();
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

type DecodedChange = { path: string; set?: Parameters<typeof fromWire>[0]; delete?: unknown; op?: string; seq?: unknown };

function change(c: DecodedChange, eventSeq: number): LeafChange {
  const own = toSeq(c.seq);
  const seq = own === 0 ? eventSeq : own;
  return c.op === "set" && c.set ? { path: c.path, value: fromWire(c.set), deleted: false, seq } : { path: c.path, deleted: true, seq };
}

function event(e: { kind?: number; seq?: unknown; changes?: DecodedChange[]; conflated?: boolean }): TreeEvent {
  const seq = toSeq(e.seq);
  const changes = e.changes ?? [];
  const out: LeafChange[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) out[i] = change(changes[i], seq);
  return { kind: EVENT_KINDS[e.kind ?? 0], seq, changes: out, conflated: !!e.conflated };
}

/**
 * A Treecast client over one RSocket connection (TCP in Node, WebSocket in Node and browsers). It connects again
 * on the next call after its connection was lost; a call in flight when it drops fails with CONNECTION.
 *
 * ```ts
 * const client = await connect("ws://127.0.0.1:7071/rsocket");
 * const seq = await client.set("markets/eu/fx/EURUSD/bid", 1.0842);
 * await client.update(b => b.set("fx/EURUSD/bid", 1.0842).set("fx/EURUSD/ask", 1.0844), "DURABLE");
 * const fx = client.mirror("fx/**");
 * await fx.ready;
 * console.log(fx.get("fx/EURUSD/bid")?.value);
 * ```
 */
export class TreecastClient {
  private socket: RSocket | null = null;
  private dialing: Promise<RSocket> | null = null;
  private closed = false;
  private stateNow: ConnectionState = "disconnected";
  private readonly listeners = new Set<(s: ConnectionState, error?: TreecastError) => void>();
  private readonly mirrors = new Set<Mirror>();
  /** The error that closed the last connection, if any (e.g. UNAUTHORIZED at SETUP). */
  lastError: TreecastError | undefined;

  constructor(private readonly transport: TransportFactory, readonly options: ClientOptions = {}) {
  }

  /** Connects now (calls connect by themselves when needed); rejects with CONNECTION when the server is not there. */
  async connect(): Promise<this> {
    await this.rsocket();
    return this;
  }

  /** The state of the connection. */
  get state(): ConnectionState {
    return this.stateNow;
  }

  /** Calls `listener` on every change of the connection's state; returns a function that removes it. */
  onStateChange(listener: (state: ConnectionState, error?: TreecastError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(s: ConnectionState, error?: TreecastError): void {
    this.stateNow = s;
    for (const l of this.listeners) {
      try {
        l(s, error);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private rsocket(): Promise<RSocket> {
    if (this.closed) return Promise.reject(new TreecastError("CLOSED", "the client was closed: create a new one"));
    if (this.socket) return Promise.resolve(this.socket);
    if (this.dialing) return this.dialing;
    this.setState("connecting");
    const keepAlive = this.options.keepAliveMs ?? 15_000;
    const connector = new RSocketConnector({
      setup: {
        dataMimeType: "application/x-protobuf",
        metadataMimeType: "message/x.rsocket.composite-metadata.v0",
        keepAlive,
        lifetime: Math.max(keepAlive * 4, 60_000),
        payload: { data: bytes(pb.Setup, { token: this.options.token ?? "", clientName: this.options.clientName ?? "treecast-js" }) },
      },
      fragmentation: { maxOutboundFragmentSize: 65_536 },
      transport: this.transport(),
    });
    const dialing = connector.connect().then(
      (socket) => {
        this.dialing = null;
        if (this.closed) {
          socket.close();
          throw new TreecastError("CLOSED", "the client was closed: create a new one");
        }
        this.socket = socket;
        socket.onClose((e) => {
          if (this.socket === socket) this.socket = null;
          this.lastError = e ? TreecastError.from(e) : undefined;
          this.setState(this.closed ? "closed" : "disconnected", this.lastError);
        });
        this.setState("connected");
        return socket;
      },
      (e) => {
        this.dialing = null;
        const err = new TreecastError("CONNECTION", `cannot connect: ${e instanceof Error && e.message ? e.message : "the server did not answer"}`);
        this.lastError = err;
        this.setState(this.closed ? "closed" : "disconnected", err);
        throw err;
      },
    );
    this.dialing = dialing;
    return dialing;
  }

  private requestResponse(routeName: string, data: Buffer): Promise<Buffer> {
    return this.rsocket().then((socket) => new Promise<Buffer>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = this.options.requestTimeoutMs ?? 30_000;
      const cancellable = socket.requestResponse({ data, metadata: route(routeName) }, {
        onNext(p: Payload) {
          if (timer) clearTimeout(timer);
          resolve(p.data ?? Buffer.alloc(0));
        },
        onComplete() {
          if (timer) clearTimeout(timer);
          resolve(Buffer.alloc(0));
        },
        onError(e: Error) {
          if (timer) clearTimeout(timer);
          reject(TreecastError.from(e));
        },
        onExtension() {},
      });
      if (timeout > 0) {
        timer = setTimeout(() => {
          cancellable.cancel();
          reject(new TreecastError("TIMEOUT", `no answer to ${routeName} within ${timeout} ms (requestTimeoutMs): it may or may not have been applied`));
        }, timeout);
      }
    }));
  }

  /** Sets one leaf; resolves to the seq it was applied under. */
  set(path: string, value: ValueInput, ack: AckMode = "APPLIED"): Promise<number> {
    return this.update((b) => b.set(path, value), ack);
  }

  /** Deletes a leaf or a whole subtree; resolves to the seq. */
  delete(path: string, ack: AckMode = "APPLIED"): Promise<number> {
    return this.update((b) => b.delete(path), ack);
  }

  /**
   * Applies a batch atomically under one seq: `update(b => b.set("a/x", 1).delete("a/y"), "DURABLE")`. With
   * DURABLE it resolves once Kafka acknowledged it (UNAVAILABLE on a server in memory, TIMEOUT when late).
   */
  async update(batch: BatchInput, ack: AckMode = "APPLIED"): Promise<number> {
    const answer = await this.requestResponse("tree.update", batchOf(batch).encode(ack));
    return toSeq((pb.Ack.decode(answer) as unknown as { seq: unknown }).seq);
  }

  /**
   * Fire-and-forget: queues the batch on the connection; no answer, errors are only counted by the server.
   * Resolves once handed to the connection.
   */
  async publish(batch: BatchInput): Promise<void> {
    const socket = await this.rsocket();
    socket.fireAndForget({ data: batchOf(batch).encode(), metadata: route("tree.publish") }, {
      onComplete() {},
      onError() {},
    });
  }

  /** Every leaf matching `pattern`, exact at one seq. */
  async get(pattern: string): Promise<Snapshot> {
    const answer = await this.requestResponse("tree.get", bytes(pb.Get, { pattern }));
    const s = pb.Snapshot.decode(answer) as unknown as { seq: unknown; leaves: DecodedChange[] };
    const seq = toSeq(s.seq);
    return { seq, leaves: s.leaves.map((c) => change(c, seq)) };
  }

  /** The direct children of the node at `path` ("" = the root), sorted by name, one page at a time. */
  async children(path: string, options: { limit?: number; after?: string } = {}): Promise<Children> {
    const answer = await this.requestResponse("tree.children", bytes(pb.ListChildren, { path, limit: options.limit ?? 0, after: options.after ?? "" }));
    const c = pb.Children.decode(answer) as unknown as { seq: unknown; children: { name: string; leaf: boolean }[]; more: boolean };
    return { seq: toSeq(c.seq), children: c.children.map((x) => ({ name: x.name, leaf: !!x.leaf })), more: !!c.more };
  }

  /**
   * Subscribes to the leaves matching `pattern`. Events arrive in seq order; the stream ends only on error,
   * server shutdown or `cancel()`.
   *
   * ```ts
   * const sub = client.subscribe("markets/**", { snapshot: true }, { onEvent: e => console.log(e.kind, e.seq, e.changes) });
   * ```
   */
  subscribe(pattern: string, options: SubscribeOptions, handler: SubscriptionHandler): ClientSubscription {
    const demand = Math.max(1, options.demand ?? 256);
    const perFrame = Math.max(1, options.eventsPerFrame ?? 64);
    const request: Record<string, unknown> = {
      pattern, snapshot: !!options.snapshot, policy: options.policy === "STRICT" ? 1 : 0,
      outboxCapacity: options.outboxCapacity ?? 0, maxEventsPerFrame: perFrame,
    };
    if (options.resumeAfter !== undefined) request.resumeAfter = options.resumeAfter;
    let stream: { request(n: number): void; cancel(): void } | null = null;
    let cancelled = false;
    let done = false;
    let lastSeq = 0;
    let received = 0;
    let pendingRequest = 0;
    let resolveEnded!: (e: TreecastError | null) => void;
    const ended = new Promise<TreecastError | null>((r) => (resolveEnded = r));
    const end = (error: TreecastError | null) => {
      if (done) return;
      done = true;
      resolveEnded(error);
      if (!cancelled && handler.onEnd) handler.onEnd(error);
    };
    const deliver = (e: TreeEvent) => {
      if (e.seq > lastSeq) lastSeq = e.seq;
      handler.onEvent(e);
    };
    this.rsocket().then((socket) => {
      if (cancelled) return;
      stream = socket.requestStream({ data: bytes(pb.Subscribe, request), metadata: route("tree.subscribe") }, demand, {
        onNext(p: Payload) {
          if (done || cancelled) return;
          const data = p.data ?? Buffer.alloc(0);
          try {
            if (perFrame > 1) {
              const r = Reader.create(data);
              while (r.pos < r.len && !cancelled) deliver(event(pb.Event.decodeDelimited(r) as never));
            } else {
              deliver(event(pb.Event.decode(data) as never));
            }
          } catch (e) {
            // the application's handler threw, or the frame is not an Event: end here rather than skip events
            stream?.cancel();
            end(e instanceof TreecastError ? e : new TreecastError("MALFORMED", `cannot handle an event: ${e instanceof Error ? e.message : e}`));
            return;
          }
          if (!options.manualDemand && ++received >= Math.ceil(demand / 2)) {
            stream?.request(received);
            received = 0;
          }
        },
        onError(e: Error) {
          end(TreecastError.from(e));
        },
        onComplete() {
          end(null);
        },
        onExtension() {},
      });
      if (pendingRequest > 0) {
        stream.request(pendingRequest);
        pendingRequest = 0;
      }
    }, (e) => end(TreecastError.from(e)));
    return {
      request(n: number) {
        if (stream) stream.request(n);
        else pendingRequest += n;
      },
      cancel() {
        if (cancelled || done) return;
        cancelled = true;
        stream?.cancel();
        done = true;
        resolveEnded(null);
      },
      get lastSeq() {
        return lastSeq;
      },
      ended,
    };
  }

  /**
   * Streams batches with back-pressure (route tree.ingest): a batch is taken from `batches` only when the server
   * asked for one, so a fast source never outruns the server. Resolves when every batch is acknowledged, with the
   * number of batches and of those the server refused (each refusal is passed to `onAck` with its error).
   *
   * ```ts
   * function* load() { for (let i = 0; i < 1000; i++) yield ChangeBatch.of(b => b.set(`load/k${i}`, i)); }
   * const { batches, refused } = await client.ingest(load());
   * ```
   */
  async ingest(batches: Iterable<BatchInput> | AsyncIterable<BatchInput>,
               onAck?: (ack: IngestAck) => void): Promise<{ batches: number; refused: number }> {
    const socket = await this.rsocket();
    const source: AsyncIterator<BatchInput> | Iterator<BatchInput> = Symbol.asyncIterator in batches
      ? (batches as AsyncIterable<BatchInput>)[Symbol.asyncIterator]() : (batches as Iterable<BatchInput>)[Symbol.iterator]();
    const first = await source.next();
    if (first.done) return { batches: 0, refused: 0 };
    const ackWindow = 256;
    return new Promise((resolve, reject) => {
      let sent = 1;
      let acked = 0;
      let refused = 0;
      let credit = 0;
      let exhausted = false;
      let pumping = false;
      let failed = false;
      let sinceRequest = 0;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        reject(TreecastError.from(e));
      };
      const finishIfDone = () => {
        if (exhausted && acked === sent && !failed) resolve({ batches: sent, refused });
      };
      const pump = async () => {
        if (pumping) return;
        pumping = true;
        try {
          while (credit > 0 && !exhausted && !failed) {
            const next = await source.next();
            if (next.done) {
              exhausted = true;
              channel.onComplete();
              finishIfDone();
              break;
            }
            credit--;
            sent++;
            channel.onNext({ data: batchOf(next.value).encode() }, false);
          }
        } catch (e) {
          channel.cancel();
          fail(e);
        } finally {
          pumping = false;
        }
      };
      const channel = socket.requestChannel({ data: batchOf(first.value).encode(), metadata: route("tree.ingest") }, ackWindow, false, {
        onNext(p: Payload) {
          const a = pb.Ack.decode(p.data ?? Buffer.alloc(0)) as unknown as { seq: unknown; error?: { code: string; message: string } };
          acked++;
          const ack: IngestAck = { seq: toSeq(a.seq) };
          if (a.error && a.error.code) {
            refused++;
            ack.error = new TreecastError(a.error.code, a.error.message);
          }
          if (onAck) onAck(ack);
          if (++sinceRequest >= ackWindow / 2) {
            channel.request(sinceRequest);
            sinceRequest = 0;
          }
          finishIfDone();
        },
        onComplete() {
          if (acked === sent) finishIfDone();
          else fail(new TreecastError("CONNECTION", `the server ended the ingest stream after ${acked} of ${sent} acks`));
        },
        onError(e: Error) {
          fail(e);
        },
        onExtension() {},
        request(n: number) {
          // the server's request-n: how many more batches it can take
          credit += n;
          void pump();
        },
        cancel() {
          exhausted = true;
          if (acked < sent) fail(new TreecastError("CONNECTION", "the server cancelled the ingest stream"));
        },
      });
    });
  }

  /**
   * A live local replica of the leaves matching `pattern`: a snapshot, then every change; it reconnects and
   * resumes by seq by itself (see {@link Mirror}).
   */
  mirror(pattern: string, options: MirrorOptions = {}): Mirror {
    const m = new Mirror(this, pattern, options, () => this.mirrors.delete(m));
    this.mirrors.add(m);
    return m;
  }

  /** Closes the connection and every mirror; later calls fail with CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of [...this.mirrors]) m.close();
    const s = this.socket;
    this.socket = null;
    if (s) s.close();
    this.setState("closed");
  }
}
