import { WebsocketClientTransport } from "rsocket-websocket-client";
import { TcpClientTransport } from "rsocket-tcp-client";
import * as net from "net";
import { ClientOptions, TransportFactory, TreecastClient } from "./client";

export * from "./api";

/**
 * The transport for `url`: `tcp://host:port` (RSocket over TCP) or `ws://host:port/path` / `wss://...` (RSocket
 * over WebSocket; Node's own WebSocket when it has one, else the `ws` package).
 */
export function transportFor(url: string): TransportFactory {
  const u = new URL(url);
  if (u.protocol === "tcp:") {
    const port = Number(u.port || 7070);
    return () => new TcpClientTransport({
      connectionOptions: { host: u.hostname, port },
      // rsocket's connection stops listening for errors once closed; a late ECONNRESET must not crash the process
      socketCreator: (options) => net.connect(options).on("error", () => undefined),
    });
  }
  if (u.protocol === "ws:" || u.protocol === "wss:") {
    return () => new WebsocketClientTransport({ url, wsCreator: (to) => newWebSocket(to) });
  }
  throw new TypeError(`unsupported URL ${url}: use tcp://host:port, ws://host:port/rsocket or wss://host:port/rsocket`);
}

function newWebSocket(url: string): WebSocket {
  const native = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (native) return new native(url);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WS = require("ws");
  // as for TCP: an 'error' after rsocket let go of the socket must not become an uncaught exception
  return new WS(url).on("error", () => undefined) as WebSocket;
}

/**
 * Connects to a Treecast server; rejects with a TreecastError (code CONNECTION) when it cannot.
 *
 * ```ts
 * import { connect } from "treecast-client";
 * const client = await connect("tcp://127.0.0.1:7070", { token: process.env.TREECAST_TOKEN });
 * ```
 */
export function connect(url: string, options: ClientOptions = {}): Promise<TreecastClient> {
  return new TreecastClient(transportFor(url), options).connect();
}
