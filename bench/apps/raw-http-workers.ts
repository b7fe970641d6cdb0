// Bench reference: bench/apps/hono-workers.ts's two routes on bare node:http, one process.
import http from "node:http";
import { spin } from "./spin.ts";

http
  .createServer((req, res) => {
    const body = req.url!.startsWith("/cpu") ? JSON.stringify({ spin: spin() }) : '{"message":"hello, world"}';
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
