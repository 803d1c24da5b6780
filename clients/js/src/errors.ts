/**
 * The codes a Treecast call can fail with: the server's stable codes (proto/README.md, "Errors") plus three of the
 * client's own: CONNECTION (the connection failed or was lost: the call may or may not have been applied),
 * CLOSED (the client was closed) and UNKNOWN (an error without a code).
 */
export type ErrorCode =
  | "INVALID_PATH" | "INVALID_PATTERN" | "INVALID_VALUE" | "VALUE_TOO_LARGE" | "INVALID_BATCH" | "INVALID_REQUEST"
  | "MALFORMED" | "UNKNOWN_ROUTE" | "WRONG_INTERACTION" | "TOO_MANY_SUBSCRIPTIONS" | "TOO_MANY_CONNECTIONS"
  | "UNAUTHORIZED" | "FORBIDDEN" | "OVERLOADED" | "RESOURCE_EXHAUSTED" | "SLOW_CONSUMER" | "UNAVAILABLE" | "TIMEOUT"
  | "SHUTTING_DOWN" | "INTERNAL" | "CONNECTION" | "CLOSED" | "UNKNOWN";

const CODE = /^([A-Z][A-Z_]+): ([\s\S]*)$/;
const LAST_SEQ = /last seq (\d+)\s*$/;
const CAUSE = /Original cause \[(?:[A-Za-z]*Error: )?([\s\S]*)\]\.?$/;

/**
 * Every failure of the client: `code` is stable (match on it), `reason` is the server's message for people.
 *
 * ```ts
 * try { await client.set("a//b", 1); }
 * catch (e) { if (e instanceof TreecastError && e.code === "INVALID_PATH") console.log(e.reason); }
 * ```
 */
export class TreecastError extends Error {
  /** For SLOW_CONSUMER: the last seq delivered, to resubscribe with `resumeAfter`. */
  readonly lastSeq: number | undefined;

  constructor(readonly code: ErrorCode | string, readonly reason: string) {
    super(`${code}: ${reason}`);
    this.name = "TreecastError";
    const m = LAST_SEQ.exec(reason);
    this.lastSeq = m ? Number(m[1]) : undefined;
  }

  /**
   * The TreecastError for anything thrown by rsocket or a transport: a server message "CODE: text" keeps its code,
   * a stream closed because its connection closed takes the connection's cause, anything else is CONNECTION.
   */
  static from(e: unknown): TreecastError {
    if (e instanceof TreecastError) return e;
    const text = e instanceof Error ? e.message : String(e ?? "");
    const cause = CAUSE.exec(text);
    const inner = cause ? cause[1] : text;
    const m = CODE.exec(inner);
    if (m) return new TreecastError(m[1], m[2]);
    return new TreecastError("CONNECTION", inner === "" ? "the connection failed or was closed" : inner);
  }

  /** Whether trying again later (after a back-off, or on a new connection) may succeed. */
  get retryable(): boolean {
    return ["CONNECTION", "OVERLOADED", "SLOW_CONSUMER", "UNAVAILABLE", "SHUTTING_DOWN", "TIMEOUT", "RESOURCE_EXHAUSTED",
      "TOO_MANY_CONNECTIONS", "INTERNAL"].includes(this.code);
  }
}
