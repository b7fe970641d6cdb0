// Bench reference: a bare node:http server with the Hono fixture's two routes, no framework and
// no Fetch objects: GET /hello answers the same JSON, POST /echo answers the body it was sent.
import http from "node:http";

http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url.startsWith("/hello")) {
      res.writeHead(200, { "content-type": "application/json" }).end('{"message":"hello, world"}');
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
    });
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
