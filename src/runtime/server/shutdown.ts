// SIGTERM/SIGINT handling for server mode, in the order Kubernetes expects of a pod:
// stop accepting connections, answer readiness with 503, let in-flight requests finish
// within the grace period, then exit 0. A second signal ends the process at once. A service
// with its own signal handler ends the process itself (or the event loop runs dry).
//
// No request may be lost on the way. HTTP/1.1 lets a client send its next request on a
// kept-alive connection at any moment, so a server that closes such a connection races that
// request (the client gets ECONNRESET). Once draining, every response that has not started is
// sent with `Connection: close` (Node then closes the connection after it), so a busy client
// learns to go elsewhere; a connection is closed by us only after it has been idle for a while
// since the signal, or when the grace period ends.

import http from "node:http";
import net from "node:net";
import { drainMessage, isWorker } from "./workers.js";

export interface DrainState {
  draining: boolean; // set on the first signal: readiness answers 503, responses close their connection
  // Set by drainOnSignal for a server whose request listener is binship's own, which calls it
  // first for every request: one listener per request event instead of two.
  track?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** How long a kept-alive connection may stay idle during a drain before it is closed. */
export const idleCloseMs = 1_000;

interface Connection {
  busy: number; // requests on it whose response has not closed yet
  idleSince: number; // when it opened, or when its last response ended during a drain
}

type AnyServer = http.Server | net.Server;

/** Follows a server's connections and responses, so a drain knows what is idle and what is about to answer. */
class Tracker {
  private readonly connections = new Map<net.Socket, Connection>();
  private readonly responses = new Set<http.ServerResponse>();

  constructor(
    readonly server: AnyServer,
    state: DrainState,
    ownListener: boolean,
  ) {
    // A TLS server's requests arrive on the TLS socket, which "secureConnection" carries.
    const isTls = typeof (server as { addContext?: unknown }).addContext === "function";
    server.on(isTls ? "secureConnection" : "connection", (socket: net.Socket) => {
      this.connections.set(socket, { busy: 0, idleSince: Date.now() });
      socket.once("close", () => this.connections.delete(socket));
    });
    // One listener for every response (no closure per request: this runs on every request).
    const connections = this.connections;
    const responses = this.responses;
    function closed(this: http.ServerResponse): void {
      responses.delete(this);
      const conn = connections.get(this.req.socket);
      if (!conn) return;
      conn.busy--;
      // Idle time only counts from the signal on (closeIdle), so the clock is read only then.
      if (state.draining) conn.idleSince = Date.now();
    }
    const track = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const conn = connections.get(req.socket);
      if (conn) conn.busy++;
      responses.add(res);
      if (state.draining) closeAfter(res);
      res.on("close", closed);
    };
    // Before the app's own listener, so a response it writes at once already says "close".
    if (ownListener) state.track = track;
    else server.prependListener("request", track);
  }

  /** Every response that has not sent its headers yet will carry `Connection: close`. */
  closeAfterPending(): void {
    for (const res of this.responses) closeAfter(res);
  }

  /** Closes connections with nothing in flight that stayed idle for idleCloseMs since `since`. */
  closeIdle(since: number, now: number): void {
    for (const [socket, conn] of this.connections) {
      if (conn.busy === 0 && now - Math.max(conn.idleSince, since) >= idleCloseMs) socket.destroy();
    }
  }
}

function closeAfter(res: http.ServerResponse): void {
  if (res.headersSent) return;
  // Node writes "Connection: close" and ends the connection after this response.
  res.shouldKeepAlive = false;
  res.setHeader("connection", "close");
}

// Set when the service has its own SIGTERM/SIGINT handler (to close a database pool, flush
// metrics…): then the service decides when the process ends, and we only close connections.
let serviceHandlesSignal = false;

function exit(servers: AnyServer[]): void {
  for (const server of servers) {
    (server as http.Server).closeAllConnections?.();
    if (server.listening) server.close();
  }
  if (!serviceHandlesSignal) process.exit(0);
}

/**
 * Drains `servers` on the first SIGTERM/SIGINT: the listening sockets close (net.Server#close,
 * not http.Server#close, which would also drop idle keep-alive connections at once), requests
 * on connections clients already hold are answered with `Connection: close`, and the process
 * exits when every connection is gone. `ownListener`: the one server's request listener calls
 * `state.track` itself.
 */
export function drainOnSignal(servers: AnyServer[], state: DrainState, graceMs: number, ownListener = false): void {
  const trackers = servers.map((server) => new Tracker(server, state, ownListener && servers.length === 1));
  onSignal(graceMs, servers, () => {
    state.draining = true;
    const since = Date.now();
    let open = servers.length;
    if (open === 0) return exit(servers);
    for (const tracker of trackers) {
      tracker.closeAfterPending();
      // The callback runs once the server holds no connection at all.
      net.Server.prototype.close.call(tracker.server, () => {
        if (--open === 0) exit(servers);
      });
    }
    setInterval(() => trackers.forEach((t) => t.closeIdle(since, Date.now())), 100).unref();
  });
}

function onSignal(graceMs: number, servers: AnyServer[], begin: () => void): void {
  const worker = isWorker();
  let begun = false;
  const handle = (signal: NodeJS.Signals) => {
    if (begun) return;
    begun = true;
    serviceHandlesSignal = process.listenerCount(signal) > 1;
    process.off("SIGTERM", handle);
    process.off("SIGINT", handle);
    // A worker drains on the primary's message or on a signal of its own (Ctrl-C reaches the whole
    // process group: both come). The second signal is the primary's to act on (it exits, and the
    // workers with it), so a worker ignores signals from now on.
    if (worker) {
      process.off("message", onMessage);
      process.on("SIGTERM", ignore).on("SIGINT", ignore);
    }
    // With no listener left, a second SIGTERM/SIGINT gets Node's default: immediate exit.
    console.error(`${signal}: draining in-flight requests (up to ${graceMs} ms)`);
    setTimeout(() => {
      console.error(`grace period of ${graceMs} ms is over; closing the remaining connections`);
      serviceHandlesSignal = false;
      exit(servers);
    }, graceMs).unref();
    begin();
  };
  const onMessage = (message: unknown) => {
    if (message === drainMessage) handle("SIGTERM");
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
  if (worker) process.on("message", onMessage);
}

function ignore(): void {}
