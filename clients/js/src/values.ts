import { Buffer } from "buffer";

/** A leaf's value: exactly one of five kinds, as on the wire (`treecast.v1.Value`). Ints are exact (bigint). */
export type TreeValue =
  | { kind: "string"; value: string }
  | { kind: "int"; value: bigint }
  | { kind: "double"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "bytes"; value: Uint8Array };

/**
 * What `set` accepts: a TreeValue, or a plain value whose kind follows its JavaScript type — string, boolean,
 * bigint (int), Uint8Array (bytes), and number: a safe integer is an int, anything else a double. Use
 * `Value.double(1)` for a double that happens to be whole.
 */
export type ValueInput = TreeValue | string | number | bigint | boolean | Uint8Array;

/** Builders of typed values. `Value.int(5)`, `Value.double(1)`, `Value.string("x")`. */
export const Value = {
  string: (value: string): TreeValue => ({ kind: "string", value }),
  int: (value: number | bigint): TreeValue => ({ kind: "int", value: BigInt(value) }),
  double: (value: number): TreeValue => ({ kind: "double", value }),
  bool: (value: boolean): TreeValue => ({ kind: "bool", value }),
  bytes: (value: Uint8Array): TreeValue => ({ kind: "bytes", value }),
};

/** The typed value of `input` (see {@link ValueInput}). */
export function valueOf(input: ValueInput): TreeValue {
  switch (typeof input) {
    case "string": return { kind: "string", value: input };
    case "boolean": return { kind: "bool", value: input };
    case "bigint": return { kind: "int", value: BigInt.asIntN(64, input) };
    case "number": return Number.isSafeInteger(input) ? { kind: "int", value: BigInt(input) } : { kind: "double", value: input };
    default:
      if (input instanceof Uint8Array) return { kind: "bytes", value: input };
      if (input && typeof input === "object" && "kind" in input) return input;
      throw new TypeError(`not a Treecast value: ${String(input)}; use a string, number, bigint, boolean, Uint8Array or Value.*`);
  }
}

/** The value as a JavaScript number when it is numeric (int or double), else undefined (for charts). */
export function numberOf(v: TreeValue | undefined): number | undefined {
  if (!v) return undefined;
  if (v.kind === "double") return v.value;
  if (v.kind === "int") return Number(v.value);
  return undefined;
}

/** The value as text, as the CLI prints it: strings quoted only when `quoted` is set, bytes as base64. */
export function formatValue(v: TreeValue, quoted = false): string {
  switch (v.kind) {
    case "string": return quoted ? JSON.stringify(v.value) : v.value;
    case "bytes": return "base64:" + Buffer.from(v.value).toString("base64");
    default: return String(v.value);
  }
}

/** A protobufjs Long (or any {low, high}) or number, as a bigint: int64 values stay exact. */
export function toBigInt(x: unknown): bigint {
  if (typeof x === "number") return BigInt(x);
  if (typeof x === "bigint") return x;
  if (typeof x === "string") return BigInt(x);
  const l = x as { low: number; high: number };
  return BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
}

/** A seq (int64 on the wire, always below 2^53 in practice) as a number. */
export function toSeq(x: unknown): number {
  if (typeof x === "number") return x;
  if (x == null) return 0;
  const l = x as { low: number; high: number };
  return l.high * 4294967296 + (l.low >>> 0);
}

/** A bigint as the {low, high} pair protobufjs encodes for (s)int64 fields. */
export function toLongBits(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false };
}

/** The protobuf object of a value. */
export function toWire(v: TreeValue): Record<string, unknown> {
  switch (v.kind) {
    case "string": return { stringValue: v.value };
    case "int": return { intValue: toLongBits(v.value) };
    case "double": return { doubleValue: v.value };
    case "bool": return { boolValue: v.value };
    case "bytes": return { bytesValue: v.value };
  }
}

/** The value of a decoded protobuf `Value` (its `kind` oneof set by protobufjs). */
export function fromWire(w: { kind?: string; stringValue?: string; intValue?: unknown; doubleValue?: number; boolValue?: boolean; bytesValue?: Uint8Array }): TreeValue {
  switch (w.kind) {
    case "stringValue": return { kind: "string", value: w.stringValue as string };
    case "intValue": return { kind: "int", value: toBigInt(w.intValue) };
    case "doubleValue": return { kind: "double", value: w.doubleValue as number };
    case "boolValue": return { kind: "bool", value: w.boolValue as boolean };
    case "bytesValue": return { kind: "bytes", value: w.bytesValue as Uint8Array };
    default: throw new TypeError("a Value without a kind");
  }
}
