// esbuild injects this into the browser bundle: rsocket-js uses Node's global Buffer.
export { Buffer } from "buffer";
