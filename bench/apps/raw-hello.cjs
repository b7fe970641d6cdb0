// Bench reference for cold start: the smallest node:http service that answers GET /hello with
// the Hono fixture's JSON; no framework, no Fetch objects.
require("node:http")
  .createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"message":"hello, world"}'))
  .listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
