// Benchmark for small pushes (issue 26 item 5): bytes `binship pack container --push` really
// uploads per architecture for the orders-style service (bench/apps/orders.ts: Hono + zod + the
// DynamoDB client, a 1.6 MiB bundle), for the executable layout and the node layout: the first
// push into an empty repository, an unchanged repush, and a push after a one-line change to the
// app; then the node layout's push of another service to another repository on the same registry
// (the Node layer mounted across repositories). The start of each layout is measured by
// bench/container-start.mjs. Real registry (Debian's docker-registry on loopback), the distroless
// cc stand-in (test/fixtures/container-base). Byte counts come from --json (push.blobs,
// platforms[].uploadedBytes).
//
// usage: npm run build && (cd bench && npm install) && node bench/container-small-push.mjs   (root; buildah, docker-registry)

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(import.meta.dirname, "apps", "orders.ts");
const work = mkdtempSync(join(tmpdir(), "binship-bench-small-push-"));
// The changed copy sits beside the original so it resolves the same node_modules.
const changed = join(import.meta.dirname, "apps", `.orders-changed-${process.pid}.ts`);
const bah = (...args) => execFileSync("buildah", ["--storage-driver", "vfs", ...args], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 }).toString().trim();
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const MiB = (n) => `${(n / 1048576).toFixed(2)} MiB`;

const host = `127.0.0.1:${await freePort()}`;
writeFileSync(join(work, "reg.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "data")}\nhttp:\n  addr: ${host}\n`);
const registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
const baseList = `localhost/binship-bench/small-push-base:${process.pid}`;
try {
  await new Promise((r) => setTimeout(r, 1500));
  writeFileSync(changed, readFileSync(entry, "utf8").replace('const version = "1";', 'const version = "2";'));
  const standins = ["amd64", "arm64"].map((a) => execFileSync(join(root, "test", "fixtures", "container-base", "build.sh"), [join(work, "standin"), a]).toString().trim());
  bah("manifest", "create", baseList);
  for (const s of standins) bah("manifest", "add", baseList, `containers-storage:${s}`);
  bah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", baseList, `docker://${host}/distroless/cc:nonroot`);

  const push = (layout, source, tag, out, repository = `orders-${layout}`) => {
    const stdout = execFileSync(
      process.execPath,
      [cli, "pack", "container", source, "--layout", layout, "-o", join(work, out), "--name", "orders", "--json", "--push", `${host}/${repository}:${tag}`, "--base", `${host}/distroless/cc:nonroot`, "--insecure-registry"],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" }, maxBuffer: 16 << 20 },
    );
    return JSON.parse(stdout.toString()).index;
  };
  const perArch = (index) => index.platforms.map((p) => `${p.platform.split("/")[1]} ${MiB(p.uploadedBytes)}`).join(", ");
  console.log(`| layout | first push (per arch) | unchanged repush | one-line change (per arch) |\n|---|---|---:|---|`);
  for (const layout of ["executable", "node"]) {
    const first = push(layout, entry, "1", `${layout}-1`);
    const again = push(layout, entry, "1", `${layout}-2`);
    const next = push(layout, changed, "2", `${layout}-3`);
    console.log(`| ${layout} | ${perArch(first)} | ${MiB(again.push.uploadedBytes)} | ${perArch(next)} |`);
  }

  // Another service on the same registry, in its own repository: the Node layer is mounted
  // from the repository the first push sent it to (binship's record), not uploaded.
  const other = push("node", changed, "1", "node-other", "billing-node");
  const mounted = other.push.blobs.filter((b) => b.outcome === "mounted").reduce((n, b) => n + b.size, 0);
  console.log(`| node, another repository on the registry | ${perArch(other)} (${MiB(mounted)} mounted) | | |`);
} finally {
  registry.kill();
  rmSync(changed, { force: true });
  try {
    bah("manifest", "rm", baseList);
  } catch {
    // not made
  }
  rmSync(work, { recursive: true, force: true });
}
