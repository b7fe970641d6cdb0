// Preload for the SO_REUSEPORT comparison in bench/server-workers.mjs: the process's
// listen(port, host) binds its own socket with SO_REUSEPORT (Node >= 22.12's `reusePort`),
// instead of asking a cluster primary for a shared handle; `exclusive` because cluster workers
// otherwise hand every listen() to the primary.
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, host, ...rest) {
  if (typeof port !== "number" || typeof host !== "string") return listen.call(this, port, host, ...rest);
  return listen.call(this, { port, host, reusePort: true, exclusive: true }, ...rest);
};
