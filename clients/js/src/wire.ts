import * as protobuf from "protobufjs/light";
import Long from "long";
import schema from "./proto/treecast.json";

// int64 fields decode to Long in Node and in the browser alike (protobufjs finds `long` by itself only in Node)
protobuf.util.Long = Long as unknown as protobuf.Constructor<Long>;
protobuf.configure();

const root = protobuf.Root.fromJSON(schema as protobuf.INamespace);
const t = (name: string) => root.lookupType("treecast.v1." + name);

/** The message types of proto/src/main/proto/treecast/v1/treecast.proto, loaded by reflection. */
export const pb = {
  Value: t("Value"),
  Change: t("Change"),
  Batch: t("Batch"),
  Ack: t("Ack"),
  Subscribe: t("Subscribe"),
  Event: t("Event"),
  Get: t("Get"),
  Snapshot: t("Snapshot"),
  Setup: t("Setup"),
  ListChildren: t("ListChildren"),
  Children: t("Children"),
};

export const Reader = protobuf.Reader;
export const EVENT_KINDS = ["UPDATE", "SNAPSHOT", "SNAPSHOT_END", "RESET"] as const;
