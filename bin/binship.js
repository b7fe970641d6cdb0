#!/usr/bin/env node
// Thin launcher: the CLI is compiled to lib/ by `npm run build` (run by `prepare`).
import("../lib/cli.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("lib/cli.js")) {
    process.stderr.write("binship: lib/cli.js is missing; run `npm run build` in the binship checkout\n");
    process.exit(2);
  }
  throw err;
});
