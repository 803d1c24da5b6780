// Writes src/proto/treecast.json from proto/src/main/proto/treecast/v1/treecast.proto (the wire schema), so that
// the client loads the schema by reflection (protobufjs/light) with no parser or code generator at run time.
// `node scripts/gen-proto.cjs --check` fails when the committed JSON is stale.
const fs = require("fs");
const path = require("path");
const protobuf = require("protobufjs");

const proto = path.join(__dirname, "../../../proto/src/main/proto/treecast/v1/treecast.proto");
const out = path.join(__dirname, "../src/proto/treecast.json");
const json = JSON.stringify(protobuf.loadSync(proto).toJSON(), null, 1) + "\n";
if (process.argv.includes("--check")) {
  if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== json) {
    console.error(`${out} is stale: run npm run gen-proto and commit it`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, json);
  console.log(`wrote ${out}`);
}
