// Preload for measuring a server's JavaScript cost per request without sockets: it captures
// the HTTP server the program creates, then drives it through in-memory keep-alive
// connections (a Duplex given to the server's "connection" event), so no kernel networking
// and no load generator share the measurement. Prints {"cpuUs", "wallUs"} per request for the
// last 80% of the requests (the first 20% warm V8 up) and exits.
//
//   PORT=0 REQS=100000 node -r ./bench/lib/in-memory-load.cjs server.cjs
//
// Env: REQS (default 200000), CONNS (default 32), REQ=get (GET /hello) | post (POST /echo, 1 KiB).
// Used for issue 10's second pass (BENCHMARKS.md): run variants in turn, several times, pinned
// with taskset, and compare the medians.

const http = require("node:http");
const { Duplex } = require("node:stream");

const total = Number(process.env.REQS ?? 200000);
const conns = Number(process.env.CONNS ?? 32);
const body = "x".repeat(1024);
const request = Buffer.from(
  process.env.REQ === "post"
    ? `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n\r\n${body}`
    : "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
);

function drive(server) {
  const warm = Math.floor(total / 4);
  let answered = 0;
  let t0;
  let c0;
  const connection = () => {
    let pending = "";
    const socket = new Duplex({
      read() {},
      write(chunk, _encoding, done) {
        pending += chunk.toString("latin1");
        for (;;) {
          const end = pending.indexOf("\r\n\r\n");
          if (end === -1) break;
          const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
          if (pending.length < end + 4 + length) break;
          pending = pending.slice(end + 4 + length);
          answered++;
          if (answered === warm) {
            t0 = process.hrtime.bigint();
            c0 = process.cpuUsage();
          } else if (answered === warm + total) {
            const cpu = process.cpuUsage(c0);
            const wall = Number(process.hrtime.bigint() - t0) / 1e3;
            console.log(JSON.stringify({ cpuUs: (cpu.user + cpu.system) / total, wallUs: wall / total }));
            process.exit(0);
          }
          setImmediate(() => socket.push(request));
        }
        done();
      },
    });
    Object.assign(socket, { remoteAddress: "127.0.0.1", remotePort: 40000, setTimeout: () => socket, setNoDelay: () => socket, setKeepAlive: () => socket });
    server.emit("connection", socket);
    socket.push(request);
  };
  for (let i = 0; i < conns; i++) connection();
}

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  this.once("listening", () => setImmediate(() => drive(this)));
  return listen.apply(this, args);
};
