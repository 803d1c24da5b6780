// The client's pure parts: typing of plain values, int64 exactness, and how errors are read. No network.
const { describe, it } = require("node:test");
const assert = require("node:assert/strict");
const { valueOf, Value, TreecastError, formatValue, numberOf } = require("..");

describe("values", () => {
  it("types plain JavaScript values as the wire does", () => {
    assert.deepEqual(valueOf(7), { kind: "int", value: 7n });
    assert.deepEqual(valueOf(1.5), { kind: "double", value: 1.5 });
    assert.deepEqual(valueOf(2 ** 60), { kind: "double", value: 2 ** 60 }, "not a safe integer: a double");
    assert.deepEqual(valueOf(2n ** 63n), { kind: "int", value: -(2n ** 63n) }, "bigints wrap to int64");
    assert.deepEqual(valueOf("x"), { kind: "string", value: "x" });
    assert.deepEqual(valueOf(false), { kind: "bool", value: false });
    assert.deepEqual(valueOf(Value.double(2)), { kind: "double", value: 2 });
    assert.throws(() => valueOf(null), /not a Treecast value/);
    assert.equal(formatValue(Value.string("a b"), true), '"a b"');
    assert.equal(formatValue(Value.bytes(new Uint8Array([1, 2]))), "base64:AQI=");
    assert.equal(numberOf(Value.int(5)), 5);
    assert.equal(numberOf(Value.string("5")), undefined);
  });
});

describe("errors", () => {
  it("keeps the server's code and reason, and the last seq of SLOW_CONSUMER", () => {
    const e = TreecastError.from(new Error("SLOW_CONSUMER: the outbox of 16 events is full: resubscribe; last seq 42"));
    assert.equal(e.code, "SLOW_CONSUMER");
    assert.equal(e.lastSeq, 42);
    assert.equal(e.retryable, true);
  });

  it("reads the connection's cause from a stream closed with it", () => {
    const e = TreecastError.from(new Error("Closed. Original cause [Error: UNAUTHORIZED: no token: send Setup.token]."));
    assert.equal(e.code, "UNAUTHORIZED");
    assert.equal(e.reason, "no token: send Setup.token");
    assert.equal(e.retryable, false);
  });

  it("calls anything without a code CONNECTION", () => {
    assert.equal(TreecastError.from(new Error("socket hang up")).code, "CONNECTION");
    assert.equal(TreecastError.from(new Error("Closed. ")).code, "CONNECTION");
  });
});
