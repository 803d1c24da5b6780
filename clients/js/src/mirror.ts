import type { ClientSubscription, LeafChange, TreecastClient, TreeEvent } from "./client";
import { TreecastError } from "./errors";
import type { TreeValue } from "./values";

/** Settings of a mirror. */
export interface MirrorOptions {
  /** Called for every leaf that changes in the replica: a new value, or undefined when it was deleted. */
  onChange?: (path: string, value: TreeValue | undefined, seq: number) => void;
  /** Called when the mirror stops for good (a non-retryable error such as INVALID_PATTERN or UNAUTHORIZED). */
  onFail?: (error: TreecastError) => void;
  /** First and largest back-off between re-subscriptions, in ms (default 20 and 2000). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A leaf of a mirror: its value and the seq of the batch that last changed it. */
export interface MirrorEntry {
  value: TreeValue;
  seq: number;
}

/**
 * A live local replica of the leaves matching a pattern. It subscribes with a snapshot, applies every change whose
 * seq is newer than the one it holds for that leaf, and after any retryable end of its stream (connection lost,
 * SLOW_CONSUMER, SHUTTING_DOWN, ...) subscribes again with `resumeAfter` = the last seq it applied, with
 * exponential back-off. A RESET makes it collect a fresh snapshot that replaces its state at SNAPSHOT_END.
 *
 * ```ts
 * const fx = client.mirror("fx/**", { onChange: (path, value) => console.log(path, value) });
 * await fx.ready;
 * fx.get("fx/EURUSD/bid");   // { value: { kind: "double", value: 1.0842 }, seq: 17 }
 * ```
 */
export class Mirror {
  private state = new Map<string, MirrorEntry>();
  /** The snapshot being collected (initial, or after RESET); replaces `state` at SNAPSHOT_END. */
  private collecting: Map<string, MirrorEntry> | null = null;
  private sub: ClientSubscription | null = null;
  private appliedSeq = 0;
  private closed = false;
  private backoff: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private resolveReady!: () => void;
  private rejectReady!: (e: TreecastError) => void;
  private isReady = false;
  /** Resolves once the first snapshot is complete; rejects when the mirror fails for good. */
  readonly ready: Promise<void>;
  /** How many times it subscribed again after its stream ended. */
  reconnects = 0;

  constructor(private readonly client: TreecastClient, readonly pattern: string, private readonly options: MirrorOptions,
              private readonly onClose: () => void) {
    this.backoff = options.minBackoffMs ?? 20;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.subscribe(undefined);
  }

  /** The seq the replica is exact at (every change up to it is applied). */
  get seq(): number {
    return this.appliedSeq;
  }

  /** Number of leaves. */
  get size(): number {
    return this.state.size;
  }

  /** The leaf at `path`, or undefined. */
  get(path: string): MirrorEntry | undefined {
    return this.state.get(path);
  }

  /** Every leaf, as [path, entry] pairs. */
  entries(): IterableIterator<[string, MirrorEntry]> {
    return this.state.entries();
  }

  private subscribe(resumeAfter: number | undefined): void {
    if (this.closed) return;
    this.collecting = resumeAfter === undefined ? new Map() : null;
    this.sub = this.client.subscribe(this.pattern, { snapshot: resumeAfter === undefined, resumeAfter }, {
      onEvent: (e) => this.onEvent(e),
      onEnd: (error) => this.onEnd(error),
    });
  }

  private onEvent(e: TreeEvent): void {
    switch (e.kind) {
      case "RESET":
        this.collecting = new Map();
        return;
      case "SNAPSHOT":
        if (this.collecting) for (const c of e.changes) if (c.value) this.collecting.set(c.path, { value: c.value, seq: c.seq });
        return;
      case "SNAPSHOT_END":
        if (this.collecting) this.replace(this.collecting, e.seq);
        this.collecting = null;
        this.backoff = this.options.minBackoffMs ?? 20;
        if (!this.isReady) {
          this.isReady = true;
          this.resolveReady();
        }
        return;
      case "UPDATE":
        for (const c of e.changes) this.apply(c);
        if (e.seq > this.appliedSeq) this.appliedSeq = e.seq;
        this.backoff = this.options.minBackoffMs ?? 20;
    }
  }

  private apply(c: LeafChange): void {
    const held = this.state.get(c.path);
    if (held && held.seq >= c.seq) return;
    if (c.value) {
      this.state.set(c.path, { value: c.value, seq: c.seq });
      this.options.onChange?.(c.path, c.value, c.seq);
    } else if (held) {
      this.state.delete(c.path);
      this.options.onChange?.(c.path, undefined, c.seq);
    }
  }

  private replace(next: Map<string, MirrorEntry>, seq: number): void {
    const old = this.state;
    this.state = next;
    this.appliedSeq = Math.max(this.appliedSeq, seq);
    if (this.options.onChange) {
      for (const [path, held] of old) if (!next.has(path)) this.options.onChange(path, undefined, held.seq);
      for (const [path, e] of next) {
        const before = old.get(path);
        if (!before || before.seq !== e.seq) this.options.onChange(path, e.value, e.seq);
      }
    }
  }

  private onEnd(error: TreecastError | null): void {
    this.sub = null;
    if (this.closed) return;
    const e = error ?? new TreecastError("CONNECTION", "the subscription ended");
    if (!e.retryable) {
      this.closed = true;
      this.onClose();
      this.rejectReady(e);
      this.options.onFail?.(e);
      return;
    }
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 2000);
    this.timer = setTimeout(() => {
      this.reconnects++;
      // resume only from a complete state; a snapshot cut short starts over
      this.subscribe(this.isReady && this.collecting === null ? e.lastSeq !== undefined ? Math.min(e.lastSeq, this.appliedSeq) : this.appliedSeq : undefined);
    }, wait);
  }

  /** Stops following the tree; the replica keeps its last state. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.sub?.cancel();
    this.onClose();
    if (!this.isReady) this.rejectReady(new TreecastError("CLOSED", "the mirror was closed before its snapshot was complete"));
  }
}
