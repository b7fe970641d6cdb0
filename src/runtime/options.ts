// Options baked into the bundle by the entry shim (JSON), read once at startup.

export interface RuntimeOptions {
  contract: "auto" | "fetch" | "listener" | "handler" | "listen"; // forced service shape, or detect
  livenessPath: string | false; // server mode: liveness endpoint, false = off
  readinessPath: string | false; // server mode: readiness endpoint, false = off
  shutdownGraceMs: number; // server mode: how long in-flight requests may take after SIGTERM
  workers?: number | "auto"; // server mode: worker processes sharing the port (BINSHIP_WORKERS overrides; default 1)
  invokeMode: "BUFFERED" | "RESPONSE_STREAM"; // Lambda: Function URL invoke mode
  basePath?: string; // Lambda: prefix stripped from REST API paths (e.g. "/prod")
}

export const defaultRuntimeOptions: RuntimeOptions = {
  contract: "auto",
  livenessPath: "/healthz",
  readinessPath: "/readyz",
  shutdownGraceMs: 10_000,
  invokeMode: "BUFFERED",
};

/** A problem with the environment the service starts in (PORT, a taken port): printed without a stack. */
export class StartupError extends Error {
  override name = "Runtime.StartupError";
}
