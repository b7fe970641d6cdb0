// Calling a Node request listener, shared by server mode and Lambda mode (in memory): a
// synchronous throw or a rejected promise answers 500, or breaks a response already started.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeListener } from "./contract.js";

export function answer500(res: ServerResponse, err: unknown): void {
  console.error(err);
  if (res.headersSent) res.destroy();
  else res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Internal Server Error\n");
}

export function callListener(listener: NodeListener, req: IncomingMessage, res: ServerResponse): void {
  try {
    const out = listener(req, res);
    if (out && typeof (out as Promise<unknown>).catch === "function") (out as Promise<unknown>).catch((err) => answer500(res, err));
  } catch (err) {
    answer500(res, err);
  }
}
