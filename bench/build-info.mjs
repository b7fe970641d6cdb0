// What the build info costs: exec to the first HTTP 200 of the Express fixture's x64
// executable with its build-info trailer against the same file with the trailer cut off
// (interleaved runs), the trailer's size, and how long `binship inspect` and `inspect --sbom`
// take on the executable and on a Lambda zip.
//
//   npm run build && node bench/build-info.mjs          (RUNS=21 by default)
//
// Prints a markdown section for BENCHMARKS.md.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstOk } from "./lib/http-probe.mjs";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "binship.js");
const entry = join(root, "test", "fixtures", "apps", "express", "index.ts");
const out = mkdtempSync(join(tmpdir(), "binship-bench-info-"));
const runs = Number(process.env.RUNS ?? 21);

const now = () => process.hrtime.bigint();
const ms = (t0) => Number(now() - t0) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const binship = (args) => execFileSync(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();
const timed = (fn) => {
  const t0 = now();
  fn();
  return ms(t0);
};

const withInfo = join(out, "app-x64");
binship(["build", entry, "--arch", "x64", "-o", withInfo]);
const report = JSON.parse(binship(["inspect", withInfo, "--json"]));
const withoutInfo = join(out, "app-x64-no-info");
copyFileSync(withInfo, withoutInfo);
truncateSync(withoutInfo, statSync(withInfo).size - report.buildInfoBytes);
const zip = join(out, "lambda.zip");
binship(["pack", "lambda", "--executable", withInfo, "--arch", "x64", "-o", zip]);


let nextPort = 19500;
const startup = async (file) => (await firstOk(file, [], nextPort++)).ms;

const subjects = [
  { name: "with build info (as built)", file: withInfo },
  { name: "trailer cut off", file: withoutInfo },
];
const times = subjects.map(() => []);
for (const s of subjects) await startup(s.file); // page cache
for (let i = 0; i < runs; i++) for (const [j, s] of subjects.entries()) times[j].push(await startup(s.file));

const inspectExe = [0, 1, 2].map(() => timed(() => binship(["inspect", withInfo])));
const sbomExe = [0, 1, 2].map(() => timed(() => binship(["inspect", withInfo, "--sbom", join(out, "a.cdx.json")])));
const sbomZip = [0, 1, 2].map(() => timed(() => binship(["inspect", zip, "--sbom", join(out, "z.cdx.json")])));

const f = (x) => x.toFixed(1);
const base = median(times[0]);
const lines = [
  "## Build info, SBOM and size report",
  "",
  `Command: \`npm run build && node bench/build-info.mjs\` (RUNS=${runs}, interleaved); fixture \`test/fixtures/apps/express\`, x64, Node ${report.nodeVersion}.`,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, shared with other jobs; build host Node ${process.version}.`,
  "",
  `Build info trailer: ${report.buildInfoBytes} bytes (${report.buildInfo.packages.length} packages) on a ${statSync(withInfo).size} byte executable.`,
  "",
  "| executable | exec → first 200, median | min | max | vs as built |",
  "|---|---:|---:|---:|---:|",
  ...subjects.map((s, j) => `| ${s.name} | ${f(median(times[j]))} ms | ${f(Math.min(...times[j]))} ms | ${f(Math.max(...times[j]))} ms | ${(median(times[j]) / base).toFixed(2)} |`),
  "",
  "| command | median of 3 |",
  "|---|---:|",
  `| \`binship inspect\` executable (hashes the whole file) | ${f(median(inspectExe))} ms |`,
  `| \`binship inspect --sbom\` executable | ${f(median(sbomExe))} ms |`,
  `| \`binship inspect --sbom\` Lambda zip (inflates \`bootstrap\`) | ${f(median(sbomZip))} ms |`,
];
console.log(lines.join("\n"));
rmSync(out, { recursive: true, force: true });

