// Bench reference: bare node:http doing the Hono fixture's work for POST /echo (the shared
// echo(): URL, headers object, base64 body, JSON), so a framework's cost is told apart from
// the app's own. GET /hello answers as raw-http.mjs does.
import http from "node:http";
import { echo } from "../../test/fixtures/apps/shared/behaviour.ts";

http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url!.startsWith("/hello")) {
      res.writeHead(200, { "content-type": "application/json" }).end('{"message":"hello, world"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const out = JSON.stringify(echo({ method: req.method!, url: `http://${req.headers.host}${req.url}`, headers: req.headers, body: new Uint8Array(body) }));
      res.writeHead(200, { "content-type": "application/json" }).end(out);
    });
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
