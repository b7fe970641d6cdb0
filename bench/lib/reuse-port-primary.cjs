// The SO_REUSEPORT variant of binship's workers, for bench/server-workers.mjs: a node:cluster
// primary like binship's (src/runtime/server/workers.ts) whose N workers each run the bundle
// as a single-process server that binds the port itself (./reuse-port.cjs), so the kernel, not
// the primary, spreads connections. Usage: node reuse-port-primary.cjs N bundle.cjs
const cluster = require("node:cluster");
const { join } = require("node:path");

const [count, bundle] = process.argv.slice(2);
cluster.setupPrimary({ exec: bundle, execArgv: ["-r", join(__dirname, "reuse-port.cjs")] });
for (let i = 0; i < Number(count); i++) cluster.fork();
process.on("SIGTERM", () => {
  for (const w of Object.values(cluster.workers)) w.kill("SIGKILL");
  process.exit(0);
});
