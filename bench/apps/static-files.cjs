// The runtime-files bench's service: GET /f/<name> answers a file of public/, read either from
// the folder beside the executable (ASSETS=beside: what binship ships) or from the executable's
// own Node SEA assets (ASSETS=sea: node:sea getAsset; fs cannot see them). Plain CommonJS with
// built-ins only, so it is the SEA main as it is, with no bundler in between.

const http = require("node:http");
const { readFile } = require("node:fs/promises");
const { dirname, join } = require("node:path");

const fromSea = process.env.ASSETS === "sea";
const dir = join(dirname(process.execPath), "public");
const read = fromSea ? async (name) => Buffer.from(require("node:sea").getAsset(name)) : (name) => readFile(join(dir, name));

http
  .createServer(async (req, res) => {
    const name = req.url.startsWith("/f/") ? decodeURIComponent(req.url.slice(3)) : "";
    try {
      const body = await read(name);
      res.writeHead(200, { "content-length": body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
