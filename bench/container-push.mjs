// Benchmark for `binship pack container --push`: building and pushing the multi-arch image
// (amd64 + arm64) to a real registry (Debian's docker-registry on loopback), against the path a
// user takes without it: `buildah bud` of the generated recipe for both platforms, then
// `buildah manifest push --all`. Same executables, same stand-in base (test/fixtures/container-base)
// in the same registry, a fresh repository per run so every app layer is uploaded. Variants are
// interleaved; medians and ratios against buildah are printed as a Markdown table.
//
// usage: npm run build && node bench/container-push.mjs [runs]   (root; buildah, skopeo, docker-registry)

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(root, "test", "fixtures", "apps", "express", "index.ts");
const runs = Number(process.argv[2] ?? 3);
const work = mkdtempSync(join(tmpdir(), "binship-bench-push-"));
const bah = (...args) => execFileSync("buildah", ["--storage-driver", "vfs", ...args], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 }).toString().trim();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const time = (fn) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

const port = await new Promise((res) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const host = `127.0.0.1:${port}`;
writeFileSync(join(work, "reg.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "data")}\nhttp:\n  addr: ${host}\n`);
const registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
const lists = [];
try {
  await new Promise((r) => setTimeout(r, 1500));
  // Executables and the recipe, built once.
  const recipe = join(work, "recipe");
  execFileSync(process.execPath, [cli, "pack", "container", entry, "-o", recipe, "--name", "svc", "--image", `${host}/svc:1`, "-q"], { stdio: "inherit" });
  const standins = ["amd64", "arm64"].map((a) => execFileSync(join(root, "test", "fixtures", "container-base", "build.sh"), [join(work, "standin"), a]).toString().trim());
  const baseList = `localhost/binship-bench/base:${process.pid}`;
  bah("manifest", "create", baseList);
  lists.push(baseList);
  for (const s of standins) bah("manifest", "add", baseList, `containers-storage:${s}`);
  bah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", baseList, `docker://${host}/distroless/cc:nonroot`);

  const binship = (repo, cacheDir) =>
    execFileSync(
      process.execPath,
      [cli, "pack", "container", "--executable", join(recipe, "app-amd64"), "--executable", join(recipe, "app-arm64"), "-o", join(work, `out-${repo}`), "--name", "svc", "-q",
        "--push", `${host}/${repo}:1`, "--base", `${host}/distroless/cc:nonroot`, "--insecure-registry"],
      { stdio: "inherit", env: { ...process.env, BINSHIP_CACHE_DIR: cacheDir } },
    );
  const variants = {
    "buildah bud (both platforms) + buildah manifest push --all": (i) => {
      const list = `localhost/binship-bench/svc-${i}:${process.pid}`;
      lists.push(list);
      bah("bud", "--pull=never", "--platform", "linux/amd64,linux/arm64", "--manifest", list, "--build-arg", `BASE=${baseList}`, "-q", recipe);
      bah("manifest", "push", "--all", "--format", "oci", "--tls-verify=false", list, `docker://${host}/buildah-${i}:1`);
    },
    "binship --push, cold layer cache (gzip both layers)": (i) => binship(`cold-${i}`, join(work, `cache-cold-${i}`)),
    "binship --push, warm layer cache (layers gzip'd before)": (i) => binship(`warm-${i}`, join(work, "cache-warm")),
    "binship --push again, same repository (nothing to send)": () => binship("again", join(work, "cache-warm")),
  };
  mkdirSync(join(work, "cache-warm"));
  binship("again", join(work, "cache-warm")); // warms the layer cache and fills the "again" repository
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [name, fn] of Object.entries(variants)) times[name].push(time(() => fn(i)));
  const peer = median(times[Object.keys(variants)[0]]);
  console.log(`| variant (${runs} runs, interleaved) | median | runs (s) | vs buildah |\n|---|---:|---:|---:|`);
  for (const [name, xs] of Object.entries(times)) {
    console.log(`| ${name} | ${(median(xs) / 1000).toFixed(2)} s | ${xs.map((x) => (x / 1000).toFixed(1)).join(", ")} | ${(median(xs) / peer).toFixed(2)} |`);
  }
} finally {
  registry.kill();
  // The per-platform images bud made for each list, then the lists themselves.
  const ids = bah("images", "--digests", "--format", "{{.ID}} {{.Digest}}").split("\n").map((l) => l.split(" "));
  for (const l of lists) {
    try {
      const digests = JSON.parse(bah("manifest", "inspect", l)).manifests.map((m) => m.digest);
      bah("manifest", "rm", l);
      if (l.includes("/svc-")) for (const [id, digest] of ids) if (digests.includes(digest)) bah("rmi", "-f", id);
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}
