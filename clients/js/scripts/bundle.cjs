// Builds the web console (console/app.ts + the browser build of the client) into one script with esbuild and
// copies it with its page and style into the observability module's resources, where the server serves them from
// its jar: the server never needs node. The output is committed; `--check` fails when it is stale.
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const here = path.join(__dirname, "..");
const out = path.join(here, "../../observability/src/main/resources/io/treecast/observability/console");
const check = process.argv.includes("--check");

const result = esbuild.buildSync({
  entryPoints: [path.join(here, "console/app.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "none",
  inject: [path.join(__dirname, "buffer-shim.js")],
  write: false,
  logLevel: "warning",
});
const files = {
  "console.js": Buffer.from(result.outputFiles[0].contents),
  "index.html": fs.readFileSync(path.join(here, "console/index.html")),
  "console.css": fs.readFileSync(path.join(here, "console/console.css")),
};
let stale = [];
for (const [name, content] of Object.entries(files)) {
  const target = path.join(out, name);
  if (check) {
    if (!fs.existsSync(target) || !fs.readFileSync(target).equals(content)) stale.push(name);
  } else {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(target, content);
  }
}
if (stale.length) {
  console.error(`the console in ${out} is stale (${stale.join(", ")}): run npm run bundle and commit it`);
  process.exit(1);
}
console.log(check ? "the console bundle is up to date" : `wrote ${Object.keys(files).join(", ")} to ${out} (console.js ${files["console.js"].length} bytes)`);
