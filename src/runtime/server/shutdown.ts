// SIGTERM/SIGINT handling for server mode, in the order Kubernetes expects of a pod:
// stop accepting connections, answer readiness with 503, let in-flight requests finish
// within the grace period, then exit 0. A second signal ends the process at once. A service
// with its own signal handler ends the process itself (or the event loop runs dry).

import http from "node:http";
import net from "node:net";

export interface DrainState {
  draining: boolean; // set on the first signal: readiness answers 503, responses close their connection
  inflight: number; // requests whose response has not closed yet
  onIdle?: () => void; // called when draining and the last in-flight request is done
}

// Set when the service has its own SIGTERM/SIGINT handler (to close a database pool, flush
// metrics…): then the service decides when the process ends, and we only close connections.
let serviceHandlesSignal = false;

function exit(servers: http.Server[]): void {
  for (const server of servers) {
    server.closeAllConnections();
    if (server.listening) server.close();
  }
  if (!serviceHandlesSignal) process.exit(0);
}

/**
 * Our own server: requests are counted, so the process exits as soon as the last one ends.
 * Only the listening socket is closed (net.Server#close, not http.Server#close, which would
 * also drop idle keep-alive connections): a request that arrives on a connection the client
 * already holds is answered (readiness: 503) with `Connection: close` instead of being reset.
 */
export function drainCounted(server: http.Server, state: DrainState, graceMs: number): void {
  onSignal(graceMs, [server], () => {
    state.draining = true;
    net.Server.prototype.close.call(server);
    state.onIdle = () => exit([server]);
    if (state.inflight === 0) exit([server]);
  });
}

/**
 * Servers the service started itself: we do not see their requests, so we close them the
 * way http.Server#close does (idle connections first, busy ones when their response ends)
 * and exit when every connection is gone.
 */
export function drainUncounted(servers: http.Server[], graceMs: number): void {
  onSignal(graceMs, servers, () => {
    let open = servers.length;
    if (open === 0) exit(servers);
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) exit(servers);
      });
    }
    // Keep-alive connections that become idle after close() are not closed by Node itself.
    setInterval(() => servers.forEach((s) => s.closeIdleConnections()), 100).unref();
  });
}

function onSignal(graceMs: number, servers: http.Server[], begin: () => void): void {
  const handle = (signal: NodeJS.Signals) => {
    serviceHandlesSignal = process.listenerCount(signal) > 1;
    process.off("SIGTERM", handle);
    process.off("SIGINT", handle);
    // With no listener left, a second SIGTERM/SIGINT gets Node's default: immediate exit.
    console.error(`${signal}: draining in-flight requests (up to ${graceMs} ms)`);
    setTimeout(() => {
      console.error(`grace period of ${graceMs} ms is over; closing the remaining connections`);
      serviceHandlesSignal = false;
      exit(servers);
    }, graceMs).unref();
    begin();
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
}
