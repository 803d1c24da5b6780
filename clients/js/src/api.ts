// Everything public except the entry points' `connect` (index.ts for Node, browser.ts for browsers).
export { TreecastClient, ChangeBatch } from "./client";
export type {
  AckMode, Policy, ConnectionState, ClientOptions, LeafChange, TreeEvent, Snapshot, Children, IngestAck, BatchInput,
  SubscribeOptions, SubscriptionHandler, ClientSubscription, TransportFactory,
} from "./client";
export { Mirror } from "./mirror";
export type { MirrorOptions, MirrorEntry } from "./mirror";
export { TreecastError } from "./errors";
export type { ErrorCode } from "./errors";
export { Value, valueOf, numberOf, formatValue } from "./values";
export type { TreeValue, ValueInput } from "./values";
