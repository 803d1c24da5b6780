import { WebsocketClientTransport } from "rsocket-websocket-client";
import { ClientOptions, TreecastClient } from "./client";

export * from "./api";

/**
 * Connects from a browser over WebSocket (`ws://` or `wss://`).
 *
 * ```ts
 * const client = await Treecast.connect("ws://127.0.0.1:7071/rsocket", { token });
 * ```
 */
export function connect(url: string, options: ClientOptions = {}): Promise<TreecastClient> {
  return create(url, options).connect();
}

/** A client that connects on first use (and again after a drop); watch it with `onStateChange`. */
export function create(url: string, options: ClientOptions = {}): TreecastClient {
  if (!/^wss?:\/\//.test(url)) throw new TypeError(`unsupported URL ${url}: a browser connects with ws://host:port/rsocket or wss://...`);
  return new TreecastClient(() => new WebsocketClientTransport({ url }), options);
}
